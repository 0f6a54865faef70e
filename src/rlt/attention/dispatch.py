"""The one attention entry point for packed sequences; picks a backend by name or availability."""

from __future__ import annotations

import os

import torch

from .reference import math_attention

BACKENDS = {"math": math_attention}


def packed_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    cu_seqlens: torch.Tensor,
    max_seqlen: int,
    *,
    backend: str = "auto",
    dropout_p: float = 0.0,
    scale: float | None = None,
) -> torch.Tensor:
    """Block-diagonal attention over a packed batch: no clip attends to another.

    ``q, k, v: (N, heads, head_dim)``, ``cu_seqlens: (B+1,)`` int32 prefix sums.
    ``backend="auto"`` honours ``RLT_ATTENTION`` and otherwise picks the fastest
    available backend. Returns ``(N, heads, head_dim)``.
    """
    name = os.environ.get("RLT_ATTENTION", "auto") if backend == "auto" else backend
    if name == "auto":
        name = "math"
    if name not in BACKENDS:
        raise ValueError(f"unknown attention backend {name!r}; expected one of {sorted(BACKENDS)} or 'auto'")
    return BACKENDS[name](q, k, v, cu_seqlens, max_seqlen, dropout_p=dropout_p, scale=scale)
