"""``VideoViT``: a VideoMAE-compatible video transformer that runs on packed batches."""

from __future__ import annotations

from dataclasses import replace

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from rlt.ops import PackedBatch, tokenize_dense

from .block import Block
from .config import ViTConfig
from .length_embed import LengthEmbedding
from .pooling import pool_packed
from .reduction import TokenReducer
from .sincos import sinusoid_table
from .tubelet_embed import TubeletEmbed


class VideoViT(nn.Module):
    """Video ViT over a packed batch (DESIGN section 2); parameter names follow VideoMAE.

    Input: a dense clip ``(B, C, T, H, W)`` (every token, via ``tokenize_dense``) or
    a :class:`rlt.PackedBatch` of tubelet pixels from ``rlt.tokenize``. With nothing
    dropped both give the same logits. Every clip attends only to itself.

    >>> model = VideoViT(ViTConfig(width=64, depth=2, heads=2, num_frames=4, img_size=32, num_classes=10))
    >>> model(torch.randn(2, 3, 4, 32, 32)).shape
    torch.Size([2, 10])
    """

    def __init__(self, config: ViTConfig) -> None:
        super().__init__()
        self.config = replace(config)  # the model's own copy: set_grad_checkpointing / set_norm_eps edit it
        c = self.config
        self.patch_embed = TubeletEmbed(c.in_chans, c.width, c.tubelet_size, c.patch_size)
        table = sinusoid_table(c.num_positions, c.width)[None]  # (1, L, D)
        if c.learned_pos_embed:
            self.pos_embed = nn.Parameter(table)
        else:
            # Fixed, as in VideoMAE: not saved, so HF/VideoMAE state dicts (which lack it) load strictly.
            self.register_buffer("pos_embed", table, persistent=False)
        self.length_embed = LengthEmbedding(c.max_run_length, c.width) if c.length_embed else None
        self.pos_drop = nn.Dropout(c.drop_rate)
        # Stochastic depth rises linearly from 0 to drop_path_rate (plain Python: works on the meta device).
        rates = [c.drop_path_rate * i / max(c.depth - 1, 1) for i in range(c.depth)]
        self.blocks = nn.ModuleList(
            Block(
                c.width, c.heads, c.hidden_dim, qkv_bias=c.qkv_bias, init_values=c.init_values, norm_eps=c.norm_eps,
                drop=c.drop_rate, attn_drop=c.attn_drop_rate, drop_path=rate, backend=c.attention_backend,
            )
            for rate in rates
        )
        mean_pool = c.pooling != "first"
        # VideoMAE: mean pooling uses fc_norm after pooling and no final norm; "first" the reverse.
        self.norm = nn.Identity() if mean_pool else nn.LayerNorm(c.width, eps=c.norm_eps)
        self.fc_norm = nn.LayerNorm(c.width, eps=c.fc_norm_eps) if mean_pool else nn.Identity()
        self.head_drop = nn.Dropout(c.head_drop_rate)
        self.head = nn.Linear(c.width, c.num_classes) if c.num_classes > 0 else nn.Identity()
        self.apply(_init_weights)

    @property
    def grad_checkpointing(self) -> bool:
        return self.config.grad_checkpointing

    def set_grad_checkpointing(self, enable: bool = True) -> None:
        """Recompute each block's activations during backward instead of storing them."""
        self.config.grad_checkpointing = bool(enable)

    def set_norm_eps(self, norm_eps: float, fc_norm_eps: float) -> None:
        """Set LayerNorm eps (blocks and final norm; fc_norm) in the modules and the config.

        Checkpoint formats disagree on eps (VideoMAE 1e-6, HF ``layer_norm_eps``
        and 1e-5 for ``fc_norm``), so loaders set it from the format.
        """
        self.config.norm_eps, self.config.fc_norm_eps = float(norm_eps), float(fc_norm_eps)
        for name, module in self.named_modules():
            if isinstance(module, nn.LayerNorm):
                module.eps = self.config.fc_norm_eps if name == "fc_norm" else self.config.norm_eps

    def as_packed(self, x: torch.Tensor | PackedBatch, reducer: TokenReducer | None = None) -> PackedBatch:
        """Check the input against the config; a dense clip becomes a packed batch.

        With an input ``reducer`` (``rlt``, ``random``, ...) the clip is packed with
        the tokens it keeps; otherwise (or for an in-model reducer) with every token.
        """
        c = self.config
        if isinstance(x, torch.Tensor):
            if x.dim() != 5 or x.shape[1] != c.in_chans:
                raise ValueError(f"expected a clip (B, {c.in_chans}, T, H, W), got shape {tuple(x.shape)}")
            if reducer is not None:
                return reducer.pack(x, tubelet_size=c.tubelet_size, patch_size=c.patch_size)
            return tokenize_dense(x, tubelet_size=c.tubelet_size, patch_size=c.patch_size)
        if not isinstance(x, PackedBatch):
            raise TypeError(f"expected a (B, C, T, H, W) tensor or a PackedBatch, got {type(x).__name__}")
        if reducer is not None and reducer.needs_clip:
            raise ValueError(
                f"reducer {getattr(reducer, 'name', reducer)!r} plans which tokens enter the model, so it needs "
                "the clip (B, C, T, H, W), not an already packed batch"
            )
        if x.merged:
            raise ValueError("packed batch was already merged inside a model; pass the clip or an unmerged batch")
        if (x.tubelet_size, x.patch_size) != (c.tubelet_size, c.patch_size):
            raise ValueError(
                f"packed batch has tubelet_size={x.tubelet_size}, patch_size={x.patch_size}; "
                f"the model expects {c.tubelet_size}, {c.patch_size}"
            )
        if x.tokens.dim() != 2 or x.tokens.shape[1] != c.token_dim:
            raise ValueError(
                f"packed tokens must be tubelet pixels (N, {c.token_dim}), got shape {tuple(x.tokens.shape)}"
            )
        return x

    def position_table(self, num_positions: int) -> torch.Tensor:
        """``(L, D)`` rows for flat indices ``0..num_positions-1``.

        The sinusoid extends to any grid (a row does not depend on the table
        length); a learned table only fits the grid it was trained for.
        """
        table = self.pos_embed[0]  # (L, D)
        if num_positions <= table.shape[0]:
            return table
        if self.config.learned_pos_embed:
            raise ValueError(
                f"clip grid has {num_positions} tokens but the learned position table has {table.shape[0]} rows"
            )
        return sinusoid_table(num_positions, table.shape[1]).to(table)

    def embed_tokens(self, packed: PackedBatch) -> torch.Tensor:
        """Tubelet pixels -> ``(N, D)``: tubelet embedding + position (+ run length) embedding."""
        x = self.patch_embed(packed.tokens)  # (N, D)
        x = x + self.position_table(packed.grid.numel)[packed.positions].to(x.dtype)  # (N, D)
        if self.length_embed is not None:
            if packed.grid.t > self.length_embed.max_length:
                raise ValueError(
                    f"clip has T'={packed.grid.t} tubelets but the length table has {self.length_embed.max_length} "
                    "rows (num_frames / tubelet_size)"
                )
            x = x + self.length_embed(packed.lengths).to(x.dtype)
        return self.pos_drop(x)

    def forward_features(self, x: torch.Tensor | PackedBatch, reducer: TokenReducer | None = None) -> PackedBatch:
        """Run the encoder; returns the plan carrying features ``tokens (N, D)``.

        ``reducer`` (see :mod:`rlt.reducers`) decides which tokens enter and, for
        in-model reducers, merges or prunes between a block's attention and its
        MLP; it receives ``layer_tokens``. A batch reduced inside the model comes
        back marked ``merged`` (its rows no longer map onto ``keep``).
        """
        packed = self.as_packed(x, reducer)
        h = self.embed_tokens(packed)  # (N, D)
        segments = packed.segments  # one host read of the clip lengths per forward
        rows = None  # (N1,) after a reduction: the packed token each row stands for
        counts = [segments.seqlens]
        depth = len(self.blocks)
        for index, blk in enumerate(self.blocks):
            hook = reducer.block_hook(index, depth) if reducer is not None else None
            positions = None
            if hook is not None:
                positions = packed.positions if rows is None else packed.positions[rows]  # (N,)
            args = (h, segments, hook, positions, packed.grid, index)
            if self.grad_checkpointing and torch.is_grad_enabled():
                h, segments, picked = checkpoint(blk, *args, use_reentrant=False)
            else:
                h, segments, picked = blk(*args)
            if picked is not None:
                rows = picked if rows is None else rows[picked]
            counts.append(segments.seqlens)
        if reducer is not None:
            reducer.record(torch.stack(counts))  # (depth + 1, B)
        h = self.norm(h)
        return packed.with_tokens(h) if rows is None else packed.with_segments(h, segments, rows)

    def forward_head(self, features: PackedBatch, *, pre_logits: bool = False) -> torch.Tensor:
        """Pool per clip, ``fc_norm``, classify: ``features.tokens (N, D)`` -> ``(B, num_classes)``.

        With ``pre_logits`` returns the normalised pooled features ``(B, D)``.
        """
        pooled = self.fc_norm(pool_packed(features.tokens, features, self.config.pooling))  # (B, D)
        pooled = self.head_drop(pooled)
        return pooled if pre_logits else self.head(pooled)

    def forward(self, x: torch.Tensor | PackedBatch, reducer: TokenReducer | None = None) -> torch.Tensor:
        """``(B, C, T, H, W)`` clip or packed batch -> logits ``(B, num_classes)``.

        ``reducer``: an :mod:`rlt.reducers` reducer (``none``, ``rlt``, ``random``,
        ``rlt+random``, ``tome``, ``sta``); without one every token is used.
        """
        return self.forward_head(self.forward_features(x, reducer))


def _init_weights(module: nn.Module) -> None:
    # VideoMAE's init: truncated normal linears, unit LayerNorms; Conv3d keeps PyTorch's default.
    if isinstance(module, nn.Linear):
        nn.init.trunc_normal_(module.weight, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)
