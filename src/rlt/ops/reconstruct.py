"""RLT decoding (each kept tubelet repeated over its run) and PSNR."""

from __future__ import annotations

import torch

from .grid import check_size
from .runs import run_starts


def reconstruct(video: torch.Tensor, keep: torch.Tensor, tubelet_size: int = 2, patch_size: int = 16) -> torch.Tensor:
    """The RLT-decoded clip: ``(B, C, T, H, W)`` -> same shape and dtype.

    Every tubelet is replaced by the kept tubelet that starts its run, which is
    exactly what the model sees of the clip. Works on pixels (uint8) or floats.
    """
    ts, p = check_size("tubelet_size", tubelet_size), check_size("patch_size", patch_size)
    b, c, t, h, w = video.shape
    if keep.shape != (b, t // ts, h // p, w // p):
        raise ValueError(f"keep shape {tuple(keep.shape)} does not match video {tuple(video.shape)}")
    start = run_starts(keep)  # (B, T', H', W')
    start = start.repeat_interleave(p, 2).repeat_interleave(p, 3)  # (B, T', H, W)
    index = start[:, None, :, None].expand(b, c, t // ts, ts, h, w)
    tubelets = video.reshape(b, c, t // ts, ts, h, w)
    return tubelets.gather(2, index).reshape(b, c, t, h, w)


def psnr(reference: torch.Tensor, decoded: torch.Tensor, max_value: float = 255.0) -> torch.Tensor:
    """Per-clip PSNR in dB: ``(B, ...)`` pairs -> ``(B,)`` float64, ``inf`` where identical."""
    if reference.shape != decoded.shape:
        raise ValueError(f"shapes differ: {tuple(reference.shape)} vs {tuple(decoded.shape)}")
    err = (reference.double() - decoded.double()).square().flatten(1).mean(1)
    return 10.0 * torch.log10(max_value**2 / err)
