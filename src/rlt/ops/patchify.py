"""Clip <-> tubelet tokens, in ``(t, i, j)`` token order and ``(c, dt, dy, dx)`` pixel order."""

from __future__ import annotations

import torch

from .grid import Grid, check_size, check_video


def patchify(video: torch.Tensor, tubelet_size: int = 2, patch_size: int = 16) -> torch.Tensor:
    """Split a clip into tubelet tokens.

    ``(B, C, T, H, W) -> (B, T'*H'*W', C*ts*p*p)``. Flattening each tubelet as
    ``(c, dt, dy, dx)`` matches a Conv3d weight flattened with ``.flatten(1)``,
    so a tubelet embedding is one matmul.
    """
    t_, h_, w_ = check_video(video, tubelet_size, patch_size)
    b, c = video.shape[:2]
    ts, p = tubelet_size, patch_size
    x = video.reshape(b, c, t_, ts, h_, p, w_, p)
    x = x.permute(0, 2, 4, 6, 1, 3, 5, 7)  # (B, T', H', W', C, ts, p, p)
    return x.reshape(b, t_ * h_ * w_, c * ts * p * p)


def unpatchify(
    tokens: torch.Tensor, grid: Grid | tuple[int, int, int], tubelet_size: int = 2, patch_size: int = 16
) -> torch.Tensor:
    """Inverse of :func:`patchify`: ``(B, T'*H'*W', C*ts*p*p) -> (B, C, T, H, W)``."""
    ts, p = check_size("tubelet_size", tubelet_size), check_size("patch_size", patch_size)
    t_, h_, w_ = grid
    b, n, d = tokens.shape
    if n != t_ * h_ * w_ or d % (ts * p * p):
        raise ValueError(
            f"tokens of shape {tuple(tokens.shape)} do not fit grid {tuple(grid)} "
            f"with tubelet_size={ts}, patch_size={p}"
        )
    c = d // (ts * p * p)
    x = tokens.reshape(b, t_, h_, w_, c, ts, p, p)
    x = x.permute(0, 4, 1, 5, 2, 6, 3, 7)  # (B, C, T', ts, H', p, W', p)
    return x.reshape(b, c, t_ * ts, h_ * p, w_ * p)
