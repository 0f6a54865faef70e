"""Cosine learning-rate schedule with linear warm-up, as a pure function and a picklable LambdaLR factor."""

from __future__ import annotations

import math
from dataclasses import dataclass


def warmup_cosine(step: int, total_steps: int, warmup_steps: int, base: float, final: float = 0.0) -> float:
    """Learning rate at optimizer step ``step`` (0-based).

    Linear from ``base * 1/warmup_steps`` up to ``base`` over the first ``warmup_steps``
    steps (step ``s`` gets ``base * (s + 1) / warmup_steps``), then a half cosine from
    ``base`` to ``final`` at ``total_steps``; ``final`` after that. Example with
    ``total_steps=10, warmup_steps=2, base=1, final=0``: steps 0..3 give
    ``0.5, 1.0, 1.0, 0.9619...``.
    """
    if total_steps < 1 or warmup_steps < 0:
        raise ValueError(f"need total_steps >= 1 and warmup_steps >= 0, got {total_steps}, {warmup_steps}")
    if step < warmup_steps:
        return base * (step + 1) / warmup_steps
    span = max(total_steps - warmup_steps, 1)
    progress = min((step - warmup_steps) / span, 1.0)
    return final + (base - final) * 0.5 * (1.0 + math.cos(math.pi * progress))


@dataclass
class WarmupCosine:
    """``LambdaLR`` factor: :func:`warmup_cosine` relative to the group's base lr.

    A dataclass (not a lambda) so the scheduler's ``state_dict`` keeps it and a
    resumed run continues the same curve. ``min_ratio = min_lr / lr``.
    """

    total_steps: int  # optimizer steps in the whole run (epochs x steps per epoch)
    warmup_steps: int  # optimizer steps of linear warm-up
    min_ratio: float = 0.0  # final lr as a fraction of the peak

    def __call__(self, step: int) -> float:
        return warmup_cosine(step, self.total_steps, self.warmup_steps, 1.0, self.min_ratio)
