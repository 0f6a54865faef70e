"""The static test: which tubelets repeat their predecessor and can be dropped."""

from __future__ import annotations

import torch

from .grid import check_choice, check_float_video, check_tau, check_video

MODES = ("previous", "anchor")
NORMS = ("l1", "l2")


def _patch_distance(a: torch.Tensor, b: torch.Tensor, patch_size: int, norm: str) -> torch.Tensor:
    """Per-patch distance between two frame stacks.

    ``a, b: (B, C, ..., H, W)`` float32 -> ``(B, ..., H', W')``: mean over channels
    and the ``p x p`` pixels of ``|a - b|`` ("l1") or the root of the mean of
    ``(a - b)^2`` ("l2").
    """
    diff = (a - b).abs() if norm == "l1" else (a - b).square()
    *lead, h, w = diff.shape
    p = patch_size
    diff = diff.reshape(*lead, h // p, p, w // p, p)
    dist = diff.mean(dim=(1, -3, -1))  # (B, ..., H', W')
    return dist if norm == "l1" else dist.sqrt()


def _end_frames(video: torch.Tensor, tubelet_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """First and last frame of every tubelet, as float32 ``(B, C, T', H, W)`` each.

    Half-precision inputs are compared in float32 so the threshold means the
    same thing for every dtype; only these two frames per tubelet are converted.
    """
    first = video[:, :, 0::tubelet_size].float()
    last = video[:, :, tubelet_size - 1 :: tubelet_size].float()
    return first, last


def static_keep(
    video: torch.Tensor,
    *,
    tau: float = 0.1,
    tubelet_size: int = 2,
    patch_size: int = 16,
    mode: str = "previous",
    norm: str = "l1",
) -> torch.Tensor:
    """Which tokens survive RLT: ``(B, C, T, H, W) -> keep (B, T', H', W')`` bool.

    Token ``(t, i, j)`` is kept iff ``t == 0`` or its distance exceeds ``tau``.
    ``"previous"`` measures against the first frame of tubelet ``t-1`` (the
    paper's test); ``"anchor"`` against the first frame of the first tubelet of
    the current run, so a slow drift cannot hide behind many small steps.
    ``"previous"`` is fully vectorised; ``"anchor"`` loops over ``T'`` only.
    In ``"previous"`` mode the kept set shrinks as ``tau`` grows; in ``"anchor"``
    mode it need not (a larger ``tau`` keeps an older anchor that later frames
    may differ from more), see ``test_anchor_mode_is_not_monotone_in_tau``.

    Example, one patch, ``tau=0.1``, l1 distances to the predecessor
    ``[0.0, 0.5, 0.0]`` over ``T'=4`` gives ``keep = [True, False, True, False]``.

    Raises ``ValueError`` for integer or bool clips (call :func:`rlt.ops.normalize`
    first), for a ``tau`` that is not a finite number >= 0, and for clips holding
    NaN or +-inf, naming them (see :func:`check_finite`).
    """
    grid = check_video(video, tubelet_size, patch_size)
    check_float_video(video)
    tau = check_tau(tau)
    check_choice("mode", mode, MODES)
    check_choice("norm", norm, NORMS)
    check_finite(video)
    b = video.shape[0]
    keep = torch.ones(b, grid.t, grid.h, grid.w, dtype=torch.bool, device=video.device)
    if grid.t == 1:
        return keep
    first, last = _end_frames(video, tubelet_size)
    if mode == "previous":
        dist = _patch_distance(last[:, :, 1:], first[:, :, :-1], patch_size, norm)
        keep[:, 1:] = dist > tau
        return keep
    return _anchor_keep(first, last, keep, tau, patch_size, norm)


def check_finite(video: torch.Tensor) -> None:
    """Raise ``ValueError`` naming the clips of ``video (B, ...)`` that hold NaN or +-inf.

    Any comparison with NaN is false, so without this check a NaN tubelet would
    read as static and be dropped without a word. One reduction pass (NaN and
    +-inf reach the extremes) and one host read of its two scalars; the
    per-clip search runs only when something is wrong.
    """
    if video.numel() == 0:
        return
    lo, hi = video.aminmax()
    if bool(torch.isfinite(lo) & torch.isfinite(hi)):
        return
    bad = (~torch.isfinite(video.flatten(1))).any(1).nonzero().flatten().tolist()
    raise ValueError(
        f"video clip(s) at batch index {bad} hold NaN or infinite values; "
        "the static test cannot compare them (fix or drop those clips)"
    )


def _anchor_keep(
    first: torch.Tensor, last: torch.Tensor, keep: torch.Tensor, tau: float, patch_size: int, norm: str
) -> torch.Tensor:
    b, c, t_, h, w = first.shape
    p = patch_size
    anchor = first[:, :, 0].clone()  # (B, C, H, W): first frame of each run's first tubelet
    for t in range(1, t_):
        kept = _patch_distance(last[:, :, t], anchor, p, norm) > tau  # (B, H', W')
        keep[:, t] = kept
        # A kept tubelet starts a new run: its first frame becomes the anchor.
        mask = kept[:, None, :, None, :, None]  # (B, 1, H', 1, W', 1)
        anchor_view = anchor.view(b, c, h // p, p, w // p, p)
        new_view = first[:, :, t].reshape(b, c, h // p, p, w // p, p)
        anchor = torch.where(mask, new_view, anchor_view).reshape(b, c, h, w)
    return keep
