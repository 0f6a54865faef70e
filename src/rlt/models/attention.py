"""VideoMAE self-attention on a packed sequence: fused ``qkv`` plus ``q_bias`` / ``v_bias``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from rlt.attention import packed_attention
from rlt.ops import Segments


class Attention(nn.Module):
    """Multi-head self-attention; tokens attend only within their own clip.

    The key bias is fixed at zero (softmax is invariant to it), so checkpoints
    store ``qkv.weight (3D, D)`` without bias plus ``q_bias (D,)`` and ``v_bias (D,)``.
    """

    def __init__(
        self, width: int, heads: int, *, qkv_bias: bool = True, attn_drop: float = 0.0, proj_drop: float = 0.0,
        backend: str = "auto",
    ) -> None:
        super().__init__()
        self.heads = heads
        self.head_dim = width // heads
        self.attn_drop = attn_drop
        self.backend = backend
        self.qkv = nn.Linear(width, 3 * width, bias=False)
        self.q_bias = nn.Parameter(torch.zeros(width)) if qkv_bias else None
        self.v_bias = nn.Parameter(torch.zeros(width)) if qkv_bias else None
        self.proj = nn.Linear(width, width)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(
        self, x: torch.Tensor, segments: Segments, *, return_keys: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """``x (N, D)`` laid out by ``segments`` -> ``(N, D)``; with ``return_keys`` also the keys ``(N, H, hd)``.

        Rows that stand for several merged tokens (``segments.sizes``) get ToMe's
        proportional attention: ``log(size)`` is added to their key's logits.
        """
        n, d = x.shape
        bias = None
        if self.q_bias is not None:
            bias = torch.cat([self.q_bias, torch.zeros_like(self.q_bias), self.v_bias])  # (3D,)
        qkv = F.linear(x, self.qkv.weight, bias).view(n, 3, self.heads, self.head_dim)  # (N, 3, H, hd)
        q, k, v = qkv.unbind(1)  # each (N, H, hd)
        out = packed_attention(
            q, k, v, segments.cu_seqlens, segments.max_seqlen, backend=self.backend,
            dropout_p=self.attn_drop if self.training else 0.0,
            key_bias=segments.key_bias, host_seqlens=segments.host_seqlens,
        )  # (N, H, hd)
        out = self.proj_drop(self.proj(out.reshape(n, d)))  # (N, D)
        return (out, k) if return_keys else out
