"""FLOP accounting for the packed video ViT, and the ideal speedup of a reducer (DESIGN section 5).

FLOPs of one clip, counting a multiply-add as 2 FLOPs, with ``D`` = width,
``M`` = MLP width, ``K = C*ts*p*p`` (tubelet length), ``L`` = depth and
``n_i`` the tokens entering block ``i`` (``n_L`` the tokens leaving the last):

    embed     = 2*n_0*K*D                               tubelet embedding (Conv3d as a matmul)
    block i   = 2*n_i*D*3D     qkv projection
              + 2*n_i^2*D*2    scores Q K^T and the weighted sum A V (quadratic, per clip)
              + 2*n_i*D*D      attention output projection
              + 2*n_{i+1}*D*M*2  MLP fc1 and fc2
    head      = 2*D*classes                             classifier on the pooled vector
    total     = embed + sum of the blocks + head

A reducer that merges inside the model (ToMe, STA) reduces between a block's
attention and its MLP, as ToMe does, so block ``i``'s MLP runs on ``n_{i+1}``
tokens; an input reducer (RLT, random masking) has every ``n_i`` equal. Norms,
softmax, GELU, biases, pooling and the merging itself are linear in ``n`` with
small constants and are left out, as is customary.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from rlt.models import ViTConfig


def _config(model_or_config: ViTConfig | nn.Module) -> ViTConfig:
    config = getattr(model_or_config, "config", model_or_config)
    if not isinstance(config, ViTConfig):
        raise TypeError(f"expected a ViTConfig or a model with .config, got {type(model_or_config).__name__}")
    return config


def layer_flops(model_config: ViTConfig | nn.Module, counts: Sequence[int] | torch.Tensor) -> int:
    """FLOPs of one clip whose token count is ``counts[i]`` entering block ``i`` (formula above).

    ``counts`` is one clip's ``(depth + 1,)`` column of a reducer's ``layer_tokens``:
    ``counts[0]`` tokens are embedded and enter block 0, ``counts[depth]`` leave
    the last block. Equals ``flops(config, n)`` when every count is ``n``.

    >>> layer_flops(ViTConfig(width=64, depth=2, heads=2, num_frames=4, img_size=32, num_classes=10), [8, 8, 8])
    3179776
    """
    c = _config(model_config)
    n = [int(v) for v in (counts.tolist() if isinstance(counts, torch.Tensor) else counts)]
    if len(n) != c.depth + 1:
        raise ValueError(f"counts must have depth + 1 = {c.depth + 1} entries, got {len(n)}")
    if any(v < 0 for v in n):
        raise ValueError(f"token counts must be >= 0, got {n}")
    d, m = c.width, c.hidden_dim
    total = 2 * n[0] * c.token_dim * d + 2 * d * c.num_classes
    for i in range(c.depth):
        total += 2 * n[i] * d * 3 * d + 2 * n[i] * n[i] * d * 2 + 2 * n[i] * d * d  # attention on n_i tokens
        total += 2 * n[i + 1] * d * m * 2  # MLP after the reducer's merge
    return total


def flops(model_config: ViTConfig | nn.Module, num_tokens: int) -> int:
    """FLOPs of one forward pass over one clip of ``num_tokens`` tokens in every block."""
    c = _config(model_config)
    if int(num_tokens) < 0:
        raise ValueError(f"num_tokens must be >= 0, got {num_tokens}")
    return layer_flops(c, [int(num_tokens)] * (c.depth + 1))


def clip_flops(model_config: ViTConfig | nn.Module, layer_tokens: torch.Tensor) -> list[int]:
    """FLOPs of each clip of a batch from a reducer's ``layer_tokens (depth + 1, B)``."""
    if layer_tokens.dim() != 2:
        raise ValueError(f"layer_tokens must be (depth + 1, B), got shape {tuple(layer_tokens.shape)}")
    return [layer_flops(model_config, column) for column in layer_tokens.t().cpu()]


def _total(config: ViTConfig, counts: int | Sequence[int]) -> int:
    if isinstance(counts, int):
        return flops(config, counts)
    return sum(flops(config, int(n)) for n in counts)


def ideal_speedup(
    model_config: ViTConfig | nn.Module, n0: int | Sequence[int], n: int | Sequence[int]
) -> float:
    """``FLOPs(n0) / FLOPs(n)``: the speedup if time followed FLOPs, for input reducers.

    ``n0`` / ``n`` are token counts of one clip, or per-clip counts of a batch
    (then FLOPs are summed over clips, since attention is per clip). For a
    reducer that merges between blocks, divide :func:`clip_flops` sums instead.
    """
    c = _config(model_config)
    kept = _total(c, n)
    if kept <= 0:
        raise ValueError(f"kept token counts {n!r} give zero FLOPs")
    return _total(c, n0) / kept
