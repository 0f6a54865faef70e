"""VideoMAE self-attention on a packed sequence: fused ``qkv`` plus ``q_bias`` / ``v_bias``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from rlt.attention import packed_attention


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

    def forward(self, x: torch.Tensor, cu_seqlens: torch.Tensor, max_seqlen: int) -> torch.Tensor:
        """``x (N, D)``, ``cu_seqlens (B+1,)`` int32 -> ``(N, D)``."""
        n, d = x.shape
        bias = None
        if self.q_bias is not None:
            bias = torch.cat([self.q_bias, torch.zeros_like(self.q_bias), self.v_bias])  # (3D,)
        qkv = F.linear(x, self.qkv.weight, bias).view(n, 3, self.heads, self.head_dim)  # (N, 3, H, hd)
        q, k, v = qkv.unbind(1)  # each (N, H, hd)
        out = packed_attention(
            q, k, v, cu_seqlens, max_seqlen, backend=self.backend,
            dropout_p=self.attn_drop if self.training else 0.0,
        )  # (N, H, hd)
        return self.proj_drop(self.proj(out.reshape(n, d)))
