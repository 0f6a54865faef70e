"""Which tubelets enter a patched model: the settings' input reducer, applied to one batch."""

from __future__ import annotations

import torch

from rlt.ops import PackedBatch
from rlt.reducers import Reducer, create

from .settings import RLTSettings


def current_reducer(settings: RLTSettings) -> Reducer:
    """The reducer the settings name, built once and rebuilt only when a setting changes.

    Kept between calls so a seeded ``random`` reducer draws a new mask every batch
    (its generator advances) instead of repeating its first one.
    """
    options = settings.reducer_options()
    key = (settings.reducer, repr(sorted(options.items())))
    cached = settings.reducer_cache.get(key)
    if cached is not None:
        return cached
    reducer = create(settings.reducer, **options)  # ValueError naming a bad name, option or value
    if reducer.in_model:
        raise ValueError(
            f"reducer {settings.reducer!r} merges or prunes tokens between blocks, which rlt.patch does not do; "
            "use an input reducer (none, rlt, random, rlt+random) or run the model with rlt.models"
        )
    settings.reducer_cache.clear()
    settings.reducer_cache[key] = reducer
    return reducer


def pack_clips(settings: RLTSettings, video: torch.Tensor, tubelet_size: int, patch_size: int) -> PackedBatch:
    """``video (B, C, T, H, W)`` normalised -> packed kept tubelet pixels ``(N, C*ts*p*p)`` with their plan."""
    return current_reducer(settings).pack(video, tubelet_size=tubelet_size, patch_size=patch_size)
