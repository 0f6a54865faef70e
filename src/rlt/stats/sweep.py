"""The tau sweep: token counts and PSNR of the same clips at several thresholds and sampling rates.

Each video is decoded once per sampling setting; each clip is normalised once
and only the static test runs per ``tau``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from rlt.data.cut import cut_clips

from .clip import ClipTally, plan_cut_clip
from .config import StatsConfig
from .video import EXPECTED_ERRORS, VideoFailure, describe_error, item_path

POINT_FIELDS = ("interval", "fps", "tau", "clips", "tokens_total", "tokens_kept", "kept_fraction", "psnr",
                "padded_frames", "duplicated_frames")


@dataclass(frozen=True)
class Sampling:
    """How frames are picked: every ``interval``-th frame, or ``fps`` frames per second."""

    interval: int | None = None
    fps: float | None = None

    @property
    def label(self) -> str:
        return f"interval {self.interval}" if self.interval is not None else f"{self.fps:g} fps"

    def apply(self, config: StatsConfig) -> StatsConfig:
        return replace(config, interval=self.interval, fps=self.fps)


def point_row(sampling: Sampling, tau: float, tally: ClipTally) -> dict:
    """One sweep point: the sampling, the threshold and the tallies of every clip at it."""
    return {
        "interval": sampling.interval,
        "fps": sampling.fps,
        "tau": tau,
        "clips": tally.clips,
        "tokens_total": tally.tokens_total,
        "tokens_kept": tally.tokens_kept,
        "kept_fraction": tally.kept_fraction,
        "psnr": tally.psnr,
        "padded_frames": tally.padded_frames,
        "duplicated_frames": tally.duplicated_frames,
    }


@dataclass(frozen=True)
class VideoSweep:
    """One video's tallies for every ``(sampling, tau)``, in sweep order."""

    path: str
    tallies: dict[tuple[Sampling, float], ClipTally]
    source_fps: float = 0.0  # the video's own frame rate

    @property
    def duplicated_frames(self) -> int:
        """Duplicated frames over every sampling (counted once, not once per tau)."""
        first_tau = next(iter(self.tallies))[1]
        return sum(t.duplicated_frames for (_, tau), t in self.tallies.items() if tau == first_tau)

    def row(self) -> dict:
        return {"path": self.path, "points": [point_row(s, tau, t) for (s, tau), t in self.tallies.items()]}


@dataclass(frozen=True)
class SweepJob:
    """Picklable work unit: sweep one input over ``samplings x taus`` with the rest of ``config``."""

    config: StatsConfig
    taus: tuple[float, ...]
    samplings: tuple[Sampling, ...]

    def __call__(self, item) -> VideoSweep | VideoFailure:
        path, known_error = item_path(item)
        if known_error:
            return VideoFailure(path, known_error)
        tallies = {(s, tau): ClipTally() for s in self.samplings for tau in self.taus}
        source_fps = 0.0
        try:
            for sampling in self.samplings:
                config = sampling.apply(self.config)
                for clip in cut_clips(path, config.cut):
                    source_fps = clip.source_fps
                    for tau, plan in zip(self.taus, plan_cut_clip(clip, config, self.taus), strict=True):
                        tallies[sampling, tau].add_plan(plan)
        except EXPECTED_ERRORS as err:  # reported under "failed"; one bad file must not stop the sweep
            return VideoFailure(path, describe_error(err))
        if any(t.clips == 0 for t in tallies.values()):
            return VideoFailure(path, "no clips: the video has no frames")
        return VideoSweep(path, tallies, source_fps)

    def crashed(self, item, reason: str) -> VideoFailure:
        """The row of an input whose worker process died (see :func:`rlt.stats.parallel.ordered_map`)."""
        return VideoFailure(item_path(item)[0], reason)


@dataclass
class SweepSummary:
    """Tallies pooled over videos for every ``(sampling, tau)``."""

    taus: tuple[float, ...]
    samplings: tuple[Sampling, ...]
    videos: int = 0
    failed: int = 0
    tallies: dict[tuple[Sampling, float], ClipTally] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.tallies = {(s, tau): ClipTally() for s in self.samplings for tau in self.taus}

    def add(self, result: VideoSweep | VideoFailure) -> None:
        if isinstance(result, VideoFailure):
            self.failed += 1
            return
        self.videos += 1
        for key, tally in result.tallies.items():
            self.tallies[key].merge(tally)

    def to_json(self) -> dict:
        """``summary`` of the sweep JSON, without ``failed`` (the JSON writer streams that list)."""
        return {"videos": self.videos, "points": [point_row(s, tau, t) for (s, tau), t in self.tallies.items()]}

    def table(self) -> str:
        """One line per ``(sampling, tau)``: kept percent and PSNR."""
        lines = [f"videos {self.videos} processed, {self.failed} failed", "sampling      tau     kept    PSNR (dB)"]
        for (s, tau), t in self.tallies.items():
            if not t.clips:
                continue
            psnr = "exact" if t.psnr is None else f"{t.psnr:.2f}"
            lines.append(f"{s.label:<12}  {tau:<6g}  {100 * t.kept_fraction:5.1f}%  {psnr}")
        return "\n".join(lines)
