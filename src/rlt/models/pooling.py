"""Pooling a packed sequence to one vector per clip, with segment sums (no loop over clips)."""

from __future__ import annotations

import torch

from rlt.ops import PackedBatch

POOLINGS = ("mean", "run_weighted", "first")


def segment_sum(values: torch.Tensor, sequence_ids: torch.Tensor, num_segments: int) -> torch.Tensor:
    """Sum rows of ``values (N, ...)`` per segment: ``-> (num_segments, ...)``, accumulated in float32.

    Example: values ``[1, 2, 3]``, sequence_ids ``[0, 0, 1]`` -> ``[3, 3]``.
    """
    acc_dtype = torch.promote_types(values.dtype, torch.float32)
    out = values.new_zeros((num_segments, *values.shape[1:]), dtype=acc_dtype)
    return out.index_add_(0, sequence_ids, values.to(acc_dtype))


def pool_packed(x: torch.Tensor, packed: PackedBatch, mode: str = "mean") -> torch.Tensor:
    """One vector per clip from packed features ``x (N, D)`` -> ``(B, D)``, in ``x``'s dtype.

    - ``"mean"``: the paper's plain mean over each clip's kept tokens.
    - ``"run_weighted"``: each token weighted by its run length; equals the mean over
      the full ``T'*H'*W'`` grid had every dropped token copied its run's token.
    - ``"first"``: the clip's first token (``(0, 0, 0)``, which RLT always keeps), as
      VideoMAE does when ``use_mean_pooling`` is off.

    After in-model merging (``packed.sizes`` set) ``"mean"`` and ``"run_weighted"``
    weight each row by how many tokens it stands for (ToMe's size-weighted mean;
    the run lengths of merged tokens are not tracked), and ``"first"`` is refused.
    """
    if x.shape[0] != packed.num_tokens:
        raise ValueError(f"x has {x.shape[0]} rows but the packed batch has {packed.num_tokens} tokens")
    if mode not in POOLINGS:
        raise ValueError(f"unknown pooling {mode!r}; expected one of {', '.join(map(repr, POOLINGS))}")
    if mode == "first":
        if packed.merged:
            raise ValueError("pooling 'first' needs each clip's first token, which an in-model reducer may merge away")
        return x[packed.cu_seqlens[:-1].long()]  # (B, D)
    b = packed.batch_size
    ids = packed.sequence_ids  # (N,)
    if packed.merged:
        acc_dtype = torch.promote_types(x.dtype, torch.float32)
        weights = packed.sizes.to(acc_dtype)  # (N,)
        sums = segment_sum(x.to(acc_dtype) * weights[:, None], ids, b)  # (B, D)
        counts = segment_sum(weights, ids, b).clamp_min(1)  # (B,)
    elif mode == "mean":
        sums = segment_sum(x, ids, b)  # (B, D)
        counts = packed.seqlens.to(sums.dtype).clamp_min(1)  # (B,)
    elif mode == "run_weighted":
        acc_dtype = torch.promote_types(x.dtype, torch.float32)
        weights = packed.lengths.to(acc_dtype)  # (N,)
        sums = segment_sum(x.to(acc_dtype) * weights[:, None], ids, b)  # (B, D)
        counts = segment_sum(weights, ids, b).clamp_min(1)  # (B,): T'*H'*W' for a valid RLT plan
    return (sums / counts[:, None]).to(x.dtype)
