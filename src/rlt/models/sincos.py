"""VideoMAE's fixed sinusoidal position table over the flat token index."""

from __future__ import annotations

import torch


def sinusoid_table(num_positions: int, dim: int) -> torch.Tensor:
    """The table VideoMAE adds to its tokens: ``(num_positions, dim)`` float32.

    Row ``n`` column ``k`` is ``sin(n / 10000**(2*(k//2)/dim))`` for even ``k`` and
    ``cos`` of the same angle for odd ``k``. Row ``n`` does not depend on
    ``num_positions``, so a longer table extends a shorter one. Computed in float64
    like the reference (numpy) implementation, then rounded to float32.
    """
    if num_positions < 0 or dim < 1:
        raise ValueError(f"need num_positions >= 0 and dim >= 1, got {num_positions}, {dim}")
    pos = torch.arange(num_positions, dtype=torch.float64)[:, None]  # (L, 1)
    k = torch.arange(dim, dtype=torch.float64)
    angle = pos / torch.pow(10000.0, 2 * torch.div(k, 2, rounding_mode="floor") / dim)  # (L, dim)
    table = torch.empty_like(angle)
    table[:, 0::2] = angle[:, 0::2].sin()
    table[:, 1::2] = angle[:, 1::2].cos()
    return table.float()
