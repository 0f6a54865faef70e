"""Collation: stacked uint8 clips (default), then normalise + RLT on the device; or packing in workers.

Where the work happens, and why: workers decode, crop and return uint8 clips
(4x smaller than float to pass between processes); :func:`collate_clips` stacks
them; :func:`prepare_batch` moves the uint8 batch to the device, normalises it and
runs :func:`rlt.tokenize` there, which is cheap on a GPU and keeps the CPU
workers free for decoding. :class:`PackedCollate` does the same inside the
workers for CPU-only pipelines that want packed batches straight from the loader.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from ..ops.normalize import normalize
from ..ops.packed import PackedBatch
from ..ops.tokenize import tokenize, tokenize_dense


def collate_clips(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Stack dataset items: ``video`` uint8 ``(B, T, H, W, 3)`` (or ``(B, V, T, H, W, 3)``),
    ``label``, ``index``, ``requested``, ``padded`` as ``(B,)`` long, ``path`` a list,
    ``failures`` every item's failures in one list."""
    if not samples:
        raise ValueError("cannot collate an empty list of samples")
    return {
        "video": torch.stack([s["video"] for s in samples]),
        "label": torch.tensor([s["label"] for s in samples], dtype=torch.long),
        "index": torch.tensor([s["index"] for s in samples], dtype=torch.long),
        "requested": torch.tensor([s["requested"] for s in samples], dtype=torch.long),
        "padded": torch.tensor([s["padded"] for s in samples], dtype=torch.long),
        "path": [s["path"] for s in samples],
        "failures": [f for s in samples for f in s["failures"]],
    }


@dataclass(frozen=True)
class TokenizeConfig:
    """RLT settings applied to a batch (DESIGN section 1)."""

    tau: float = 0.1  # static threshold, in ImageNet-normalised units (paper: 0.1)
    tubelet_size: int = 2  # frames per tubelet
    patch_size: int = 16  # pixels per patch side
    mode: str = "previous"  # static test: "previous" (paper) or "anchor"
    norm: str = "l1"  # "l1" or "l2"
    dense: bool = False  # keep every token (no reduction), same packed format


def pack_clip(clip: torch.Tensor, config: TokenizeConfig) -> PackedBatch:
    """Normalised float ``(B, C, T, H, W)`` -> packed batch: RLT, or every token when ``config.dense``."""
    if config.dense:
        return tokenize_dense(clip, tubelet_size=config.tubelet_size, patch_size=config.patch_size)
    return tokenize(clip, tau=config.tau, tubelet_size=config.tubelet_size, patch_size=config.patch_size,
                    mode=config.mode, norm=config.norm)


def pack_video(video: torch.Tensor, config: TokenizeConfig) -> PackedBatch:
    """uint8 ``(B, T, H, W, 3)`` (or with a views axis ``(B, V, ...)``, flattened to ``B*V`` clips) -> packed batch."""
    if video.dim() == 6:
        video = video.flatten(0, 1)  # (B*V, T, H, W, 3): views become clips
    return pack_clip(normalize(video, channels_last=True), config)  # normalised (B, C, T, H, W) float32


def prepare_batch(
    batch: dict[str, Any], device: torch.device | str, config: TokenizeConfig | None = TokenizeConfig()
) -> dict[str, Any]:
    """Move a collated uint8 batch to ``device``; add ``"clip"`` (normalised float ``(B, C, T, H, W)``)
    and, unless ``config`` is ``None``, ``"packed"`` (:class:`~rlt.ops.PackedBatch` on ``device``).

    The clip is normalised once and the packed tokens are gathered from it.
    Test-mode batches ``(B, V, ...)`` are flattened to ``B*V`` clips (``label`` is
    repeated to match); average the model's outputs over each item's ``V`` views.
    """
    video = batch["video"].to(device, non_blocking=True)
    labels = batch["label"].to(device)
    if video.dim() == 6:
        labels = labels.repeat_interleave(video.shape[1])
        video = video.flatten(0, 1)
    clip = normalize(video, channels_last=True)  # (B, C, T, H, W) float32
    out = dict(batch, video=video, label=labels, clip=clip)
    if config is not None:
        out["packed"] = pack_clip(clip, config)
    return out


class PackedCollate:
    """``collate_fn`` that also packs in the worker: the batch gains ``"packed"`` (CPU, float32 tokens).

    Normalised tubelet tokens are 4x the size of the uint8 clip's kept pixels; use this
    only when the consumer is on the CPU or RLT keeps few tokens.
    """

    def __init__(self, config: TokenizeConfig = TokenizeConfig()) -> None:
        self.config = config

    def __call__(self, samples: list[dict[str, Any]]) -> dict[str, Any]:
        batch = collate_clips(samples)
        batch["packed"] = pack_video(batch["video"], self.config)
        return batch
