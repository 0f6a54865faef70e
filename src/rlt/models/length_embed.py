"""Run-length embedding: a learned vector per run length, added to each kept token."""

from __future__ import annotations

import torch
from torch import nn


class LengthEmbedding(nn.Module):
    """``lengths (N,)`` long in ``1..max_length`` -> ``(N, D)``: row ``length - 1`` of a table.

    ``lengths`` must be in token order (``PackedBatch.lengths`` is), so each token
    gets its own run's length. Zero-initialised: a model trained without it gives
    the same outputs until the table is fine-tuned.
    """

    def __init__(self, max_length: int, width: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(max_length, width))

    @property
    def max_length(self) -> int:
        return self.weight.shape[0]

    def forward(self, lengths: torch.Tensor) -> torch.Tensor:
        # Range is checked by the caller from the grid's T' (a shape, so no device sync).
        return self.weight[lengths - 1]  # (N, D)
