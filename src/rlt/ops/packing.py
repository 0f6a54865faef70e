"""Packing: ``keep`` grids to one flat, clip-major token sequence and back.

Layout (DESIGN section 2): clips one after another, tokens of a clip in
``(t, i, j)`` row-major order. ``positions`` are flat grid indices
``t*H'*W' + i*W' + j``; ``cu_seqlens`` are int32 prefix sums as flash-attn's
varlen kernels want them.
"""

from __future__ import annotations

import torch

from .runs import run_starts


def cu_seqlens_from(seqlens: torch.Tensor) -> torch.Tensor:
    """``(B,)`` token counts -> ``(B+1,)`` int32 prefix sums starting at 0.

    Example: ``[3, 1, 2] -> [0, 3, 4, 6]``.
    """
    cu = torch.zeros(seqlens.numel() + 1, dtype=torch.int32, device=seqlens.device)
    cu[1:] = seqlens.cumsum(0)
    return cu


def sequence_ids(seqlens: torch.Tensor) -> torch.Tensor:
    """``(B,)`` token counts -> ``(N,)`` long: which clip each packed token belongs to.

    Example: ``[3, 1, 2] -> [0, 0, 0, 1, 2, 2]``.
    """
    return torch.repeat_interleave(torch.arange(seqlens.numel(), device=seqlens.device), seqlens)


def pack_indices(keep: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``keep (B, T', H', W') -> positions (N,), seqlens (B,), cu_seqlens (B+1,)``.

    Example: keep rows ``[[1, 0, 1], [0, 1, 0]]`` (flattened grids) give
    positions ``[0, 2, 1]``, seqlens ``[2, 1]``, cu_seqlens ``[0, 2, 3]``.
    """
    flat = keep.flatten(1)  # (B, L)
    _, positions = flat.nonzero(as_tuple=True)  # row-major: clip-major, then t, i, j
    seqlens = flat.sum(1)
    return positions, seqlens, cu_seqlens_from(seqlens)


def gather_packed(values: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Select the kept tokens of per-grid values: ``(B, L, ...) -> (N, ...)``."""
    return values[keep.flatten(1)]


def unpack(values: torch.Tensor, keep: torch.Tensor, fill: float | int | bool = 0) -> torch.Tensor:
    """Scatter packed per-token values back onto the full grid.

    ``values (N, ...)``, ``keep (B, T', H', W')`` -> ``(B, T'*H'*W', ...)`` with
    ``fill`` at dropped tokens. Inverse of :func:`gather_packed`.
    """
    flat = keep.flatten(1)
    if values.shape[0] != int(flat.sum()):
        raise ValueError(f"values has {values.shape[0]} rows but keep selects {int(flat.sum())} tokens")
    out = values.new_full((*flat.shape, *values.shape[1:]), fill)
    out[flat] = values
    return out


def run_source_index(keep: torch.Tensor) -> torch.Tensor:
    """For every grid token, the packed index of the kept token whose run covers it.

    ``keep (B, T', H', W') -> (B, T'*H'*W')`` long, indices into ``0..N-1``.
    """
    b, t_, h_, w_ = keep.shape
    n = int(keep.sum())
    packed_index = unpack(torch.arange(n, device=keep.device), keep, fill=-1).view(b, t_, h_, w_)
    return packed_index.gather(1, run_starts(keep)).flatten(1)


def expand_runs(values: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Copy each kept token's value over its whole run.

    ``values (N, ...)`` -> ``(B, T'*H'*W', ...)``: the dense grid a clip would have
    if every dropped token repeated the token of its run.
    """
    return values[run_source_index(keep)]
