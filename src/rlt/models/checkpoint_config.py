"""Inferring a ``ViTConfig`` from a checkpoint: tensor shapes, plus HF ``config.json`` for what they cannot say."""

from __future__ import annotations

import re
from dataclasses import fields, replace
from typing import Any

import torch

from .checkpoint_files import CheckpointError
from .config import ViTConfig
from .sincos import sinusoid_table

# Heads cannot be read off tensor shapes (qkv is (3D, D) for any head count). Original VideoMAE
# .pth files carry no config; their published widths map to their published head counts.
_HEADS_BY_WIDTH = {384: 6, 768: 12, 1024: 16, 1280: 16, 1408: 16}
# LayerNorm eps by format: (blocks and final norm, fc_norm). HF's fc_norm is a bare nn.LayerNorm.
HF_FC_NORM_EPS = 1e-5
HF_DEFAULT_NORM_EPS = 1e-12
VIDEOMAE_NORM_EPS = 1e-6
_BLOCK = re.compile(r"^blocks\.(\d+)\.")


def format_norm_eps(fmt: str, hf_config: dict[str, Any] | None) -> tuple[float, float]:
    """``(norm_eps, fc_norm_eps)`` the checkpoint's own code used."""
    if fmt == "hf":
        return float((hf_config or {}).get("layer_norm_eps", HF_DEFAULT_NORM_EPS)), HF_FC_NORM_EPS
    return VIDEOMAE_NORM_EPS, VIDEOMAE_NORM_EPS


def is_sinusoid(pos_embed: torch.Tensor, atol: float = 1e-4) -> bool:
    """True if ``pos_embed (1, L, D)`` is VideoMAE's fixed table (so nothing needs loading)."""
    table = sinusoid_table(pos_embed.shape[-2], pos_embed.shape[-1])
    return torch.allclose(pos_embed.reshape(table.shape).float(), table, atol=atol)


def infer_config(
    state_dict: dict[str, torch.Tensor],
    fmt: str,
    hf_config: dict[str, Any] | None = None,
    *,
    source: str = "checkpoint",
    **overrides: Any,
) -> ViTConfig:
    """The config that ``state_dict`` (already in ``VideoViT`` names) was trained with.

    From the tensors' shapes, always: width, depth, MLP width, channels, tubelet
    and patch size, classes, layer scale, pooling, query/value bias. HF checkpoints
    take heads, frames, frame size and LayerNorm eps from ``config.json``, which
    must agree with the shapes (else :class:`CheckpointError` naming the field).
    Heads cannot be read off shapes (``qkv`` is ``(3D, D)`` for any head count):
    without a config they come from ``heads=`` or, for original VideoMAE ``.pth``
    files only, from VideoMAE's published width -> heads table; anything else
    raises :class:`CheckpointError` saying what to pass. ``num_frames`` / ``img_size``
    without a config come from a learned position or length table when there is
    one, else stay at 16 / 224: with VideoMAE's fixed sinusoid they size only the
    default clip, never the logits. ``overrides`` (any ``ViTConfig`` field) win
    over everything inferred. ``source`` names the checkpoint in errors.
    """
    known = {f.name for f in fields(ViTConfig)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(f"unknown config field(s) {unknown}; ViTConfig has {sorted(known)}")
    if "patch_embed.proj.weight" not in state_dict:
        raise CheckpointError(
            source,
            "has no tubelet embedding (patch_embed.proj.weight / embeddings.patch_embeddings.projection.weight), "
            "so its model config cannot be inferred",
        )
    width, in_chans, ts, p, _ = state_dict["patch_embed.proj.weight"].shape
    values: dict[str, Any] = {"width": width, "in_chans": in_chans, "tubelet_size": ts, "patch_size": p}
    values.update(_from_shapes(state_dict, width, ts, p, source))
    if hf_config:
        _check_hf_against_weights(hf_config, values, state_dict, source)
        values.update(_from_hf(hf_config, source))
    else:
        values["heads"] = overrides["heads"] if "heads" in overrides else _heads_without_config(fmt, width, source)
    head = state_dict.get("head.weight")
    values["num_classes"] = head.shape[0] if head is not None else 0
    if "blocks.0.gamma_1" in state_dict:
        values["init_values"] = 1.0  # any value > 0 creates the layer-scale parameters; loading replaces them
    if "norm.weight" in state_dict and "fc_norm.weight" not in state_dict:
        values["pooling"] = "first"
    if "length_embed.weight" in state_dict:
        values["length_embed"] = True
    if "pos_embed" in state_dict and not is_sinusoid(state_dict["pos_embed"]):
        values["learned_pos_embed"] = True
    values["norm_eps"], values["fc_norm_eps"] = format_norm_eps(fmt, hf_config)
    return replace(ViTConfig(**values), **overrides)


def _heads_without_config(fmt: str, width: int, source: str) -> int:
    if fmt == "videomae" and width in _HEADS_BY_WIDTH:
        return _HEADS_BY_WIDTH[width]
    if fmt == "hf":
        why = "HF VideoMAE weights without a VideoMAE config.json (none beside them, or one of another model_type)"
        fix = "put the config.json saved with the weights beside them, or pass heads=..."
    else:
        why = f"width {width} is not one of VideoMAE's published widths {sorted(_HEADS_BY_WIDTH)}"
        fix = "pass heads=..."
    raise CheckpointError(source, f"does not say its number of attention heads ({why}; shapes cannot tell it): {fix}")


# config.json field -> (the ViTConfig value it must equal, where the weights say so)
_HF_SHAPE_FIELDS = (
    ("hidden_size", "width", "embeddings.patch_embeddings.projection.weight"),
    ("num_channels", "in_chans", "embeddings.patch_embeddings.projection.weight"),
    ("tubelet_size", "tubelet_size", "embeddings.patch_embeddings.projection.weight"),
    ("patch_size", "patch_size", "embeddings.patch_embeddings.projection.weight"),
    ("num_hidden_layers", "depth", "encoder.layer.{i}.*"),
)


def _check_hf_against_weights(
    config: dict[str, Any], values: dict[str, Any], state_dict: dict[str, torch.Tensor], source: str
) -> None:
    """Raise :class:`CheckpointError` naming the first ``config.json`` field the tensor shapes contradict."""
    for key, ours, where in _HF_SHAPE_FIELDS:
        if key in config and config[key] != values[ours]:
            raise CheckpointError(
                source,
                f"contradicts itself: config.json says {key}={config[key]!r} but the weights have {values[ours]} "
                f"({where})",
            )
    mlp = config.get("intermediate_size")
    fc1 = state_dict.get("blocks.0.mlp.fc1.weight")
    if mlp is not None and fc1 is not None and fc1.shape[0] != mlp:
        raise CheckpointError(
            source,
            f"contradicts itself: config.json says intermediate_size={mlp!r} but the weights have {fc1.shape[0]} "
            "(intermediate.dense)",
        )
    heads = config.get("num_attention_heads")
    if heads is None:
        raise CheckpointError(source, "has a config.json without num_attention_heads, which the weights cannot tell")
    if isinstance(heads, bool) or not isinstance(heads, int) or heads < 1 or values["width"] % heads:
        raise CheckpointError(
            source,
            f"has config.json num_attention_heads={heads!r}, "
            f"which does not divide the weights' width {values['width']}",
        )
    head = state_dict.get("head.weight")
    labels = config.get("id2label")
    if head is not None and isinstance(labels, dict) and len(labels) != head.shape[0]:
        raise CheckpointError(
            source,
            f"contradicts itself: config.json lists {len(labels)} labels but the classifier has {head.shape[0]} outputs",
        )


def _from_hf(config: dict[str, Any], source: str) -> dict[str, Any]:
    act = config.get("hidden_act", "gelu")
    if act != "gelu":
        raise CheckpointError(source, f"has config.json hidden_act={act!r}; VideoViT supports exact GELU ('gelu') only")
    size = config.get("image_size", 224)
    if isinstance(size, (list, tuple)):
        if len(set(size)) != 1:
            raise CheckpointError(
                source, f"has config.json image_size={size}, not square; VideoViT expects square frames"
            )
        size = size[0]
    values = {"heads": config["num_attention_heads"], "num_frames": config.get("num_frames", 16), "img_size": size}
    if not config.get("use_mean_pooling", True):
        values["pooling"] = "first"
    return values


def _from_shapes(state_dict: dict[str, torch.Tensor], width: int, ts: int, p: int, source: str) -> dict[str, Any]:
    blocks = {int(m.group(1)) for k in state_dict if (m := _BLOCK.match(k))}
    if not blocks:
        raise CheckpointError(
            source, "has no blocks.{i}.* / encoder.layer.{i}.* tensors, so its depth cannot be inferred"
        )
    values: dict[str, Any] = {"depth": max(blocks) + 1, "qkv_bias": "blocks.0.attn.q_bias" in state_dict}
    fc1 = state_dict.get("blocks.0.mlp.fc1.weight")
    if fc1 is not None and fc1.shape[0] != 4 * width:
        values["mlp_dim"] = fc1.shape[0]
    side = 224 // p
    if "pos_embed" in state_dict and state_dict["pos_embed"].shape[-2] % (side * side) == 0:
        values["num_frames"] = state_dict["pos_embed"].shape[-2] // (side * side) * ts
    elif "length_embed.weight" in state_dict:
        values["num_frames"] = state_dict["length_embed.weight"].shape[0] * ts
    return values
