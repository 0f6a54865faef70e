"""Reducer settings matched to RLT on the same clips, so methods are compared at equal cost.

``random`` keeps RLT's kept fraction (the pure packing-overhead control); ``tome``
merges ``r`` tokens per block with ``r`` chosen so its total GFLOPs come closest to
RLT's. Options the user gave are never changed.
"""

from __future__ import annotations

from dataclasses import replace

import torch

from rlt.models import VideoViT

from .flops import clip_flops
from .reducer_api import create, forward


def _proxy(model: VideoViT) -> VideoViT:
    """A narrow copy of ``model``'s geometry: same depth, grid and classes, width 16.

    Token counts of ToMe and STA follow their schedules, not the weights, so the
    proxy gives the real model's ``layer_tokens`` at a fraction of the cost.
    """
    c = replace(model.config, width=16, heads=1, mlp_dim=16, attention_backend="auto",
                drop_rate=0.0, attn_drop_rate=0.0, drop_path_rate=0.0, grad_checkpointing=False)
    return VideoViT(c).eval()


def layer_tokens(model: VideoViT, video: torch.Tensor, reducer) -> torch.Tensor:
    """``(depth + 1, B)`` tokens per block for ``reducer`` on normalised ``video``, computed on a proxy."""
    with torch.inference_mode():
        forward(_proxy(model).to(video.device), video, reducer)
    return reducer.layer_tokens.detach().cpu()


def matched_options(
    model: VideoViT, video: torch.Tensor, reducers: tuple[str, ...], options: dict[str, dict]
) -> dict[str, dict]:
    """Options to add for ``random.keep`` and ``tome.r`` (those not in ``options``), matched to RLT.

    ``video (B, C, T, H, W)`` normalised: the clips the bench runs on. RLT uses
    ``options["rlt"]``. Returns ``{"random": {"keep": f}, "tome": {"r": r}}`` for the
    reducers present and not already set.
    """
    c = model.config
    wanted = {n for n in ("random", "tome") if n in reducers and not {"keep", "r"} & set(options.get(n, {}))}
    if not wanted:
        return {}
    rlt = create("rlt", **options.get("rlt", {}))
    packed = rlt.pack(video, tubelet_size=c.tubelet_size, patch_size=c.patch_size)
    seqlens = packed.seqlens.cpu()
    out: dict[str, dict] = {}
    if "random" in wanted:
        out["random"] = {"keep": float(seqlens.sum()) / (packed.batch_size * packed.grid.numel)}
    if "tome" in wanted:
        target = sum(clip_flops(c, seqlens[None].expand(c.depth + 1, -1)))
        extra = {k: v for k, v in options.get("tome", {}).items() if k != "r"}

        def cost(r: int) -> int:
            return sum(clip_flops(c, layer_tokens(model, video, create("tome", r=r, **extra))))

        lo, hi = 0, packed.grid.numel  # cost falls as r rises (ToMe merges at most half a clip per block)
        while lo < hi:  # smallest r whose cost is at most RLT's
            mid = (lo + hi) // 2
            if cost(mid) <= target:
                hi = mid
            else:
                lo = mid + 1
        candidates = [r for r in (lo - 1, lo) if r >= 0]
        out["tome"] = {"r": min(candidates, key=lambda r: abs(cost(r) - target))}
    return out
