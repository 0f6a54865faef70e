"""How the bench calls a reducer, and a clock on the work an in-model reducer does between blocks."""

from __future__ import annotations

import time

import torch

from rlt.reducers import available, create


def forward(model: torch.nn.Module, video: torch.Tensor, reducer) -> torch.Tensor:
    """``model(video, reducer=reducer)``: logits ``(B, classes)``; sets ``reducer.layer_tokens``."""
    return model(video, reducer=reducer)


class _TimedHook:
    """A block hook that adds its own run time to a clock (CPU: its kernels finish before it returns)."""

    def __init__(self, hook, clock: list[float]) -> None:
        self.hook, self.clock = hook, clock
        self.needs_keys = hook.needs_keys

    def __call__(self, tokens):
        start = time.perf_counter()
        out = self.hook(tokens)
        self.clock[0] += time.perf_counter() - start
        return out


def clock_hooks(reducer) -> list[float]:
    """Make ``reducer``'s block hooks add their time to the returned one-item list.

    Only meaningful on CPU, where an op's work is done when it returns; the
    merging or pruning of ToMe and STA is then timed inside the forward, apart
    from the blocks. Input reducers have no hooks: their clock stays at zero.
    """
    clock = [0.0]
    make = reducer.block_hook

    def block_hook(index: int, depth: int):
        hook = make(index, depth)
        return None if hook is None else _TimedHook(hook, clock)

    reducer.block_hook = block_hook
    return clock


__all__ = ["available", "clock_hooks", "create", "forward"]
