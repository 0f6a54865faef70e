"""The packed batch: one flat token sequence plus the plan that produced it."""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from .grid import Grid
from .packing import expand_runs, pack_indices, sequence_ids, unpack
from .runs import run_lengths_grid
from .segments import Segments


@dataclass(frozen=True)
class PackedBatch:
    """A batch of clips with different token counts, as one sequence (DESIGN section 2).

    ``N = seqlens.sum()``; the tokens of clip ``b`` are rows
    ``cu_seqlens[b]:cu_seqlens[b+1]``, in ``(t, i, j)`` order.

    A batch whose rows were merged or pruned inside the model (ToMe, STA) carries
    ``sizes``: its rows no longer map one-to-one onto ``keep``, ``positions`` and
    ``lengths`` then describe each row's representative token, and :meth:`unpack`
    and :meth:`expand_runs` refuse it.
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
    sizes: torch.Tensor | None = None  # (N,) float: input tokens merged into each row; None = not merged

    @classmethod
    def from_keep(
        cls,
        keep: torch.Tensor,
        tokens: torch.Tensor,
        *,
        lengths: torch.Tensor | None = None,
        tubelet_size: int = 2,
        patch_size: int = 16,
    ) -> PackedBatch:
        """Build the packed layout of ``keep`` around already-gathered ``tokens (N, ...)``.

        ``lengths (N,)`` long is each kept token's run length. ``None`` computes RLT
        run lengths from ``keep``, which needs every ``t = 0`` token kept (an RLT
        plan); any other plan (random masking) passes its own, e.g. ones.
        """
        positions, seqlens, cu = pack_indices(keep)
        if tokens.shape[0] != positions.numel():
            raise ValueError(f"tokens has {tokens.shape[0]} rows but keep selects {positions.numel()} tokens")
        if lengths is None:
            lengths = run_lengths_grid(keep).flatten(1)[keep.flatten(1)]  # (N,)
        elif lengths.shape != positions.shape:
            raise ValueError(f"lengths has shape {tuple(lengths.shape)}, expected ({positions.numel()},)")
        max_seqlen = int(seqlens.max()) if seqlens.numel() else 0
        return cls(keep, positions, lengths, seqlens, cu, tokens, max_seqlen, tubelet_size, patch_size)

    def __repr__(self) -> str:
        b, t_, h_, w_ = self.keep.shape
        merged = ", merged" if self.merged else ""
        return (
            f"PackedBatch(clips={b}, grid=({t_}, {h_}, {w_}), tokens={self.num_tokens} of {b * t_ * h_ * w_}, "
            f"max_seqlen={self.max_seqlen}, token_shape={tuple(self.tokens.shape)}, dtype={self.tokens.dtype}, "
            f"device={self.tokens.device}{merged})"
        )

    @property
    def merged(self) -> bool:
        """True when rows were merged or pruned inside the model: rows no longer map onto ``keep``."""
        return self.sizes is not None

    @property
    def segments(self) -> Segments:
        """The clip layout of the rows (reads ``seqlens`` on the host once)."""
        return Segments(
            self.seqlens, self.cu_seqlens, self.sequence_ids, self.max_seqlen,
            tuple(int(n) for n in self.seqlens.tolist()), self.sizes,
        )

    def with_segments(self, tokens: torch.Tensor, segments: Segments, representative: torch.Tensor) -> PackedBatch:
        """The batch after in-model merging: ``tokens (N1, D)`` laid out by ``segments``.

        ``representative (N1,)`` long indexes each row's token in this batch;
        positions and lengths are taken from it. The result is marked merged.
        """
        sizes = segments.sizes if segments.sizes is not None else tokens.new_ones(tokens.shape[0])
        return replace(
            self, positions=self.positions[representative], lengths=self.lengths[representative],
            seqlens=segments.seqlens, cu_seqlens=segments.cu_seqlens, tokens=tokens,
            max_seqlen=segments.max_seqlen, sizes=sizes,
        )

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

    def _check_unmerged(self, what: str) -> None:
        if self.merged:
            raise ValueError(
                f"cannot {what}: this batch was merged by an in-model reducer (ToMe/STA), so its "
                f"{self.num_tokens} rows no longer map onto the kept grid tokens"
            )

    def unpack(self, values: torch.Tensor | None = None, fill: float | int | bool = 0) -> torch.Tensor:
        """Scatter ``values (N, ...)`` (default: the tokens) to ``(B, T'*H'*W', ...)``."""
        self._check_unmerged("unpack")
        return unpack(self.tokens if values is None else values, self.keep, fill)

    def expand_runs(self, values: torch.Tensor | None = None) -> torch.Tensor:
        """Copy each kept token's value over its run: ``(N, ...) -> (B, T'*H'*W', ...)``."""
        self._check_unmerged("expand runs")
        return expand_runs(self.tokens if values is None else values, self.keep)

    def to(self, device: torch.device | str) -> PackedBatch:
        """Move every tensor to ``device`` (only when the caller asks)."""
        fields = ("keep", "positions", "lengths", "seqlens", "cu_seqlens", "tokens")
        moved = {f: getattr(self, f).to(device) for f in fields}
        return replace(self, **moved, sizes=None if self.sizes is None else self.sizes.to(device))
