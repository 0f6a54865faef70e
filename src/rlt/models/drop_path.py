"""Stochastic depth over packed sequences: one drop decision per clip, not per token."""

from __future__ import annotations

import torch
from torch import nn


def drop_path(x: torch.Tensor, p: float, training: bool, sequence_ids: torch.Tensor, num_clips: int) -> torch.Tensor:
    """Zero the residual branch ``x (N, D)`` of whole clips with probability ``p``; rescale the rest.

    ``sequence_ids (N,)`` names each token's clip. In a padded batch this is
    timm's per-sample drop path; packing must not turn it into per-token dropout.
    """
    if p == 0.0 or not training:
        return x
    keep = x.new_empty(num_clips).bernoulli_(1.0 - p).div_(1.0 - p)  # (B,)
    return x * keep[sequence_ids].unsqueeze(-1)


class DropPath(nn.Module):
    """Module wrapper of :func:`drop_path` holding the rate."""

    def __init__(self, p: float = 0.0) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor, sequence_ids: torch.Tensor, num_clips: int) -> torch.Tensor:
        return drop_path(x, self.p, self.training, sequence_ids, num_clips)

    def extra_repr(self) -> str:
        return f"p={self.p}"
