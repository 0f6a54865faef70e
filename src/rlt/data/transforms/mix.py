"""Mixup and CutMix over a batch (timm's batch mode), on float clips after normalisation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class MixConfig:
    """Mixup / CutMix settings; VideoMAE fine-tuning uses these defaults."""

    mixup_alpha: float = 0.8  # Beta(alpha, alpha) for mixup's weight; 0 turns mixup off
    cutmix_alpha: float = 1.0  # Beta(alpha, alpha) for CutMix's area; 0 turns CutMix off
    prob: float = 1.0  # chance a batch is mixed at all
    switch_prob: float = 0.5  # chance of CutMix rather than mixup when both are on
    label_smoothing: float = 0.1  # applied to both one-hot targets before mixing


def one_hot(labels: torch.Tensor, num_classes: int, smoothing: float = 0.0) -> torch.Tensor:
    """``(B,)`` long labels -> ``(B, num_classes)`` float targets with label smoothing."""
    if labels.dim() != 1:
        raise ValueError(f"labels must be (B,), got shape {tuple(labels.shape)}")
    if labels.numel() and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels must be in [0, {num_classes}), got range [{int(labels.min())}, {int(labels.max())}]")
    off = smoothing / num_classes
    targets = torch.full((labels.shape[0], num_classes), off, device=labels.device)
    return targets.scatter_(1, labels[:, None], 1.0 - smoothing + off)


def cutmix_box(height: int, width: int, lam: float, rng: np.random.Generator) -> tuple[int, int, int, int]:
    """``(y0, y1, x0, x1)`` of a box covering about ``1 - lam`` of the frame, centred uniformly."""
    cut = (1.0 - lam) ** 0.5
    ch, cw = int(height * cut), int(width * cut)
    cy, cx = int(rng.integers(0, height)), int(rng.integers(0, width))
    return max(cy - ch // 2, 0), min(cy + ch // 2, height), max(cx - cw // 2, 0), min(cx + cw // 2, width)


def mixup_cutmix(
    video: torch.Tensor,
    labels: torch.Tensor,
    num_classes: int,
    config: MixConfig = MixConfig(),
    *,
    rng: np.random.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mix each clip with the batch's mirror image (clip ``b`` with clip ``B-1-b``).

    ``video (B, C, T, H, W)`` float, ``labels (B,)`` long. Returns the mixed video
    (a new tensor; CutMix pastes one box through every frame) and soft targets
    ``(B, num_classes)``. RLT then sees the mixed clip, as the model will.
    ``rng`` makes the draws reproducible (default: a fresh unseeded generator).
    """
    rng = rng if rng is not None else np.random.default_rng()
    if video.dim() != 5 or video.shape[0] != labels.shape[0]:
        raise ValueError(f"video must be (B, C, T, H, W) with B = len(labels), got {tuple(video.shape)} and {tuple(labels.shape)}")
    if not video.is_floating_point():
        raise ValueError(f"video must be float (normalise first), got {video.dtype}")
    targets = one_hot(labels, num_classes, config.label_smoothing)
    use_mixup, use_cutmix = config.mixup_alpha > 0, config.cutmix_alpha > 0
    if not (use_mixup or use_cutmix) or rng.random() >= config.prob:
        return video, targets
    cutmix = use_cutmix and (not use_mixup or rng.random() < config.switch_prob)
    alpha = config.cutmix_alpha if cutmix else config.mixup_alpha
    lam = float(rng.beta(alpha, alpha))
    flipped = video.flip(0)
    if cutmix:
        h, w = video.shape[-2:]
        y0, y1, x0, x1 = cutmix_box(h, w, lam, rng)
        mixed = video.clone()
        mixed[..., y0:y1, x0:x1] = flipped[..., y0:y1, x0:x1]
        lam = 1.0 - (y1 - y0) * (x1 - x0) / (h * w)  # the area actually pasted
    else:
        mixed = video * lam + flipped * (1.0 - lam)
    return mixed, targets * lam + targets.flip(0) * (1.0 - lam)
