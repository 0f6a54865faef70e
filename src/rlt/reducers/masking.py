"""Random masking as a pure function: keep ``k`` random tokens per clip among candidates."""

from __future__ import annotations

import torch


def keep_count(fraction: float, total: int) -> int:
    """Tokens a clip keeps: ``round(fraction * total)`` (Python's rounding), at least 1.

    Example: ``keep_count(0.5, 1568) -> 784``; ``keep_count(0.01, 8) -> 1``.
    """
    return max(1, round(fraction * total))


def random_keep(candidates: torch.Tensor, counts: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """Keep ``counts[b]`` of clip ``b``'s candidate tokens, those with the lowest ``noise``.

    ``candidates (B, L)`` bool, ``counts (B,)`` long (at most the candidates per
    clip), ``noise (B, L)`` uniform in ``[0, 1)`` -> ``keep (B, L)`` bool, a subset of
    ``candidates`` with exactly ``counts[b]`` tokens per clip.

    Example: candidates ``[[1, 1, 0, 1]]``, counts ``[2]``, noise ``[[.9, .1, .0, .5]]``
    -> ``[[0, 1, 0, 1]]`` (token 2 is not a candidate, so its low noise does not count).
    """
    ranked = noise.masked_fill(~candidates, 2.0)  # non-candidates sort last
    order = ranked.argsort(dim=1)  # (B, L)
    ranks = torch.empty_like(order).scatter_(1, order, torch.arange(order.shape[1], device=order.device).expand_as(order))
    return ranks < counts[:, None]
