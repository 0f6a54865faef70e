"""xformers' memory-efficient attention with a ``BlockDiagonalMask`` (CUDA)."""

from __future__ import annotations

import torch

from .capability import Capability, installed, requirements


def _xformers_installed() -> bool:
    """Capability flag: whether the xformers package can be imported (patched in tests)."""
    return installed("xformers")


def xformers_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    cu_seqlens: torch.Tensor,
    max_seqlen: int,
    *,
    dropout_p: float = 0.0,
    scale: float | None = None,
) -> torch.Tensor:
    """Block-diagonal attention with ``xformers.ops.memory_efficient_attention``.

    ``q, k, v: (N, heads, head_dim)`` on CUDA; ``cu_seqlens: (B+1,)``.
    Returns ``(N, heads, head_dim)``. Reads the lengths on the host to build the mask.
    """
    from xformers.ops import memory_efficient_attention
    from xformers.ops.fmha import BlockDiagonalMask

    # Zero-length sequences own no rows, so leaving them out of the mask changes nothing.
    seqlens = [n for n in cu_seqlens.diff().tolist() if n > 0]
    if not seqlens:
        return q.clone()  # (0, H, D), still on q's autograd graph
    bias = BlockDiagonalMask.from_seqlens(seqlens)
    # xformers wants (batch, tokens, heads, head_dim): the packed batch is one long row.
    out = memory_efficient_attention(q[None], k[None], v[None], attn_bias=bias, p=dropout_p, scale=scale)
    return out[0]  # (N, H, D)


def check(device: torch.device, dtype: torch.dtype, requires_grad: bool, dropout: bool) -> Capability:
    """Needs the xformers package and a CUDA device."""
    unmet = []
    if not _xformers_installed():
        unmet.append(("the xformers package (pip install xformers)", "xformers not installed"))
    if device.type != "cuda":
        unmet.append(("a CUDA device", device.type))
    return requirements("xformers", unmet)
