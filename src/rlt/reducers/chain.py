"""An input reducer followed by an in-model one, e.g. ``rlt+tome``: RLT packs, ToMe merges within each clip."""

from __future__ import annotations

from typing import Any

import torch

from rlt.models.reduction import BlockHook
from rlt.ops import PackedBatch

from .base import Reducer


class Chain(Reducer):
    """``first`` plans which tokens enter; ``then`` reduces inside the model."""

    in_model = True
    needs_clip = True

    def __init__(self, first: Reducer, then: Reducer) -> None:
        super().__init__()
        if first.in_model or not then.in_model:
            raise ValueError(f"a chain needs an input reducer then an in-model one, got {first.name}+{then.name}")
        self.first, self.then = first, then

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"{self.first.name}+{self.then.name}"

    @property
    def options(self) -> dict[str, Any]:
        return {**self.first.options, **self.then.options}

    def plan_runs(
        self, video: torch.Tensor, tubelet_size: int, patch_size: int
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        return self.first.plan_runs(video, tubelet_size, patch_size)

    def pack(self, video: torch.Tensor, *, tubelet_size: int = 2, patch_size: int = 16) -> PackedBatch:
        return self.first.pack(video, tubelet_size=tubelet_size, patch_size=patch_size)

    def block_hook(self, index: int, depth: int) -> BlockHook | None:
        return self.then.block_hook(index, depth)
