"""Paint an RLT plan onto frames: dropped tokens greyed, kept tokens optionally tinted by run length.

All functions are pure, work on uint8 ``(T, H, W, 3)`` tensors and take the plan
(``keep (T', H', W')``) as computed once by :func:`rlt.ops.static_keep`.

A dropped pixel becomes a washed-out grey, ``R = G = B``, so the scene stays
faintly readable while it is obvious the model never sees it. Patch borders are
faint lines on the first row and column of every patch, drawn after the grey,
so a border pixel is grey exactly when its token was dropped.
"""

from __future__ import annotations

import torch

GREY_LEVEL = 150.0  # grey that dropped pixels are pulled towards
GREY_CONTRAST = 0.3  # share of a dropped pixel's own luminance left around GREY_LEVEL
BORDER_ALPHA = 0.3  # blend of patch-border pixels towards white
TINT_ALPHA = 0.5  # blend of kept pixels towards their run-length colour
_LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601 weights of R, G, B


def pixel_keep(keep: torch.Tensor, tubelet_size: int, patch_size: int) -> torch.Tensor:
    """Token plan to pixels: ``keep (T', H', W') -> (T, H, W)`` bool, ``T = T' * ts``, ``H = H' * p``."""
    if keep.dim() != 3:
        raise ValueError(f"keep must be (T', H', W'), got shape {tuple(keep.shape)}")
    return keep.repeat_interleave(tubelet_size, 0).repeat_interleave(patch_size, 1).repeat_interleave(patch_size, 2)


def _check_frames(frames: torch.Tensor, mask: torch.Tensor) -> None:
    if frames.dtype != torch.uint8 or frames.dim() != 4 or frames.shape[-1] != 3:
        raise ValueError(f"frames must be uint8 (T, H, W, 3), got {frames.dtype} shape {tuple(frames.shape)}")
    if frames.shape[:3] != mask.shape:
        raise ValueError(f"plan covers {tuple(mask.shape)} pixels but frames are {tuple(frames.shape[:3])}")


def washed_grey(frames: torch.Tensor) -> torch.Tensor:
    """``(..., 3)`` uint8 -> same shape, ``R = G = B``: luminance squeezed towards :data:`GREY_LEVEL`."""
    luma = (frames.float() * torch.tensor(_LUMA)).sum(-1, keepdim=True)
    grey = GREY_LEVEL + GREY_CONTRAST * (luma - GREY_LEVEL)
    return grey.round().clamp(0, 255).to(torch.uint8).expand(frames.shape)


def _blend(frames: torch.Tensor, colour: torch.Tensor, alpha: float) -> torch.Tensor:
    return ((1 - alpha) * frames.float() + alpha * colour).round().clamp(0, 255).to(torch.uint8)


def grey_dropped(frames: torch.Tensor, keep: torch.Tensor, tubelet_size: int, patch_size: int) -> torch.Tensor:
    """Frames ``(T, H, W, 3)`` uint8 with every pixel of a dropped token replaced by :func:`washed_grey`."""
    mask = pixel_keep(keep, tubelet_size, patch_size)
    _check_frames(frames, mask)
    return torch.where(mask[..., None], frames, washed_grey(frames))


def tint_by_length(
    frames: torch.Tensor, lengths: torch.Tensor, colours: torch.Tensor, tubelet_size: int, patch_size: int
) -> torch.Tensor:
    """Blend each kept token's pixels towards the colour of its run length.

    ``lengths (T', H', W')`` long (0 at dropped tokens, which are left as they are);
    ``colours (T'+1, 3)`` float 0..255, row ``L`` for run length ``L``.
    """
    mask = pixel_keep(lengths > 0, tubelet_size, patch_size)
    _check_frames(frames, mask)
    per_pixel = pixel_keep(lengths, tubelet_size, patch_size)  # (T, H, W) long
    tinted = _blend(frames, colours[per_pixel], TINT_ALPHA)
    return torch.where(mask[..., None], tinted, frames)


def patch_borders(frames: torch.Tensor, patch_size: int, alpha: float = BORDER_ALPHA) -> torch.Tensor:
    """Faint white lines on the first row and column of every ``p x p`` patch of ``(T, H, W, 3)`` frames."""
    t, h, w, _ = frames.shape
    line = torch.zeros(h, w, dtype=torch.bool)
    line[::patch_size, :] = True
    line[:, ::patch_size] = True
    return torch.where(line[None, :, :, None], _blend(frames, torch.tensor(255.0), alpha), frames)


def render_rlt(
    frames: torch.Tensor,
    keep: torch.Tensor,
    *,
    tubelet_size: int,
    patch_size: int,
    lengths: torch.Tensor | None = None,
    colours: torch.Tensor | None = None,
    borders: bool = True,
) -> torch.Tensor:
    """The RLT side of a picture: ``(T, H, W, 3)`` uint8 frames and their plan -> painted frames.

    Dropped tokens greyed; with ``lengths`` and ``colours`` (see
    :func:`tint_by_length`) kept tokens tinted by run length; faint patch borders.
    """
    out = grey_dropped(frames, keep, tubelet_size, patch_size)
    if lengths is not None:
        if colours is None:
            raise ValueError("colours are required when lengths are given")
        out = tint_by_length(out, lengths, colours, tubelet_size, patch_size)
    return patch_borders(out, patch_size) if borders else out
