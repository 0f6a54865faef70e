"""Plain math reference: an explicit softmax per packed sequence. Runs everywhere."""

from __future__ import annotations

import itertools

import torch

from .capability import Capability


def math_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    cu_seqlens: torch.Tensor,
    max_seqlen: int,
    *,
    dropout_p: float = 0.0,
    scale: float | None = None,
    key_bias: torch.Tensor | None = None,
    host_seqlens: tuple[int, ...] | None = None,
) -> torch.Tensor:
    """Block-diagonal attention, one sequence at a time, softmax written out.

    ``q, k, v: (N, heads, head_dim)``; ``cu_seqlens: (B+1,)``. Returns ``(N, heads, head_dim)``.
    ``key_bias (N,)`` is added to the logits of every query for that key.
    Scores and softmax are computed in float32 whatever the input dtype, so this
    is the yardstick every other backend is tested against.
    """
    scale = q.shape[-1] ** -0.5 if scale is None else scale
    out = torch.empty_like(q)
    bounds = cu_seqlens.tolist() if host_seqlens is None else [0, *itertools.accumulate(host_seqlens)]
    for start, end in zip(bounds[:-1], bounds[1:]):
        if end == start:
            continue
        qs, ks, vs = (x[start:end].transpose(0, 1) for x in (q, k, v))  # (heads, L, head_dim)
        scores = (qs.float() @ ks.float().transpose(-2, -1)) * scale  # (heads, L, L)
        if key_bias is not None:
            scores = scores + key_bias[start:end].float()  # (heads, L, L): one bias per key column
        probs = scores.softmax(-1)
        if dropout_p > 0.0:
            probs = torch.nn.functional.dropout(probs, p=dropout_p)
        out[start:end] = (probs @ vs.float()).to(q.dtype).transpose(0, 1)
    return out


def check(device: torch.device, dtype: torch.dtype, requires_grad: bool, dropout: bool) -> Capability:
    """The reference runs on every device, dtype and grad mode."""
    return True, ""
