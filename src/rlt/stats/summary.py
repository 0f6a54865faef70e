"""Dataset-wide totals of ``rlt stats``, accumulated one video at a time in constant memory."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .clip import ClipTally
from .video import VideoFailure, VideoResult


@dataclass
class StatsSummary:
    """Pooled token counts and PSNR, plus the spread of per-video kept fractions (Welford's method)."""

    videos: int = 0  # inputs that produced at least one clip
    failed: int = 0  # inputs listed under "failed"
    tally: ClipTally = field(default_factory=ClipTally)  # all clips of all videos, pooled
    _mean: float = 0.0  # running mean of per-video kept fractions
    _m2: float = 0.0  # running sum of squared deviations from it
    min_kept: float = math.inf
    max_kept: float = -math.inf

    def add(self, result: VideoResult | VideoFailure) -> None:
        if isinstance(result, VideoFailure):
            self.failed += 1
            return
        self.videos += 1
        self.tally.merge(result.tally)
        kept = result.tally.kept_fraction
        delta = kept - self._mean
        self._mean += delta / self.videos
        self._m2 += delta * (kept - self._mean)
        self.min_kept, self.max_kept = min(self.min_kept, kept), max(self.max_kept, kept)

    @property
    def mean_kept(self) -> float:
        """Mean over videos of each video's kept fraction (each video weighs the same)."""
        return self._mean

    @property
    def std_kept(self) -> float:
        """Population standard deviation of per-video kept fractions (0 for one video)."""
        return math.sqrt(self._m2 / self.videos) if self.videos else 0.0

    def to_json(self) -> dict:
        """``summary`` of DESIGN section 4, without ``failed`` (the JSON writer streams that list)."""
        t = self.tally
        return {
            "videos": self.videos,
            "clips": t.clips,
            "tokens_total": t.tokens_total,
            "tokens_kept": t.tokens_kept,
            "kept_fraction": t.kept_fraction,
            "padded_frames": t.padded_frames,
            "duplicated_frames": t.duplicated_frames,
        }

    def table(self) -> str:
        """Human-readable summary, one quantity per line."""
        t = self.tally
        lines = [f"videos         {self.videos} processed, {self.failed} failed"]
        if not self.videos:
            return lines[0]
        per_clip_total = t.tokens_total / t.clips
        spread = f"{100 * self.std_kept:.1f}" if self.videos > 1 else "-"
        lines += [
            f"clips          {t.clips}",
            f"kept fraction  {100 * t.kept_fraction:.1f}% of real tokens; per video mean {100 * self.mean_kept:.1f}%"
            f" (std {spread}, min {100 * self.min_kept:.1f}%, max {100 * self.max_kept:.1f}%)",
            f"tokens/clip    {t.tokens_kept / t.clips:.0f} kept of {per_clip_total:.0f}",
            "PSNR           " + self._psnr_text(),
        ]
        if t.padded_frames or t.duplicated_frames:
            lines.append(f"not counted    {t.padded_frames} padded and {t.duplicated_frames} duplicated frames "
                         "(neither kept nor dropped)")
        return "\n".join(lines)

    def _psnr_text(self) -> str:
        t = self.tally
        if t.psnr is None:
            return "exact (every clip reconstructed losslessly)"
        clips = f"{t.lossy_clips} clip{'' if t.lossy_clips == 1 else 's'}"
        return f"{t.psnr:.2f} dB (mean over the {clips} not reconstructed exactly)"
