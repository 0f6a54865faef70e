"""The seam between the block loop and an in-model reducer (ToMe, STA).

The model knows nothing of the reducer beyond this: before block ``i`` it asks
``reducer.block_hook(i, depth)`` for a :class:`BlockHook` (or ``None``); the
block runs attention, hands the hook a :class:`BlockTokens` view of its tokens,
and continues its MLP on whatever :class:`Reduction` comes back. The reduction
sits between a block's attention and its MLP, where ToMe merges.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import torch

from rlt.ops import Grid, PackedBatch, Segments


@dataclass(frozen=True)
class BlockTokens:
    """What an in-model reducer may look at, after block ``index``'s attention."""

    x: torch.Tensor  # (N, D) features after the attention residual
    segments: Segments  # clip layout of the rows, with each row's size
    keys: torch.Tensor | None  # (N, heads, head_dim) the block's attention keys, when the hook asked
    positions: torch.Tensor  # (N,) long: flat grid index t*H'*W' + i*W' + j of each row's token
    grid: Grid  # (T', H', W') of the clips
    index: int  # block index


@dataclass(frozen=True)
class Reduction:
    """The tokens after a hook: ``x (N1, D)`` laid out by ``segments``.

    ``rows (N1,)`` long gives, for each new row, the old row whose identity it
    keeps (its position; ToMe's destination token, STA's survivor).
    """

    x: torch.Tensor  # (N1, D)
    segments: Segments
    rows: torch.Tensor  # (N1,) long, increasing


class BlockHook(Protocol):
    """An in-model reduction for one block."""

    needs_keys: bool  # the block returns its attention keys only when asked

    def __call__(self, tokens: BlockTokens) -> Reduction: ...


class TokenReducer(Protocol):
    """What ``VideoViT`` asks of a reducer (``rlt.reducers.Reducer`` implements it)."""

    in_model: bool  # reduces between blocks
    needs_clip: bool  # plans from the pixels: refuses an already packed batch

    def pack(self, video: torch.Tensor, *, tubelet_size: int, patch_size: int) -> PackedBatch:
        """``(B, C, T, H, W)`` normalised clip -> the packed tubelets that enter the encoder."""
        ...

    def block_hook(self, index: int, depth: int) -> BlockHook | None:
        """The reduction to run inside block ``index`` of ``depth``, or ``None``."""
        ...

    def record(self, layer_tokens: torch.Tensor) -> None:
        """Receive ``(depth + 1, B)`` tokens per clip entering each block, then leaving the last."""
        ...
