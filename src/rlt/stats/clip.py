"""One clip's RLT plan, computed once and reused for counts, reconstruction and pictures.

Counts are honest: a tubelet whose frames are all padding or duplicates (see
:mod:`rlt.data.cut`) is not real content, so its tokens are neither kept nor
dropped. ``tokens_total`` and ``tokens_kept`` count real tubelets only, and the
PSNR is measured on real frames only.
"""

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
    synthetic: torch.Tensor | None = None  # (T,) bool: padded or duplicated frames; None: every frame is real
    padded: int = 0  # how many of the synthetic frames are padding (the rest are duplicates)

    @property
    def real_frames(self) -> torch.Tensor:
        """``(T,)`` bool: frames of real content."""
        if self.synthetic is None:
            return torch.ones(self.pixels.shape[0], dtype=torch.bool)
        return ~self.synthetic

    @property
    def real_tubelets(self) -> torch.Tensor:
        """``(T',)`` bool: tubelets holding at least one real frame; the others are neither kept nor dropped."""
        return self.real_frames.view(self.keep.shape[0], self.tubelet_size).any(1)

    @property
    def duplicated(self) -> int:
        """Frames repeating the previous one because frames were sampled above the source rate."""
        return int((~self.real_frames).sum()) - self.padded

    def tubelet_labels(self) -> list[str | None]:
        """``(T',)`` labels for pictures: ``None`` (real), ``"padding"`` or ``"repeated frames"``."""
        t_frames = self.pixels.shape[0]
        padded = torch.arange(t_frames) >= t_frames - self.padded  # (T,) bool
        labels: list[str | None] = []
        for t, real in enumerate(self.real_tubelets.tolist()):
            frames = slice(t * self.tubelet_size, (t + 1) * self.tubelet_size)
            labels.append(None if real else "padding" if bool(padded[frames].all()) else "repeated frames")
        return labels

    @property
    def tokens_total(self) -> int:
        """Tokens of real tubelets."""
        return int(self.real_tubelets.sum()) * self.keep[0].numel()

    @property
    def tokens_kept(self) -> int:
        """Kept tokens of real tubelets."""
        return int(self.keep[self.real_tubelets].sum())

    @property
    def tokens_synthetic(self) -> int:
        """Tokens of tubelets made only of padded or duplicated frames (reported apart)."""
        return self.keep.numel() - self.tokens_total

    def reconstruction(self) -> torch.Tensor:
        """RLT-decoded frames ``(T, H, W, 3)`` uint8: each kept tubelet repeated over its run."""
        video = self.pixels.permute(3, 0, 1, 2)[None]  # (1, 3, T, H, W)
        decoded = reconstruct(video, self.keep[None], self.tubelet_size, self.patch_size)
        return decoded[0].permute(1, 2, 3, 0)

    def psnr(self) -> float:
        """PSNR in dB of :meth:`reconstruction` against the real frames; ``inf`` when identical."""
        real = self.real_frames
        return float(psnr(self.pixels[real][None], self.reconstruction()[real][None])[0])


def plan_clip(
    pixels: torch.Tensor, config: StatsConfig, *, synthetic: torch.Tensor | None = None, padded: int = 0
) -> ClipPlan:
    """Run the static test at ``config.tau`` on uint8 frames ``(T, H, W, 3)``.

    The frames are ImageNet-normalised first, so ``tau`` means what it means in
    :func:`rlt.tokenize`. ``synthetic (T,)`` bool marks padded or duplicated frames
    (``padded`` of them padding), e.g. ``clip.synthetic`` of a :class:`rlt.data.cut.Clip`.
    """
    return plan_clip_taus(pixels, config, (config.tau,), synthetic=synthetic, padded=padded)[0]


def plan_cut_clip(clip, config: StatsConfig, taus: Sequence[float] | None = None) -> list[ClipPlan]:
    """Plans of a :class:`rlt.data.cut.Clip` at each of ``taus`` (default ``(config.tau,)``), padding counted."""
    return plan_clip_taus(clip.pixels, config, (config.tau,) if taus is None else taus,
                          synthetic=clip.synthetic, padded=clip.padded)


def plan_clip_taus(
    pixels: torch.Tensor,
    config: StatsConfig,
    taus: Sequence[float],
    *,
    synthetic: torch.Tensor | None = None,
    padded: int = 0,
) -> list[ClipPlan]:
    """One :class:`ClipPlan` per threshold in ``taus`` for the same ``(T, H, W, 3)`` uint8 frames.

    The clip is normalised once; only the static test runs per ``tau``.
    """
    if pixels.dim() != 4 or pixels.shape[-1] != 3 or pixels.dtype != torch.uint8:
        raise ValueError(f"pixels must be uint8 (T, H, W, 3), got {pixels.dtype} shape {tuple(pixels.shape)}")
    if synthetic is not None and (synthetic.shape != pixels.shape[:1] or synthetic.dtype != torch.bool):
        raise ValueError(f"synthetic must be ({pixels.shape[0]},) bool, got {synthetic.dtype} {tuple(synthetic.shape)}")
    if synthetic is not None and bool(synthetic[0]):
        raise ValueError("the first frame of a clip is always real content, but synthetic[0] is True")
    video = normalize(pixels[None], channels_last=True)  # (1, 3, T, H, W) float32
    plans = []
    for tau in taus:
        keep = static_keep(
            video, tau=tau, tubelet_size=config.tubelet_size, patch_size=config.patch_size,
            mode=config.mode, norm=config.norm,
        )[0]
        plans.append(ClipPlan(pixels, keep, config.tubelet_size, config.patch_size, synthetic, padded))
    return plans


@dataclass
class ClipTally:
    """Running totals over clips: token counts of real content, padded/duplicated frames, and PSNR.

    ``psnr`` is the mean over clips of each clip's PSNR; clips reconstructed
    exactly (infinite PSNR) are left out of the mean, and it is ``None`` when
    every clip is exact.
    """

    clips: int = 0
    tokens_total: int = 0  # tokens of real tubelets
    tokens_kept: int = 0  # kept tokens of real tubelets
    psnr_sum: float = 0.0
    lossy_clips: int = 0
    padded_frames: int = 0  # frames repeated to fill a clip of a video shorter than one clip
    duplicated_frames: int = 0  # frames shown twice because frames were sampled above the source rate

    def add(self, tokens_total: int, tokens_kept: int, clip_psnr: float, padded: int = 0, duplicated: int = 0) -> None:
        self.clips += 1
        self.tokens_total += tokens_total
        self.tokens_kept += tokens_kept
        self.padded_frames += padded
        self.duplicated_frames += duplicated
        if math.isfinite(clip_psnr):
            self.psnr_sum += clip_psnr
            self.lossy_clips += 1

    def add_plan(self, plan: ClipPlan) -> None:
        self.add(plan.tokens_total, plan.tokens_kept, plan.psnr(), plan.padded, plan.duplicated)

    def merge(self, other: ClipTally) -> None:
        """Add another tally's clips to this one (e.g. a video's to a dataset's)."""
        self.clips += other.clips
        self.tokens_total += other.tokens_total
        self.tokens_kept += other.tokens_kept
        self.psnr_sum += other.psnr_sum
        self.lossy_clips += other.lossy_clips
        self.padded_frames += other.padded_frames
        self.duplicated_frames += other.duplicated_frames

    @property
    def kept_fraction(self) -> float:
        return self.tokens_kept / self.tokens_total if self.tokens_total else 0.0

    @property
    def psnr(self) -> float | None:
        return self.psnr_sum / self.lossy_clips if self.lossy_clips else None
