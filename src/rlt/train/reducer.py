"""The one place training meets the reducers: build one from a config, run the model through it.

``forward_reduced`` returns the logits and the tokens each clip fed the encoder,
so every step and every evaluation can say what it saved.
"""

from __future__ import annotations

import numpy as np
import torch

from rlt.models import VideoViT
from rlt.ops import gather_tubelets
from rlt.reducers import Reducer, create, option_names

from .config import ReducerSpec


def build_reducer(spec: ReducerSpec, *, seed: int | None = None) -> Reducer:
    """``rlt.reducers.create(spec.name, **spec.options)``; a bad name or option raises ``ValueError`` naming it.

    ``seed`` (if given) replaces the ``seed`` option of reducers that draw at random
    (``random``, ``rlt+random``), so their draws follow the training step or the video.
    """
    options = dict(spec.options)
    if seed is not None and is_random(spec):
        options["seed"] = int(seed)
    return create(spec.name, **options)


def is_random(spec: ReducerSpec) -> bool:
    """Whether the reducer draws at random (it has a ``seed`` option)."""
    return "seed" in option_names(spec.name)


def derived_seed(*keys: int) -> int:
    """A 31-bit seed from integer keys (e.g. the reducer seed, the epoch, the batch, the rank)."""
    return int(np.random.SeedSequence([int(k) for k in keys]).generate_state(1)[0] >> 1)


def forward_reduced(
    model: VideoViT, clip: torch.Tensor, reducer: Reducer, *, plan_from: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Logits ``(B, K)``, tokens per clip entering the encoder ``(B,)`` long and tokens per clip
    averaged over the blocks ``(B,)`` float (differs from the former for in-model reducers).

    ``clip (B, C, T, H, W)`` normalised float, what the model sees. ``plan_from``: a
    clip of the same shape whose plan (kept tubelets, run lengths) is applied to
    ``clip``'s pixels instead of ``clip``'s own plan (``train.augment.plan_on=clean``);
    in-model reducers have no such plan and ignore it.
    """
    c = model.config
    if plan_from is not None and not reducer.in_model:
        plan = reducer.pack(plan_from, tubelet_size=c.tubelet_size, patch_size=c.patch_size)
        packed = plan.with_tokens(gather_tubelets(clip, plan.keep, c.tubelet_size, c.patch_size))
        return model(packed), packed.seqlens, packed.seqlens.float()
    logits = model(clip, reducer=reducer)
    layers = reducer.layer_tokens  # (depth + 1, B)
    return logits, layers[0], layers[:-1].float().mean(0)
