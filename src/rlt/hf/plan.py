"""Which tubelets enter a patched model: the settings' input reducer, applied to one batch."""

from __future__ import annotations

import torch

from rlt.ops import PackedBatch, tokenize, tokenize_dense

from .settings import RLTSettings


def pack_clips(settings: RLTSettings, video: torch.Tensor, tubelet_size: int, patch_size: int) -> PackedBatch:
    """``video (B, C, T, H, W)`` normalised -> packed kept tubelet pixels ``(N, C*ts*p*p)`` with their plan."""
    opts = settings.reducer_options()
    name = settings.reducer
    if name == "none":
        if opts:
            raise ValueError(f"reducer 'none' takes no options, got {sorted(opts)}")
        return tokenize_dense(video, tubelet_size=tubelet_size, patch_size=patch_size)
    if name == "rlt":
        unknown = sorted(set(opts) - {"tau", "mode", "norm"})
        if unknown:
            raise ValueError(f"reducer 'rlt' has no option(s) {unknown}; it takes tau, mode, norm")
        return tokenize(video, tubelet_size=tubelet_size, patch_size=patch_size, **opts)
    raise ValueError(f"unknown reducer {name!r} for rlt.patch; expected 'rlt' or 'none'")
