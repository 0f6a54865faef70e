"""Exporting trained weights so ``rlt.models.from_pretrained`` / ``load_checkpoint`` read them back.

Layout: ``<dir>/model.pt`` holds ``{"model": state_dict}`` in ``VideoViT`` (original
VideoMAE) names, and ``<dir>/config.json`` describes the architecture with
Hugging Face VideoMAE's keys (``model_type: videomae``), which is what
``from_pretrained`` reads sizes from. The full ``ViTConfig`` is stored under
``"rlt"`` for reference. LayerNorm eps on reload follows the VideoMAE format
(1e-6), the default of models built here.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import torch

from rlt.models import VideoViT


def hf_style_config(model: VideoViT, classes: list[str] | None = None) -> dict:
    """The ``config.json`` of an exported model (HF VideoMAE keys plus ``"rlt"``: the full ViTConfig)."""
    c = model.config
    config = {
        "model_type": "videomae",
        "hidden_size": c.width,
        "num_hidden_layers": c.depth,
        "num_attention_heads": c.heads,
        "intermediate_size": c.hidden_dim,
        "hidden_act": "gelu",
        "image_size": c.img_size,
        "patch_size": c.patch_size,
        "tubelet_size": c.tubelet_size,
        "num_channels": c.in_chans,
        "num_frames": c.num_frames,
        "qkv_bias": c.qkv_bias,
        "use_mean_pooling": c.pooling != "first",
        "layer_norm_eps": c.norm_eps,
        "num_labels": c.num_classes,
        "rlt": asdict(c),
    }
    if classes:
        config["id2label"] = {str(i): name for i, name in enumerate(classes)}
    return config


def export_model(model: VideoViT, directory: str | Path, classes: list[str] | None = None) -> Path:
    """Write ``model.pt`` and ``config.json`` under ``directory``; returns the ``model.pt`` path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    if not model.config.learned_pos_embed:
        state["pos_embed"] = model.pos_embed.detach().cpu().clone()  # lets shape-based readers find the clip size
    path = directory / "model.pt"
    torch.save({"model": state}, path)
    (directory / "config.json").write_text(json.dumps(hf_style_config(model, classes), indent=2), encoding="utf-8")
    return path
