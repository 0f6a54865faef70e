"""Run lengths and run membership, computed from a ``keep`` grid alone."""

from __future__ import annotations

import torch


def _check_keep(keep: torch.Tensor) -> None:
    if keep.dim() != 4 or keep.dtype != torch.bool:
        raise ValueError(f"keep must be a bool tensor (B, T', H', W'), got {keep.dtype} shape {tuple(keep.shape)}")
    if keep.shape[1] and not bool(keep[:, 0].all()):
        raise ValueError("keep must keep every token at t = 0 (each run starts at a kept token)")


def run_lengths_grid(keep: torch.Tensor) -> torch.Tensor:
    """Run length of every kept token on the grid.

    ``keep (B, T', H', W') bool -> (B, T', H', W') long``: ``t_next - t`` at kept
    tokens, where ``t_next`` is the next kept ``t' > t`` at the same ``(i, j)``
    (or ``T'``), and 0 at dropped tokens. Lengths at each ``(i, j)`` sum to ``T'``.

    Example: keep over t ``[1, 0, 1, 0]`` -> ``[2, 0, 2, 0]``.
    """
    _check_keep(keep)
    t_ = keep.shape[1]
    t_idx = torch.arange(t_, device=keep.device).view(1, t_, 1, 1)
    kept_t = torch.where(keep, t_idx, torch.full_like(t_idx, t_))  # (B, T', H', W')
    # Suffix minimum over t' >= t, then shifted by one: the next kept t' > t.
    suffix_min = kept_t.flip(1).cummin(1).values.flip(1)
    next_kept = torch.cat([suffix_min[:, 1:], torch.full_like(suffix_min[:, :1], t_)], dim=1)
    return torch.where(keep, next_kept - t_idx, torch.zeros_like(next_kept))


def run_starts(keep: torch.Tensor) -> torch.Tensor:
    """For every token, the ``t`` of the kept token whose run covers it.

    ``keep (B, T', H', W') -> (B, T', H', W') long``. Kept tokens map to themselves.
    Example: keep over t ``[1, 0, 1, 0]`` -> ``[0, 0, 2, 2]``.
    """
    _check_keep(keep)
    t_ = keep.shape[1]
    t_idx = torch.arange(t_, device=keep.device).view(1, t_, 1, 1)
    kept_t = torch.where(keep, t_idx, torch.full_like(t_idx, -1))
    return kept_t.cummax(1).values
