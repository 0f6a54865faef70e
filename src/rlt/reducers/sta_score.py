"""The STA score as pure functions: temporal redundancy accumulated over time, over semantic importance.

Written from the description in Ding et al., "Prune Spatio-temporal Tokens by
Semantic-aware Temporal Accumulation" (ICCV 2023, arXiv 2308.04549); see
:mod:`rlt.reducers.sta` for exactly which variant this is.
"""

from __future__ import annotations

import torch

from rlt.ops import Grid, Segments


def temporal_accumulation(metric: torch.Tensor, positions: torch.Tensor, ids: torch.Tensor, batch: int,
                          grid: Grid) -> torch.Tensor:
    """Accumulated temporal redundancy of every row: ``(N,)`` float, 0 for a region seen for the first time.

    ``metric (N, C)`` unit vectors, ``positions (N,)`` flat grid indices, ``ids (N,)``
    clips. For a row at time ``t``, ``s`` = its best cosine similarity (clamped at 0)
    to the rows of the same clip at the latest earlier time that has any, and
    ``acc = s * (1 + acc[best match])``: redundancy flows along the best match, so
    a region that has looked the same for many steps scores high, and one that
    has just appeared scores 0. Example: three identical frames give 0, 1, 2.
    """
    n, c = metric.shape
    hw = grid.h * grid.w
    t_of, s_of = positions // hw, positions % hw  # (N,) each
    dense = metric.new_zeros(batch, grid.t, hw, c)  # (B, T', H'W', C)
    dense[ids, t_of, s_of] = metric
    valid = torch.zeros(batch, grid.t, hw, dtype=torch.bool, device=metric.device)
    valid[ids, t_of, s_of] = True
    acc = metric.new_zeros(batch, grid.t, hw)
    prev_dense, prev_valid, prev_acc = dense[:, 0], valid[:, 0], acc[:, 0]  # latest earlier time with rows
    for t in range(1, grid.t):
        sim = dense[:, t] @ prev_dense.transpose(1, 2)  # (B, H'W', H'W')
        sim = sim.masked_fill(~prev_valid[:, None, :], -torch.inf)
        best, match = sim.max(dim=-1)  # (B, H'W')
        step = best.clamp_min(0.0).nan_to_num(0.0, neginf=0.0)  # no earlier rows: new region
        acc[:, t] = step * (1.0 + prev_acc.gather(1, match))
        has_rows = valid[:, t].any(dim=1)  # (B,): clips with rows at t move their reference forward
        prev_dense = torch.where(has_rows[:, None, None], dense[:, t], prev_dense)
        prev_valid = torch.where(has_rows[:, None], valid[:, t], prev_valid)
        prev_acc = torch.where(has_rows[:, None], acc[:, t], prev_acc)
    return acc[ids, t_of, s_of]  # (N,)


def semantic_importance(x: torch.Tensor, segments: Segments) -> torch.Tensor:
    """Each row's feature activation (L2 norm) over its clip's mean activation: ``(N,)``, mean 1 per clip."""
    norms = x.float().norm(dim=-1)  # (N,)
    sums = norms.new_zeros(segments.batch_size).index_add_(0, segments.ids, norms)
    means = sums / segments.seqlens.clamp_min(1).to(norms.dtype)
    return norms / means[segments.ids].clamp_min(1e-12)


def prune_rows(scores: torch.Tensor, segments: Segments, keep_per_clip: tuple[int, ...]) -> torch.Tensor:
    """Rows to keep, ``(N1,)`` long increasing: in each clip the ``keep_per_clip[b]`` lowest ``scores``.

    Ties keep the earlier row.
    """
    n = scores.shape[0]
    b, length = segments.batch_size, segments.max_seqlen
    local = torch.arange(n, device=scores.device) - segments.cu_seqlens.long()[segments.ids]  # (N,)
    padded = scores.new_full((b, length), torch.inf)
    padded[segments.ids, local] = scores.float()
    order = padded.argsort(dim=1, stable=True)  # (B, L): lowest score first
    rank = torch.empty_like(order).scatter_(1, order, torch.arange(length, device=scores.device).expand_as(order))
    limit = torch.tensor(keep_per_clip, device=scores.device)
    kept = rank[segments.ids, local] < limit[segments.ids]  # (N,)
    return kept.nonzero().squeeze(1)
