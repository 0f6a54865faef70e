"""Building the model from the config: a preset from scratch, or a checkpoint with a head for the task."""

from __future__ import annotations

import logging
from pathlib import Path

import torch
from torch import nn

from rlt.models import VideoViT, create_model
from rlt.models.checkpoint_config import infer_config
from rlt.models.checkpoint_files import read_checkpoint
from rlt.models.checkpoint_keys import to_model_keys
from rlt.models.checkpoint_load import CheckpointError, apply_state_dict

from .config import RunConfig

logger = logging.getLogger(__name__)

EXPORT_DIR = "model"  # under out_dir: the exported weights (model.pt) and config.json
EXPORT_FILE = "model.pt"
# Tensors a VideoMAE pre-training checkpoint has and a classifier does not need.
_PRETRAIN_ONLY = ("decoder", "encoder_to_decoder", "mask_token")
HEAD_INIT_SCALE = 1e-3  # VideoMAE scales the new head's initial weights down (init_scale 0.001)


def resolve_checkpoint(path: str) -> Path:
    """A checkpoint path as given; a run directory of ``rlt train`` means its exported ``model/model.pt``."""
    p = Path(path)
    if p.is_dir() and (p / EXPORT_DIR / EXPORT_FILE).is_file():
        return p / EXPORT_DIR / EXPORT_FILE
    return p


def model_overrides(config: RunConfig) -> dict:
    """ViTConfig fields for this run: clip size from ``data`` unless ``model.<field>`` says otherwise."""
    overrides = {"num_frames": config.data.num_frames, "img_size": config.data.size}
    overrides.update(config.model.vit)
    return overrides


def build_model(config: RunConfig, *, for_eval: bool = False) -> VideoViT:
    """The network of ``config.model``.

    Without a checkpoint: the preset, randomly initialised, ``model.*`` fields on top.
    With one: its architecture and weights (``rlt.models`` formats or a run directory);
    a head whose class count differs from ``model.num_classes`` is dropped (logged)
    and replaced by a new one, except in evaluation, where that is an error.
    """
    m = config.model
    if m.checkpoint is None:
        if for_eval:
            raise ValueError("model.checkpoint is required for evaluation (a run directory or a weights file)")
        return create_model(m.name, num_classes=m.num_classes, **model_overrides(config))
    path = resolve_checkpoint(m.checkpoint)
    raw = read_checkpoint(path)
    state, fmt = to_model_keys(raw.state_dict)
    overrides = dict(m.vit)  # the checkpoint's own clip size unless model.* says otherwise
    saved = (raw.hf_config or {}).get("rlt") or {}  # written by rlt train's export: pooling has no HF key
    if "pooling" in saved:
        overrides.setdefault("pooling", saved["pooling"])
    model = VideoViT(infer_config(state, fmt, raw.hf_config, **overrides, num_classes=m.num_classes))
    head = state.get("head.weight")
    if head is not None and head.shape[0] != m.num_classes:
        if for_eval:
            raise ValueError(f"{path} has a {head.shape[0]}-class head but model.num_classes={m.num_classes}")
        logger.warning("dropping the checkpoint's %d-class head of %s; new %d-class head", head.shape[0], path,
                       m.num_classes)
        state = {k: v for k, v in state.items() if not k.startswith("head.")}
    dropped = sorted(k for k in state if k.startswith(_PRETRAIN_ONLY))
    if dropped:
        logger.info("ignoring %d pre-training tensors of %s (%s...)", len(dropped), path, dropped[0])
        state = {k: v for k, v in state.items() if k not in dropped}
    report = apply_state_dict(model, state, fmt, str(path), strict=False, hf_config=raw.hf_config)
    fresh = {k for k in report.missing if k.startswith(("head.", "fc_norm."))}
    if set(report.missing) - fresh or report.mismatched or (report.unexpected and for_eval):
        raise CheckpointError(report)
    if report.unexpected:
        logger.warning("unused tensors of %s: %s", path, ", ".join(report.unexpected))
    if any(k.startswith("head.") for k in fresh):
        _init_head(model.head)
    if fresh:
        logger.info("newly initialised: %s", ", ".join(sorted(fresh)))
    return model


def _init_head(head: nn.Module) -> None:
    if isinstance(head, nn.Linear):
        nn.init.trunc_normal_(head.weight, std=0.02)
        with torch.no_grad():
            head.weight.mul_(HEAD_INIT_SCALE)
        nn.init.zeros_(head.bias)
