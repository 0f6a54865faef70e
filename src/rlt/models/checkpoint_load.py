"""``load_checkpoint`` and ``from_pretrained``: strict by default, every skipped key named."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from .checkpoint_config import format_norm_eps, infer_config, is_sinusoid
from .checkpoint_files import CheckpointError, read_checkpoint
from .checkpoint_keys import to_model_keys
from .vit import VideoViT

logger = logging.getLogger(__name__)


@dataclass
class LoadReport:
    """What a load did not match. Empty lists mean every tensor found its place."""

    path: str  # checkpoint file or folder
    format: str  # "hf" or "videomae"
    missing: list[str] = field(default_factory=list)  # model tensors the checkpoint lacks
    unexpected: list[str] = field(default_factory=list)  # checkpoint tensors the model has no place for
    mismatched: list[tuple[str, tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)  # key, ckpt, model
    notes: dict[str, str] = field(default_factory=dict)  # key -> why it could not be used

    @property
    def clean(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)

    def describe(self) -> str:
        """Multi-line listing of every problem, for errors and logs."""
        lines = []
        if self.missing:
            lines.append(f"missing ({len(self.missing)}): {', '.join(self.missing)}")
        if self.unexpected:
            lines.append(f"unexpected ({len(self.unexpected)}): {', '.join(self.unexpected)}")
        for key, got, want in self.mismatched:
            lines.append(f"shape mismatch: {key}: checkpoint {list(got)} vs model {list(want)}")
        lines.extend(f"note: {key}: {why}" for key, why in self.notes.items())
        return "\n".join(lines)


def load_checkpoint(
    model: VideoViT, path: str | Path, *, strict: bool = True, trust_pickle: bool = False
) -> LoadReport:
    """Load a HF VideoMAE folder / file or an original VideoMAE(v2) ``.pth`` into ``model``.

    Strict by default: any missing, unexpected or shape-mismatched tensor raises
    :class:`CheckpointError` listing all of them, and nothing is loaded. With
    ``strict=False`` the matching tensors load and the rest are logged (warning)
    and returned in the :class:`LoadReport` (e.g. a new head with another class count).
    LayerNorm eps is set from the checkpoint's format (see ``VideoViT.set_norm_eps``).
    """
    raw = read_checkpoint(path, trust_pickle=trust_pickle)
    state_dict, fmt = to_model_keys(raw.state_dict)
    return apply_state_dict(model, state_dict, fmt, raw.path, strict=strict, hf_config=raw.hf_config)


def from_pretrained(
    path: str | Path, *, strict: bool = True, trust_pickle: bool = False, **overrides: Any
) -> VideoViT:
    """Build a ``VideoViT`` with the checkpoint's own config and load it; returned in eval mode.

    The config comes from the tensor shapes plus HF ``config.json``, which must
    agree with them (see :func:`rlt.models.checkpoint_config.infer_config`);
    nothing the weights cannot prove is guessed: a missing head count raises
    :class:`CheckpointError` saying what to pass. ``overrides`` set any ``ViTConfig``
    field (e.g. ``heads=`` for a width outside VideoMAE's presets or HF weights
    without their config.json, ``pooling=``, ``length_embed=True`` with ``strict=False``).
    """
    raw = read_checkpoint(path, trust_pickle=trust_pickle)
    state_dict, fmt = to_model_keys(raw.state_dict)
    model = VideoViT(infer_config(state_dict, fmt, raw.hf_config, source=raw.path, **overrides))
    apply_state_dict(model, state_dict, fmt, raw.path, strict=strict, hf_config=raw.hf_config)
    return model.eval()


def apply_state_dict(
    model: VideoViT,
    state_dict: dict[str, torch.Tensor],
    fmt: str,
    path: str,
    *,
    strict: bool = True,
    hf_config: dict[str, Any] | None = None,
) -> LoadReport:
    """Load an already-converted state dict (``VideoViT`` names); see :func:`load_checkpoint`."""
    state_dict = dict(state_dict)
    report = LoadReport(path, fmt)
    pos = state_dict.get("pos_embed")
    if pos is not None and not model.config.learned_pos_embed:
        if is_sinusoid(pos):
            del state_dict["pos_embed"]  # the fixed table the model already has
        else:
            report.notes["pos_embed"] = (
                "the checkpoint's position table is learned (not VideoMAE's sinusoid); "
                "build the model with learned_pos_embed=True"
            )
    for key in state_dict:
        if key.endswith(".attn.k_bias"):
            report.notes[key] = "non-zero key bias; VideoMAE attention has none (zero) and VideoViT cannot hold one"

    own = model.state_dict()
    for key, value in state_dict.items():
        if key not in own:
            report.unexpected.append(key)
        elif value.shape != own[key].shape:
            report.mismatched.append((key, tuple(value.shape), tuple(own[key].shape)))
    report.missing = [key for key in own if key not in state_dict]
    if strict and not report.clean:
        raise CheckpointError(report)
    if not report.clean:
        logger.warning("partial load of %s, skipped:\n%s", path, report.describe())

    skipped = set(report.unexpected) | {key for key, _, _ in report.mismatched}
    model.load_state_dict({k: v for k, v in state_dict.items() if k not in skipped}, strict=False)
    norm_eps, fc_norm_eps = format_norm_eps(fmt, hf_config)
    if (norm_eps, fc_norm_eps) != (model.config.norm_eps, model.config.fc_norm_eps):
        logger.info("%s: LayerNorm eps set to %g (blocks) / %g (fc_norm) as in its format", path, norm_eps, fc_norm_eps)
        model.set_norm_eps(norm_eps, fc_norm_eps)
    return report


# Where rlt.patch(length_embed=True) keeps its run-length table in a HF VideoMAE state dict
# (a key ending in this name, e.g. "videomae.embeddings.rlt_length_embeddings", shape (T', D)).
HF_LENGTH_TABLE = "embeddings.rlt_length_embeddings"


def from_state_dict(
    state_dict: dict[str, torch.Tensor], hf_config: Any = None, *, strict: bool = True, **overrides: Any
) -> VideoViT:
    """Build a ``VideoViT`` from an in-memory state dict and load it; returned in eval mode.

    ``state_dict`` is a HF VideoMAE ``model.state_dict()`` (also of a model patched
    by ``rlt.patch``: its run-length table becomes ``length_embed``) or an original
    VideoMAE(v2) one. ``hf_config`` is the HF config (a ``transformers`` config object
    or its dict); without it the config is inferred from the tensors' shapes.
    ``overrides`` set ``ViTConfig`` fields, as in :func:`from_pretrained`.
    """
    if hf_config is not None and not isinstance(hf_config, dict):
        hf_config = hf_config.to_dict()
    renamed = {("length_embed.weight" if k.endswith(HF_LENGTH_TABLE) else k): v for k, v in state_dict.items()}
    converted, fmt = to_model_keys(renamed)
    model = VideoViT(infer_config(converted, fmt, hf_config, **overrides))
    apply_state_dict(model, converted, fmt, "<state_dict>", strict=strict, hf_config=hf_config)
    return model.eval()
