"""FLOP accounting for the packed video ViT, and the ideal RLT speedup (DESIGN section 5).

FLOPs of one clip with ``N`` tokens, counting a multiply-add as 2 FLOPs, with
``D`` = width, ``M`` = MLP width, ``K = C*ts*p*p`` (tubelet length), ``L`` = depth:

    embed  = 2*N*K*D                                   tubelet embedding (Conv3d as a matmul)
    layer  = 2*N*D*3D       qkv projection
           + 2*N^2*D*2      scores Q K^T and the weighted sum A V (quadratic in N)
           + 2*N*D*D        attention output projection
           + 2*N*D*M*2      MLP fc1 and fc2
    head   = 2*D*classes                               classifier on the pooled vector
    total  = embed + L*layer + head

Norms, softmax, GELU, biases and pooling are linear in ``N`` with small constants
and are left out, as is customary.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from rlt.models import ViTConfig


def _config(model_or_config: ViTConfig | nn.Module) -> ViTConfig:
    config = getattr(model_or_config, "config", model_or_config)
    if not isinstance(config, ViTConfig):
        raise TypeError(f"expected a ViTConfig or a model with .config, got {type(model_or_config).__name__}")
    return config


def flops(model_config: ViTConfig | nn.Module, num_tokens: int) -> int:
    """FLOPs of one forward pass over one clip of ``num_tokens`` tokens (formula in the module docstring)."""
    c = _config(model_config)
    n, d, m = int(num_tokens), c.width, c.hidden_dim
    if n < 0:
        raise ValueError(f"num_tokens must be >= 0, got {num_tokens}")
    embed = 2 * n * c.token_dim * d
    layer = 2 * n * d * 3 * d + 2 * n * n * d * 2 + 2 * n * d * d + 2 * n * d * m * 2
    head = 2 * d * c.num_classes
    return embed + c.depth * layer + head


def _total(config: ViTConfig, counts: int | Sequence[int]) -> int:
    if isinstance(counts, int):
        return flops(config, counts)
    return sum(flops(config, int(n)) for n in counts)


def ideal_speedup(
    model_config: ViTConfig | nn.Module, n0: int | Sequence[int], n: int | Sequence[int]
) -> float:
    """``FLOPs(n0) / FLOPs(n)``: the speedup RLT would give if time followed FLOPs.

    ``n0`` / ``n`` are token counts of one clip, or per-clip counts of a batch
    (then FLOPs are summed over clips, since attention is per clip).
    """
    c = _config(model_config)
    kept = _total(c, n)
    if kept <= 0:
        raise ValueError(f"kept token counts {n!r} give zero FLOPs")
    return _total(c, n0) / kept
