"""One clip's RLT plan, computed once and reused for counts, reconstruction and pictures."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from rlt.ops import normalize, psnr, reconstruct, static_keep

from .config import StatsConfig


@dataclass(frozen=True)
class ClipPlan:
    """The pixels of a clip and which of its tokens RLT keeps."""

    pixels: torch.Tensor  # (T, H, W, 3) uint8: resized, cropped frames
    keep: torch.Tensor  # (T', H', W') bool: the plan from rlt.ops.static_keep
    tubelet_size: int
    patch_size: int

    @property
    def tokens_total(self) -> int:
        return self.keep.numel()

    @property
    def tokens_kept(self) -> int:
        return int(self.keep.sum())

    def reconstruction(self) -> torch.Tensor:
        """RLT-decoded frames ``(T, H, W, 3)`` uint8: each kept tubelet repeated over its run."""
        video = self.pixels.permute(3, 0, 1, 2)[None]  # (1, 3, T, H, W)
        decoded = reconstruct(video, self.keep[None], self.tubelet_size, self.patch_size)
        return decoded[0].permute(1, 2, 3, 0)

    def psnr(self) -> float:
        """PSNR in dB of :meth:`reconstruction` against the frames; ``inf`` when identical."""
        return float(psnr(self.pixels[None], self.reconstruction()[None])[0])


def plan_clip(pixels: torch.Tensor, config: StatsConfig) -> ClipPlan:
    """Run the static test at ``config.tau`` on uint8 frames ``(T, H, W, 3)``.

    The frames are ImageNet-normalised first, so ``tau`` means what it means in
    :func:`rlt.tokenize`.
    """
    return plan_clip_taus(pixels, config, (config.tau,))[0]


def plan_clip_taus(pixels: torch.Tensor, config: StatsConfig, taus: Sequence[float]) -> list[ClipPlan]:
    """One :class:`ClipPlan` per threshold in ``taus`` for the same ``(T, H, W, 3)`` uint8 frames.

    The clip is normalised once; only the static test runs per ``tau``.
    """
    if pixels.dim() != 4 or pixels.shape[-1] != 3 or pixels.dtype != torch.uint8:
        raise ValueError(f"pixels must be uint8 (T, H, W, 3), got {pixels.dtype} shape {tuple(pixels.shape)}")
    video = normalize(pixels[None], channels_last=True)  # (1, 3, T, H, W) float32
    plans = []
    for tau in taus:
        keep = static_keep(
            video, tau=tau, tubelet_size=config.tubelet_size, patch_size=config.patch_size,
            mode=config.mode, norm=config.norm,
        )[0]
        plans.append(ClipPlan(pixels, keep, config.tubelet_size, config.patch_size))
    return plans


@dataclass
class ClipTally:
    """Running totals over clips: token counts, and PSNR over the clips that lost something.

    ``psnr`` is the mean over clips of each clip's PSNR; clips reconstructed
    exactly (infinite PSNR) are left out of the mean, and it is ``None`` when
    every clip is exact.
    """

    clips: int = 0
    tokens_total: int = 0
    tokens_kept: int = 0
    psnr_sum: float = 0.0
    lossy_clips: int = 0

    def add(self, tokens_total: int, tokens_kept: int, clip_psnr: float) -> None:
        self.clips += 1
        self.tokens_total += tokens_total
        self.tokens_kept += tokens_kept
        if math.isfinite(clip_psnr):
            self.psnr_sum += clip_psnr
            self.lossy_clips += 1

    def add_plan(self, plan: ClipPlan) -> None:
        self.add(plan.tokens_total, plan.tokens_kept, plan.psnr())

    def merge(self, other: ClipTally) -> None:
        """Add another tally's clips to this one (e.g. a video's to a dataset's)."""
        self.clips += other.clips
        self.tokens_total += other.tokens_total
        self.tokens_kept += other.tokens_kept
        self.psnr_sum += other.psnr_sum
        self.lossy_clips += other.lossy_clips

    @property
    def kept_fraction(self) -> float:
        return self.tokens_kept / self.tokens_total if self.tokens_total else 0.0

    @property
    def psnr(self) -> float | None:
        return self.psnr_sum / self.lossy_clips if self.lossy_clips else None
