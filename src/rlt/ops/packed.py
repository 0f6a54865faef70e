"""The packed batch: one flat token sequence plus the plan that produced it."""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from .grid import Grid
from .packing import expand_runs, pack_indices, sequence_ids, unpack
from .runs import run_lengths_grid


@dataclass(frozen=True)
class PackedBatch:
    """A batch of clips with different token counts, as one sequence (DESIGN section 2).

    ``N = seqlens.sum()``; the tokens of clip ``b`` are rows
    ``cu_seqlens[b]:cu_seqlens[b+1]``, in ``(t, i, j)`` order.
    """

    keep: torch.Tensor  # (B, T', H', W') bool: which tokens survive
    positions: torch.Tensor  # (N,) long: flat grid index t*H'*W' + i*W' + j
    lengths: torch.Tensor  # (N,) long: run length of each kept token, 1..T'
    seqlens: torch.Tensor  # (B,) long: tokens per clip
    cu_seqlens: torch.Tensor  # (B+1,) int32: prefix sums of seqlens
    tokens: torch.Tensor  # (N, C*ts*p*p) tubelet pixels, or (N, D) embeddings
    max_seqlen: int  # largest entry of seqlens, kept as an int to avoid device syncs
    tubelet_size: int = 2
    patch_size: int = 16

    @classmethod
    def from_keep(
        cls, keep: torch.Tensor, tokens: torch.Tensor, *, tubelet_size: int = 2, patch_size: int = 16
    ) -> PackedBatch:
        """Build the packed layout of ``keep`` around already-gathered ``tokens (N, ...)``."""
        positions, seqlens, cu = pack_indices(keep)
        if tokens.shape[0] != positions.numel():
            raise ValueError(f"tokens has {tokens.shape[0]} rows but keep selects {positions.numel()} tokens")
        lengths = run_lengths_grid(keep).flatten(1)[keep.flatten(1)]
        max_seqlen = int(seqlens.max()) if seqlens.numel() else 0
        return cls(keep, positions, lengths, seqlens, cu, tokens, max_seqlen, tubelet_size, patch_size)

    @property
    def grid(self) -> Grid:
        return Grid(*self.keep.shape[1:])

    @property
    def batch_size(self) -> int:
        return self.keep.shape[0]

    @property
    def num_tokens(self) -> int:
        return self.positions.numel()

    @property
    def sequence_ids(self) -> torch.Tensor:
        """``(N,)`` long: the clip of each packed token."""
        return sequence_ids(self.seqlens)

    @property
    def kept_fraction(self) -> torch.Tensor:
        """``(B,)`` float: kept tokens over grid tokens, per clip."""
        return self.seqlens.float() / self.grid.numel

    def with_tokens(self, tokens: torch.Tensor) -> PackedBatch:
        """The same plan carrying other per-token values (e.g. embeddings ``(N, D)``)."""
        if tokens.shape[0] != self.num_tokens:
            raise ValueError(f"tokens has {tokens.shape[0]} rows, expected {self.num_tokens}")
        return replace(self, tokens=tokens)

    def unpack(self, values: torch.Tensor | None = None, fill: float | int | bool = 0) -> torch.Tensor:
        """Scatter ``values (N, ...)`` (default: the tokens) to ``(B, T'*H'*W', ...)``."""
        return unpack(self.tokens if values is None else values, self.keep, fill)

    def expand_runs(self, values: torch.Tensor | None = None) -> torch.Tensor:
        """Copy each kept token's value over its run: ``(N, ...) -> (B, T'*H'*W', ...)``."""
        return expand_runs(self.tokens if values is None else values, self.keep)

    def to(self, device: torch.device | str) -> PackedBatch:
        """Move every tensor to ``device`` (only when the caller asks)."""
        fields = ("keep", "positions", "lengths", "seqlens", "cu_seqlens", "tokens")
        return replace(self, **{f: getattr(self, f).to(device) for f in fields})
