"""One pre-norm transformer block (VideoMAE layout): attention and MLP, optional layer scale."""

from __future__ import annotations

import torch
from torch import nn

from rlt.ops import Grid, Segments

from .attention import Attention
from .drop_path import DropPath
from .reduction import BlockHook, BlockTokens


class Mlp(nn.Module):
    """``fc1 -> GELU -> dropout -> fc2 -> dropout`` on ``(N, D)``."""

    def __init__(self, width: int, hidden: int, drop: float = 0.0) -> None:
        super().__init__()
        self.fc1 = nn.Linear(width, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, width)
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.fc2(self.drop(self.act(self.fc1(x)))))


class Block(nn.Module):
    """``x + gamma_1 * attn(norm1(x))``, then ``x + gamma_2 * mlp(norm2(x))``, each with drop path.

    ``gamma_1`` / ``gamma_2`` (layer scale) exist only when ``init_values > 0``,
    matching the parameter names of VideoMAE / VideoMAEv2 checkpoints.
    """

    def __init__(
        self, width: int, heads: int, hidden: int, *, qkv_bias: bool = True, init_values: float = 0.0,
        norm_eps: float = 1e-6, drop: float = 0.0, attn_drop: float = 0.0, drop_path: float = 0.0,
        backend: str = "auto",
    ) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(width, eps=norm_eps)
        self.attn = Attention(width, heads, qkv_bias=qkv_bias, attn_drop=attn_drop, proj_drop=drop, backend=backend)
        self.norm2 = nn.LayerNorm(width, eps=norm_eps)
        self.mlp = Mlp(width, hidden, drop)
        self.drop_path = DropPath(drop_path)
        if init_values > 0:
            self.gamma_1 = nn.Parameter(torch.full((width,), float(init_values)))
            self.gamma_2 = nn.Parameter(torch.full((width,), float(init_values)))
        else:
            self.gamma_1 = self.gamma_2 = None

    def forward(
        self,
        x: torch.Tensor,
        segments: Segments,
        hook: BlockHook | None = None,
        positions: torch.Tensor | None = None,
        grid: Grid | None = None,
        index: int = 0,
    ) -> tuple[torch.Tensor, Segments, torch.Tensor | None]:
        """``x (N, D)`` laid out by ``segments`` -> ``(x (N1, D), segments, rows (N1,) or None)``.

        Without a ``hook`` ``N1 = N`` and ``rows`` is ``None``. A hook (an in-model
        reducer) runs between the attention and the MLP and may merge or drop rows;
        it sees ``positions (N,)``, ``grid`` and this block's ``index``. Drop path
        draws one decision per clip (``segments.ids``).
        """
        if hook is not None and hook.needs_keys:
            y, keys = self.attn(self.norm1(x), segments, return_keys=True)  # (N, D), (N, H, hd)
        else:
            y, keys = self.attn(self.norm1(x), segments), None
        if self.gamma_1 is not None:
            y = self.gamma_1 * y
        x = x + self.drop_path(y, segments.ids, segments.batch_size)
        rows = None
        if hook is not None:
            reduced = hook(BlockTokens(x, segments, keys, positions, grid, index))
            x, segments, rows = reduced.x, reduced.segments, reduced.rows
        y = self.mlp(self.norm2(x))  # (N1, D)
        if self.gamma_2 is not None:
            y = self.gamma_2 * y
        return x + self.drop_path(y, segments.ids, segments.batch_size), segments, rows
