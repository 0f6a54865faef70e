"""One Hugging Face ``VideoMAELayer`` run on a packed sequence, with its own parameters.

Only the attention kernel changes: ``rlt.attention.packed_attention`` keeps every
clip to itself. The layer norms, the output projection, the MLP (with HF's own
activation) and the dropouts are the layer's own submodules, called as HF calls them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from rlt.attention import packed_attention


def _query_value_biases(self_attention: nn.Module) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    # transformers >= 5 keeps them as query.bias / value.bias; 4.x as separate q_bias / v_bias parameters.
    q_bias = getattr(self_attention, "q_bias", None)
    v_bias = getattr(self_attention, "v_bias", None)
    if q_bias is None:
        q_bias = self_attention.query.bias
    if v_bias is None:
        v_bias = self_attention.value.bias
    return q_bias, v_bias


def packed_self_attention(
    self_attention: nn.Module,
    x: torch.Tensor,
    cu_seqlens: torch.Tensor,
    max_seqlen: int,
    *,
    heads: int,
    dropout_p: float = 0.0,
    backend: str = "auto",
    host_seqlens: tuple[int, ...] | None = None,
) -> torch.Tensor:
    """HF ``VideoMAESelfAttention`` on packed ``x (N, D)`` -> context ``(N, D)`` before the output projection.

    The key has no bias (as in VideoMAE); the query and value biases are HF's.
    """
    n, d = x.shape
    q_bias, v_bias = _query_value_biases(self_attention)
    q = F.linear(x, self_attention.query.weight, q_bias).view(n, heads, d // heads)  # (N, H, hd)
    k = F.linear(x, self_attention.key.weight, self_attention.key.bias).view(n, heads, d // heads)  # (N, H, hd)
    v = F.linear(x, self_attention.value.weight, v_bias).view(n, heads, d // heads)  # (N, H, hd)
    out = packed_attention(
        q, k, v, cu_seqlens, max_seqlen, backend=backend, dropout_p=dropout_p, host_seqlens=host_seqlens
    )  # (N, H, hd)
    return out.reshape(n, d)


def packed_layer(
    layer: nn.Module,
    h: torch.Tensor,
    cu_seqlens: torch.Tensor,
    max_seqlen: int,
    *,
    heads: int,
    dropout_p: float = 0.0,
    backend: str = "auto",
    host_seqlens: tuple[int, ...] | None = None,
) -> torch.Tensor:
    """``VideoMAELayer`` on packed ``h (N, D)`` -> ``(N, D)``: HF's pre-norm block with packed attention."""
    x = layer.layernorm_before(h)  # (N, D)
    context = packed_self_attention(
        layer.attention.attention, x, cu_seqlens, max_seqlen, heads=heads, dropout_p=dropout_p, backend=backend,
        host_seqlens=host_seqlens,
    )
    h = layer.attention.output(context, x) + h  # output projection + dropout, first residual
    y = layer.intermediate(layer.layernorm_after(h))  # (N, M): dense + HF's activation
    return layer.output(y, h)  # dense + dropout + second residual
