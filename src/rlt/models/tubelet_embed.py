"""Tubelet embedding: a Conv3d with kernel = stride = (ts, p, p), applied to kept tubelets only."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class TubeletEmbed(nn.Module):
    """Embeds packed tubelet pixels ``(N, C*ts*p*p) -> (N, D)``.

    Holds an ``nn.Conv3d`` so the weight has the checkpoint shape ``(D, C, ts, p, p)``
    and the usual init; because tubelets are flattened in ``(c, dt, dy, dx)`` order,
    the convolution over one tubelet is a matmul with ``weight.flatten(1)``, so only
    the kept tubelets are ever embedded.
    """

    def __init__(self, in_chans: int, width: int, tubelet_size: int, patch_size: int) -> None:
        super().__init__()
        kernel = (tubelet_size, patch_size, patch_size)
        self.proj = nn.Conv3d(in_chans, width, kernel_size=kernel, stride=kernel)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        weight = self.proj.weight.flatten(1)  # (D, C*ts*p*p)
        if tokens.shape[-1] != weight.shape[1]:
            raise ValueError(f"tubelet tokens have {tokens.shape[-1]} values, expected C*ts*p*p = {weight.shape[1]}")
        return F.linear(tokens, weight, self.proj.bias)  # (N, D)
