"""Paired per-repeat ratios: the statistic every bench headline is read from.

Every repeat times every reducer side by side, so load that drifts over a run
falls on both terms of one repeat's ratio alike. The median of those paired
ratios is the headline; unpaired medians (median time of A over median time of
B) mix repeats that ran under different load and are not reported as speedups.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Spread:
    """Median of some per-repeat values, with their range."""

    median: float  # the headline
    low: float  # smallest value over the repeats
    high: float  # largest value over the repeats
    n: int  # repeats

    def to_dict(self) -> dict:
        return {"median": self.median, "low": self.low, "high": self.high, "n": self.n}

    def scaled(self, factor: float) -> Spread:
        """Every value times ``factor`` (e.g. a speedup spread over the ideal gives efficiencies)."""
        return Spread(self.median * factor, self.low * factor, self.high * factor, self.n)


def spread(values: Sequence[float]) -> Spread:
    """:class:`Spread` of ``values``, e.g. ``spread([1.0, 3.0, 2.0])`` -> median 2, low 1, high 3."""
    if not values:
        raise ValueError("need at least one value")
    return Spread(float(statistics.median(values)), float(min(values)), float(max(values)), len(values))


def paired_ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    """``numerators[r] / denominators[r]`` for each repeat ``r`` (both timed in the same repeat)."""
    if len(numerators) != len(denominators):
        raise ValueError(f"need one value per repeat on both sides, got {len(numerators)} and {len(denominators)}")
    if any(d <= 0 for d in denominators):
        raise ValueError(f"denominators must be positive, got {list(denominators)}")
    return [n / d for n, d in zip(numerators, denominators)]


def paired(numerators: Sequence[float], denominators: Sequence[float]) -> Spread:
    """Median and range of the paired ratios, e.g. speedup = ``paired(dense_s, reducer_s)``."""
    return spread(paired_ratios(numerators, denominators))
