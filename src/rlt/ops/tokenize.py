"""``tokenize``: the whole RLT step from a normalised clip to a packed batch."""

from __future__ import annotations

import torch

from .grid import check_float_video, check_video
from .packed import PackedBatch
from .static import static_keep


def gather_tubelets(video: torch.Tensor, keep: torch.Tensor, tubelet_size: int = 2, patch_size: int = 16) -> torch.Tensor:
    """Pixels of the kept tubelets only: ``(B, C, T, H, W) -> (N, C*ts*p*p)``.

    Reads through a strided view, so dropped tubelets are never copied. Four
    index tensors are faster here than a boolean mask over the 8-D view.
    """
    t_, h_, w_ = check_video(video, tubelet_size, patch_size)
    b, c = video.shape[:2]
    ts, p = tubelet_size, patch_size
    view = video.reshape(b, c, t_, ts, h_, p, w_, p).permute(0, 2, 4, 6, 1, 3, 5, 7)  # (B, T', H', W', C, ts, p, p)
    return view[keep.nonzero(as_tuple=True)].reshape(-1, c * ts * p * p)  # (N, C*ts*p*p)


def tokenize(
    video: torch.Tensor,
    *,
    tau: float = 0.1,
    tubelet_size: int = 2,
    patch_size: int = 16,
    mode: str = "previous",
    norm: str = "l1",
) -> PackedBatch:
    """Run-Length Tokenization of a batch of normalised clips.

    ``video (B, C, T, H, W)`` float, ImageNet-normalised (``tau`` is in those
    units; the paper uses 0.1). Returns a :class:`PackedBatch` whose ``tokens``
    are the kept tubelets' pixels ``(N, C*ts*p*p)`` in ``(c, dt, dy, dx)`` order,
    on the same device and in the same dtype as ``video``.

    Raises ``ValueError`` for integer / bool clips (decoded frames: call
    :func:`rlt.ops.normalize` first), a ``tau`` that is not a finite number >= 0
    (strings and bools included), and clips holding NaN or +-inf, naming their
    batch indices: such a clip cannot be compared, and a NaN would read as static.
    """
    keep = static_keep(video, tau=tau, tubelet_size=tubelet_size, patch_size=patch_size, mode=mode, norm=norm)
    tokens = gather_tubelets(video, keep, tubelet_size, patch_size)
    return PackedBatch.from_keep(keep, tokens, tubelet_size=tubelet_size, patch_size=patch_size)


def tokenize_dense(video: torch.Tensor, *, tubelet_size: int = 2, patch_size: int = 16) -> PackedBatch:
    """Every token of every clip, in the same packed format (no reduction)."""
    t_, h_, w_ = check_video(video, tubelet_size, patch_size)
    check_float_video(video)
    keep = torch.ones(video.shape[0], t_, h_, w_, dtype=torch.bool, device=video.device)
    tokens = gather_tubelets(video, keep, tubelet_size, patch_size)
    return PackedBatch.from_keep(keep, tokens, tubelet_size=tubelet_size, patch_size=patch_size)
