"""Wall-clock timing that covers queued device work, and the interleaved order of a run."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

import torch

T = TypeVar("T")


def sync(device: torch.device) -> None:
    """Wait for queued work on ``device`` (a no-op on CPU), so a timing covers the whole step."""
    if device.type == "cpu":
        return
    # torch.accelerator only exists from PyTorch 2.6; 2.5 has per-backend modules (torch.cuda, torch.xpu, ...).
    accelerator = getattr(torch, "accelerator", None) or getattr(torch, device.type)
    accelerator.synchronize(device)


def timed(fn: Callable[[], T], device: torch.device) -> tuple[float, T]:
    """Run ``fn()`` and return ``(seconds, result)``, synchronising ``device`` before and after."""
    sync(device)
    start = time.perf_counter()
    result = fn()
    sync(device)
    return time.perf_counter() - start, result


def interleaved_orders(names: Sequence[str], repeats: int, seed: int = 0) -> list[list[str]]:
    """One fresh random order of ``names`` per repeat, so machine noise falls on all of them alike.

    Deterministic under ``seed``; every order is a permutation of ``names``.
    """
    rng = random.Random(seed)
    orders = []
    for _ in range(repeats):
        order = list(names)
        rng.shuffle(order)
        orders.append(order)
    return orders
