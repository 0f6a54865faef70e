"""Reducer settings matched to RLT on the same clips, so methods are compared at equal cost.

``random`` keeps RLT's kept fraction (the pure packing-overhead control); ``tome``
merges ``r`` tokens per block and ``sta`` keeps ``keep`` at each pruning stage, each
chosen so its total GFLOPs come closest to RLT's. Options the user gave are never changed.
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


def _closest_r(cost, target: int, most: int) -> int:
    """The integer ``r`` in ``0..most`` whose ``cost(r)`` (non-increasing in ``r``) is closest to ``target``."""
    lo, hi = 0, most
    while lo < hi:  # smallest r whose cost is at most the target
        mid = (lo + hi) // 2
        if cost(mid) <= target:
            hi = mid
        else:
            lo = mid + 1
    return min((r for r in (lo - 1, lo) if r >= 0), key=lambda r: abs(cost(r) - target))


def _closest_keep(cost, target: int, steps: int = 12) -> float:
    """The fraction ``keep`` in ``(0, 1]`` (cost non-decreasing in it) whose cost is closest to ``target``."""
    lo, hi = 0.0, 1.0
    for _ in range(steps):  # bisection on (lo, hi]: cost(hi) stays above the target, cost(lo) below
        mid = (lo + hi) / 2
        if cost(mid) > target:
            hi = mid
        else:
            lo = mid
    return round(min((k for k in (lo, hi) if k > 0), key=lambda k: abs(cost(k) - target)), 4)


def matched_options(
    model: VideoViT, video: torch.Tensor, reducers: tuple[str, ...], options: dict[str, dict]
) -> dict[str, dict]:
    """Options to add so ``random``, ``tome`` and ``sta`` run at RLT's cost (those not in ``options``).

    ``video (B, C, T, H, W)`` normalised: the clips the bench runs on. RLT uses
    ``options["rlt"]``. ``random.keep`` = RLT's kept fraction; ``tome.r`` and
    ``sta.keep`` are chosen so their total GFLOPs come closest to RLT's. Returns
    e.g. ``{"random": {"keep": 0.76}, "tome": {"r": 32}, "sta": {"keep": 0.5}}``.
    """
    c = model.config
    key = {"random": "keep", "tome": "r", "sta": "keep"}
    wanted = [n for n in key if n in reducers and key[n] not in options.get(n, {})]
    if not wanted:
        return {}
    rlt = create("rlt", **options.get("rlt", {}))
    packed = rlt.pack(video, tubelet_size=c.tubelet_size, patch_size=c.patch_size)
    seqlens = packed.seqlens.cpu()
    target = sum(clip_flops(c, seqlens[None].expand(c.depth + 1, -1)))
    out: dict[str, dict] = {}
    for name in wanted:
        extra = {k: v for k, v in options.get(name, {}).items() if k != key[name]}

        def cost(value, name=name, extra=extra) -> int:
            return sum(clip_flops(c, layer_tokens(model, video, create(name, **{key[name]: value}, **extra))))

        if name == "random":
            out[name] = {"keep": float(seqlens.sum()) / (packed.batch_size * packed.grid.numel)}
        elif name == "tome":  # ToMe merges at most half a clip per block, so r up to the grid covers every case
            out[name] = {"r": _closest_r(cost, target, packed.grid.numel)}
        else:
            out[name] = {"keep": _closest_keep(cost, target)}
    return out
