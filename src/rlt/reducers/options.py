"""Checks for reducer options: each raises ``ValueError`` naming the option, the value and what was expected."""

from __future__ import annotations

import math
from collections.abc import Sequence


def real(name: str, value: object, *, low: float, high: float | None = None, low_open: bool = False) -> float:
    """``value`` as a float in ``[low, high]`` (``(low, high]`` with ``low_open``); bools and strings are refused."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    value = float(value)
    too_low = value <= low if low_open else value < low
    if too_low or (high is not None and value > high):
        left = "(" if low_open else "["
        right = f"{high}]" if high is not None else "inf)"
        raise ValueError(f"{name} must be in {left}{low}, {right}, got {value!r}")
    return value


def integer(name: str, value: object, *, low: int = 0) -> int:
    """``value`` as an int ``>= low``; bools, floats and strings are refused."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def choice(name: str, value: object, choices: Sequence[str]) -> str:
    """``value`` if it is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return str(value)


def schedule(name: str, value: object, *, low: int = 0) -> int | tuple[int, ...]:
    """An int for every block, or one int per block (a list or tuple)."""
    if isinstance(value, (list, tuple)):
        return tuple(integer(f"{name}[{i}]", v, low=low) for i, v in enumerate(value))
    return integer(name, value, low=low)


def per_block(name: str, value: int | tuple[int, ...], index: int, depth: int) -> int:
    """Entry ``index`` of a schedule; a per-block list must have exactly ``depth`` entries."""
    if isinstance(value, int):
        return value
    if len(value) != depth:
        raise ValueError(f"{name} has {len(value)} entries but the model has {depth} blocks")
    return value[index]


def sequence(name: str, value: object) -> tuple[object, ...]:
    """``value`` as a tuple, if it is a list or tuple."""
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"{name} must be a list of integers, got {value!r}")
    return tuple(value)
