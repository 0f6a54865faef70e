"""``ViTConfig``: every hyperparameter of the packed video ViT, with its meaning."""

from __future__ import annotations

from dataclasses import dataclass

from .pooling import POOLINGS


@dataclass
class ViTConfig:
    """A VideoMAE-compatible video ViT. Defaults are VideoMAE ViT-B on 16x224x224 clips."""

    width: int = 768  # embedding dimension D
    depth: int = 12  # number of transformer blocks
    heads: int = 12  # attention heads; must divide width
    mlp_dim: int | None = None  # hidden width of each MLP; None means 4 * width
    num_classes: int = 400  # classifier outputs; 0 makes forward return pooled features
    in_chans: int = 3  # input channels C
    num_frames: int = 16  # frames T the model is built for; sets T' (length table size)
    img_size: int = 224  # frame height and width the model is built for; with num_frames sets the position table
    tubelet_size: int = 2  # ts: frames per token
    patch_size: int = 16  # p: pixels per token side
    qkv_bias: bool = True  # learn q_bias and v_bias (the key bias is zero, as in VideoMAE)
    init_values: float = 0.0  # layer-scale initial value; 0 disables layer scale (gamma_1, gamma_2)
    norm_eps: float = 1e-6  # LayerNorm eps in the blocks and the final norm (HF: config.layer_norm_eps)
    fc_norm_eps: float = 1e-6  # LayerNorm eps of fc_norm after pooling (HF VideoMAE: 1e-5)
    # "mean" (the paper's; default, see benchmarks/pooling.md), "run_weighted" (then fc_norm),
    # or "first" (final norm, then token 0: VideoMAE with use_mean_pooling off)
    pooling: str = "mean"
    length_embed: bool = False  # add a learned run-length embedding, indexed by length - 1
    learned_pos_embed: bool = False  # position table is a parameter instead of VideoMAE's fixed sinusoid
    drop_rate: float = 0.0  # dropout after the embeddings and in the MLP / attention output
    attn_drop_rate: float = 0.0  # dropout on attention probabilities
    drop_path_rate: float = 0.0  # stochastic depth at the last block; rises linearly from 0
    head_drop_rate: float = 0.0  # dropout before the classifier
    attention_backend: str = "auto"  # rlt.attention backend name, or "auto"
    grad_checkpointing: bool = False  # recompute block activations in backward to save memory

    def __post_init__(self) -> None:
        for name in ("width", "depth", "heads", "in_chans", "num_frames", "img_size", "tubelet_size", "patch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.width % self.heads:
            raise ValueError(f"width={self.width} must be divisible by heads={self.heads}")
        if self.num_frames % self.tubelet_size:
            raise ValueError(f"num_frames={self.num_frames} must be divisible by tubelet_size={self.tubelet_size}")
        if self.img_size % self.patch_size:
            raise ValueError(f"img_size={self.img_size} must be divisible by patch_size={self.patch_size}")
        if self.mlp_dim is not None and self.mlp_dim < 1:
            raise ValueError(f"mlp_dim must be a positive integer or None, got {self.mlp_dim!r}")
        if self.num_classes < 0:
            raise ValueError(f"num_classes must be >= 0, got {self.num_classes}")
        if self.pooling not in POOLINGS:
            raise ValueError(f"unknown pooling {self.pooling!r}; expected one of {', '.join(map(repr, POOLINGS))}")
        for name in ("drop_rate", "attn_drop_rate", "drop_path_rate", "head_drop_rate"):
            value = getattr(self, name)
            if not 0.0 <= value < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {value!r}")

    @property
    def hidden_dim(self) -> int:
        """Width of the MLP hidden layer."""
        return 4 * self.width if self.mlp_dim is None else self.mlp_dim

    @property
    def max_run_length(self) -> int:
        """``T'``: the longest run a clip of ``num_frames`` frames can have (length-table rows)."""
        return self.num_frames // self.tubelet_size

    @property
    def num_positions(self) -> int:
        """``T' * H' * W'`` for the built-for clip size: rows of the position table."""
        side = self.img_size // self.patch_size
        return self.max_run_length * side * side

    @property
    def token_dim(self) -> int:
        """``C * ts * p * p``: length of one flattened tubelet."""
        return self.in_chans * self.tubelet_size * self.patch_size**2
