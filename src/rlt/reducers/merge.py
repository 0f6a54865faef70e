"""Bipartite soft matching (ToMe) on a packed batch: every clip merges only within itself.

Pure functions. The plan is computed once from a similarity metric and then
applied to features and sizes alike (the house pattern from ToMe's ``merge.py``,
written here for packed sequences of different lengths).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from rlt.ops import Segments


@dataclass(frozen=True)
class MergePlan:
    """Where every row goes: ``target (N,)`` indexes the ``N1`` merged rows."""

    target: torch.Tensor  # (N,) long: the merged row each old row is summed into
    rows: torch.Tensor  # (N1,) long, increasing: the old row each merged row keeps (its identity, its position)
    host_seqlens: tuple[int, ...]  # rows per clip after merging


def merge_counts(host_seqlens: tuple[int, ...], r: int) -> tuple[int, ...]:
    """Merges per clip: ``min(r, n // 2)`` (a clip of ``n`` rows has ``n // 2`` destinations).

    Example: ``merge_counts((10, 3, 1), 4) -> (4, 1, 0)``.
    """
    return tuple(min(r, n // 2) for n in host_seqlens)


def bipartite_plan(metric: torch.Tensor, segments: Segments, r: int) -> MergePlan:
    """ToMe's bipartite soft matching per clip, ``r`` merges per clip (fewer if it is short).

    ``metric (N, C)``: similarity features (ToMe: the attention keys averaged over
    heads). Within each clip, rows alternate between sources (even local index)
    and destinations (odd); each source proposes its most cosine-similar
    destination, and the ``r`` sources with the best proposals merge into them.
    Merged rows keep the order of their surviving rows (a destination keeps its
    place), so a clip's rows stay in ``(t, i, j)`` order of their identities.
    """
    n, c = metric.shape
    device = metric.device
    merges = merge_counts(segments.host_seqlens, r)
    new_host = tuple(m - k for m, k in zip(segments.host_seqlens, merges))
    if not any(merges):
        rows = torch.arange(n, device=device)
        return MergePlan(rows, rows, new_host)
    b, length = segments.batch_size, segments.max_seqlen
    ids = segments.ids  # (N,)
    local = torch.arange(n, device=device) - segments.cu_seqlens.long()[ids]  # (N,) index within its clip
    is_src = local % 2 == 0
    slot = local // 2
    unit = metric.float()
    unit = unit / unit.norm(dim=-1, keepdim=True).clamp_min(1e-12)  # (N, C) cosine similarity below
    n_src, n_dst = (length + 1) // 2, length // 2
    src = unit.new_zeros(b, n_src, c)
    dst = unit.new_zeros(b, n_dst, c)
    src[ids[is_src], slot[is_src]] = unit[is_src]
    dst[ids[~is_src], slot[~is_src]] = unit[~is_src]
    src_valid = torch.zeros(b, n_src, dtype=torch.bool, device=device)
    dst_valid = torch.zeros(b, n_dst, dtype=torch.bool, device=device)
    src_valid[ids[is_src], slot[is_src]] = True
    dst_valid[ids[~is_src], slot[~is_src]] = True

    scores = (src @ dst.transpose(1, 2)).masked_fill(~dst_valid[:, None, :], -torch.inf)  # (B, n_src, n_dst)
    best, best_dst = scores.max(dim=-1)  # (B, n_src) each
    best = best.masked_fill(~src_valid, -torch.inf)  # padding proposes nothing
    order = best.argsort(dim=-1, descending=True, stable=True)  # (B, n_src)
    rank = torch.empty_like(order).scatter_(1, order, torch.arange(n_src, device=device).expand_as(order))
    chosen = (rank < torch.tensor(merges, device=device)[:, None]) & src_valid  # (B, n_src): sources that merge

    merged = torch.zeros(n, dtype=torch.bool, device=device)
    merged[is_src] = chosen[ids[is_src], slot[is_src]]
    survive = ~merged
    new_index = survive.long().cumsum(0) - 1  # (N,) row index after merging, valid for survivors
    dst_row = segments.cu_seqlens.long()[ids[is_src]] + 2 * best_dst[ids[is_src], slot[is_src]] + 1  # (N_src,)
    target = new_index.clone()
    target[is_src] = torch.where(merged[is_src], new_index[dst_row.clamp(max=n - 1)], new_index[is_src])
    rows = survive.nonzero().squeeze(1)  # (N1,)
    return MergePlan(target, rows, new_host)


def merge_weighted(x: torch.Tensor, sizes: torch.Tensor, plan: MergePlan) -> tuple[torch.Tensor, torch.Tensor]:
    """Size-weighted average of the rows merged together: ``(N, D), (N,) -> (N1, D), (N1,)``.

    Sizes add up, so they always sum to the number of tokens that entered the encoder.
    """
    n1 = plan.rows.numel()
    new_sizes = sizes.new_zeros(n1).index_add_(0, plan.target, sizes)  # (N1,)
    acc = torch.promote_types(x.dtype, torch.float32)
    sums = x.new_zeros(n1, x.shape[1], dtype=acc).index_add_(0, plan.target, x.to(acc) * sizes.to(acc)[:, None])
    return (sums / new_sizes.to(acc)[:, None]).to(x.dtype), new_sizes
