"""Random erasing (timm's, pixel mode) on normalised float clips, one box through all frames."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class EraseConfig:
    """Random-erasing settings; VideoMAE fine-tuning uses probability 0.25."""

    probability: float = 0.25  # chance each clip gets erased boxes
    min_area: float = 0.02  # smallest box, as a fraction of the frame
    max_area: float = 1 / 3  # largest box, as a fraction of the frame
    min_aspect: float = 0.3  # aspect ratios drawn log-uniformly in [min_aspect, 1/min_aspect]
    max_count: int = 1  # boxes per erased clip, drawn uniformly in [1, max_count]


def random_erase(
    video: torch.Tensor, config: EraseConfig = EraseConfig(), *, rng: np.random.Generator | None = None
) -> torch.Tensor:
    """Fill random boxes of each clip with standard-normal noise (per pixel), the same box in every frame.

    ``video (B, C, T, H, W)`` float, ImageNet-normalised (noise ~ N(0, 1) matches
    its statistics). Returns a new tensor. A cube-shaped erase keeps erased
    regions static over time, so RLT treats them like any other static region.
    """
    if video.dim() != 5 or not video.is_floating_point():
        raise ValueError(f"video must be float (B, C, T, H, W), got {video.dtype} {tuple(video.shape)}")
    if not 0 <= config.probability <= 1:
        raise ValueError(f"probability must be in [0, 1], got {config.probability}")
    rng = rng if rng is not None else np.random.default_rng()
    out = video.clone()
    b, c, t, h, w = video.shape
    log_aspect = (math.log(config.min_aspect), math.log(1 / config.min_aspect))
    for i in range(b):
        if rng.random() >= config.probability:
            continue
        for _ in range(int(rng.integers(1, config.max_count + 1))):
            for _attempt in range(10):
                area = h * w * rng.uniform(config.min_area, config.max_area)
                aspect = math.exp(rng.uniform(*log_aspect))
                eh, ew = int(round(math.sqrt(area * aspect))), int(round(math.sqrt(area / aspect)))
                if 0 < eh < h and 0 < ew < w:
                    top, left = int(rng.integers(0, h - eh + 1)), int(rng.integers(0, w - ew + 1))
                    noise = torch.from_numpy(rng.standard_normal((c, 1, eh, ew), dtype=np.float32))
                    out[i, :, :, top : top + eh, left : left + ew] = noise.to(out)
                    break
    return out
