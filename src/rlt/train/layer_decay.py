"""AdamW parameter groups with layer-wise learning-rate decay (BEiT / VideoMAE fine-tuning)."""

from __future__ import annotations

import re

from torch import nn

_BLOCK = re.compile(r"^blocks\.(\d+)\.")
# Embedding-level parameters share layer 0 with the tubelet embedding.
_EMBED_PREFIXES = ("patch_embed.", "pos_embed", "length_embed.", "cls_token")


def layer_id(name: str, depth: int) -> int:
    """Depth index of a parameter: embeddings 0, ``blocks.i`` -> ``i + 1``, everything after -> ``depth + 1``."""
    if name.startswith(_EMBED_PREFIXES):
        return 0
    match = _BLOCK.match(name)
    if match:
        return int(match.group(1)) + 1
    return depth + 1


def no_weight_decay(name: str, param) -> bool:
    """Biases, norm weights, layer scales and embedding tables are not decayed (1-D tensors and tables)."""
    return param.ndim <= 1 or name.endswith(".bias") or name in ("pos_embed", "length_embed.weight")


def param_groups(model: nn.Module, weight_decay: float, layer_decay: float, depth: int) -> list[dict]:
    """Groups for ``torch.optim.AdamW``, each with ``lr_scale = layer_decay ** (depth + 1 - layer_id)``.

    The head (and fc_norm) get scale 1, block ``i`` ``layer_decay ** (depth - i)``, the
    embeddings ``layer_decay ** (depth + 1)``. Multiply a group's ``lr`` by its
    ``lr_scale`` (the LightningModule does it when setting the base lr). Frozen
    parameters are left out.
    """
    groups: dict[tuple[int, bool], dict] = {}
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        lid, decay = layer_id(name, depth), not no_weight_decay(name, param)
        group = groups.setdefault((lid, decay), {
            "params": [], "names": [], "weight_decay": weight_decay if decay else 0.0,
            "lr_scale": layer_decay ** (depth + 1 - lid),
        })
        group["params"].append(param)
        group["names"].append(name)
    return [groups[key] for key in sorted(groups)]
