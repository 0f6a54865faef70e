"""The one place training meets the reducers: build one from a config, run the model through it.

``forward_reduced`` returns the logits and the tokens each clip fed the encoder,
so every step and every evaluation can say what it saved.
"""

from __future__ import annotations

from typing import Any

import torch

from rlt.models import VideoViT
from rlt.ops import PackedBatch, gather_tubelets, tokenize, tokenize_dense

from .config import ReducerSpec


class _TokenizeReducer:
    """Stand-in for ``rlt.reducers`` (``none`` / ``rlt``) until that layer lands; same attributes."""

    in_model = False

    def __init__(self, name: str, **options: Any) -> None:
        if name not in ("none", "rlt"):
            raise ValueError(f"unknown reducer {name!r}; expected one of 'none', 'rlt'")
        allowed = {"tau", "mode", "norm"} if name == "rlt" else set()
        bad = sorted(set(options) - allowed)
        if bad:
            raise ValueError(f"reducer {name!r} has no option(s) {bad}; it takes {sorted(allowed)}")
        self.name = name
        self.options = {"tau": 0.1, "mode": "previous", "norm": "l1", **options} if name == "rlt" else {}

    def pack(self, video: torch.Tensor, tubelet_size: int = 2, patch_size: int = 16) -> PackedBatch:
        if self.name == "none":
            return tokenize_dense(video, tubelet_size=tubelet_size, patch_size=patch_size)
        return tokenize(video, tubelet_size=tubelet_size, patch_size=patch_size, **self.options)


def build_reducer(spec: ReducerSpec):
    """``rlt.reducers.create(spec.name, **spec.options)``; a bad name or option raises ``ValueError`` naming it."""
    try:
        from rlt.reducers import create
    except ImportError:
        return _TokenizeReducer(spec.name, **spec.options)
    return create(spec.name, **spec.options)


def forward_reduced(
    model: VideoViT, clip: torch.Tensor, reducer, *, plan_from: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits ``(B, K)`` and tokens per clip entering the encoder ``(B,)`` long.

    ``clip (B, C, T, H, W)`` normalised float, what the model sees. ``plan_from``: a
    clip of the same shape whose plan (kept tubelets, run lengths) is applied to
    ``clip``'s pixels instead of ``clip``'s own plan (``train.augment.plan_on=clean``).
    """
    c = model.config
    if plan_from is not None and not getattr(reducer, "in_model", False):
        plan = reducer.pack(plan_from, tubelet_size=c.tubelet_size, patch_size=c.patch_size)
        packed = plan.with_tokens(gather_tubelets(clip, plan.keep, c.tubelet_size, c.patch_size))
        return model(packed), packed.seqlens
    if isinstance(reducer, _TokenizeReducer):
        packed = reducer.pack(clip, tubelet_size=c.tubelet_size, patch_size=c.patch_size)
        return model(packed), packed.seqlens
    logits = model(clip, reducer=reducer)
    return logits, reducer.layer_tokens[0]
