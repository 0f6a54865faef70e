"""PyTorch SDPA once per packed sequence, on 4-D views so the fused kernel is used.

On CPU this is the fastest backend we measured, forward and backward
(``benchmarks/attention_cpu.md``): each sequence is attended without padding,
and the 4-D ``(1, heads, L, head_dim)`` layout lets SDPA pick its fused flash
kernel (``aten::_scaled_dot_product_flash_attention_for_cpu``). Given 3-D
``(heads, L, head_dim)`` inputs SDPA silently takes the slow math kernel instead.
The fused CPU kernel has no dropout; with ``dropout_p > 0`` SDPA falls back to its
math kernel, still correct.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .capability import Capability


def sdpa_loop_attention(
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
    """Block-diagonal attention as one SDPA call per sequence.

    ``q, k, v: (N, heads, head_dim)``; ``cu_seqlens: (B+1,)``. Returns ``(N, heads, head_dim)``.
    ``key_bias (N,)`` is added to every query's logit for that key (an SDPA float mask).
    Sequence lengths come from ``host_seqlens`` when given; otherwise ``cu_seqlens``
    is read on the host (a device sync on accelerators).
    """
    lengths = list(host_seqlens) if host_seqlens is not None else cu_seqlens.diff().tolist()
    biases = key_bias.to(q.dtype).split(lengths) if key_bias is not None else [None] * len(lengths)
    outs = []
    # split, not one slice per sequence: its backward writes the gradient pieces into one
    # tensor, where slicing would allocate and sum a full (N, H, D) gradient per sequence.
    for qs, ks, vs, bias in zip(q.split(lengths), k.split(lengths), v.split(lengths), biases):
        # Strided views, no copies: (L, H, D) -> (1, H, L, D); SDPA's kernels take any strides.
        qs, ks, vs = (x.transpose(0, 1).unsqueeze(0) for x in (qs, ks, vs))
        mask = None if bias is None else bias.view(1, 1, 1, -1)  # (1, 1, 1, L): one logit per key
        o = F.scaled_dot_product_attention(qs, ks, vs, attn_mask=mask, dropout_p=dropout_p, scale=scale)
        outs.append(o[0].transpose(0, 1))  # (L, H, D)
    if not outs:  # an empty batch: cu_seqlens == [0]
        return q.clone()  # (0, H, D), still on q's autograd graph
    return torch.cat(outs)  # (N, H, D)


def check(device: torch.device, dtype: torch.dtype, requires_grad: bool, dropout: bool) -> Capability:
    """SDPA exists on every device PyTorch supports; the fused path depends on it."""
    return True, ""
