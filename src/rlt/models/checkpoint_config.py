"""Inferring a ``ViTConfig`` from a checkpoint: HF ``config.json``, else the tensors' shapes."""

from __future__ import annotations

import re
from dataclasses import fields, replace
from typing import Any

import torch

from .config import ViTConfig
from .sincos import sinusoid_table

# Heads cannot be read off tensor shapes (qkv is (3D, D) for any head count): VideoMAE widths
# map to their published head counts, other widths get 64-wide heads. Override with heads=...
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
    state_dict: dict[str, torch.Tensor], fmt: str, hf_config: dict[str, Any] | None = None, **overrides: Any
) -> ViTConfig:
    """The config that ``state_dict`` (already in ``VideoViT`` names) was trained with.

    HF checkpoints: sizes from ``config.json``. Original ``.pth``: width, depth,
    MLP width, channels, tubelet and patch size, classes and layer scale from
    shapes; heads from the VideoMAE width table; frames from the position or
    length table when the checkpoint has one (else 16); frame size 224.
    ``overrides`` (any ``ViTConfig`` field) win over everything inferred.
    """
    if "patch_embed.proj.weight" not in state_dict:
        raise ValueError(
            "cannot infer the model config: the checkpoint has no tubelet embedding "
            "(patch_embed.proj.weight / embeddings.patch_embeddings.projection.weight)"
        )
    width, in_chans, ts, p, _ = state_dict["patch_embed.proj.weight"].shape
    values: dict[str, Any] = {"width": width, "in_chans": in_chans, "tubelet_size": ts, "patch_size": p}
    values.update(_from_hf(hf_config) if hf_config else _from_shapes(state_dict, width, ts, p))
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
    known = {f.name for f in fields(ViTConfig)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(f"unknown config field(s) {unknown}; ViTConfig has {sorted(known)}")
    return replace(ViTConfig(**values), **overrides)


def _from_hf(config: dict[str, Any]) -> dict[str, Any]:
    act = config.get("hidden_act", "gelu")
    if act != "gelu":
        raise ValueError(f"HF config hidden_act={act!r} is not supported; VideoViT uses exact GELU ('gelu')")
    size = config.get("image_size", 224)
    if isinstance(size, (list, tuple)):
        if len(set(size)) != 1:
            raise ValueError(f"HF config image_size={size} is not square; VideoViT expects square frames")
        size = size[0]
    values = {
        "depth": config["num_hidden_layers"],
        "heads": config["num_attention_heads"],
        "num_frames": config.get("num_frames", 16),
        "img_size": size,
        "qkv_bias": config.get("qv_bias", config.get("qkv_bias", True)),
    }
    mlp = config.get("intermediate_size")
    values["mlp_dim"] = None if mlp in (None, 4 * config["hidden_size"]) else mlp
    if not config.get("use_mean_pooling", True):
        values["pooling"] = "first"
    return values


def _from_shapes(state_dict: dict[str, torch.Tensor], width: int, ts: int, p: int) -> dict[str, Any]:
    blocks = {int(m.group(1)) for k in state_dict if (m := _BLOCK.match(k))}
    if not blocks:
        raise ValueError("cannot infer the model config: the checkpoint has no blocks.{i}.* tensors")
    values: dict[str, Any] = {"depth": max(blocks) + 1, "qkv_bias": "blocks.0.attn.q_bias" in state_dict}
    values["heads"] = _HEADS_BY_WIDTH.get(width, max(width // 64, 1))
    fc1 = state_dict.get("blocks.0.mlp.fc1.weight")
    if fc1 is not None and fc1.shape[0] != 4 * width:
        values["mlp_dim"] = fc1.shape[0]
    side = 224 // p
    if "pos_embed" in state_dict and state_dict["pos_embed"].shape[-2] % (side * side) == 0:
        values["num_frames"] = state_dict["pos_embed"].shape[-2] // (side * side) * ts
    elif "length_embed.weight" in state_dict:
        values["num_frames"] = state_dict["length_embed.weight"].shape[0] * ts
    return values
