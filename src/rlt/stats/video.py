"""Per-video statistics: cut a video into clips (:func:`rlt.data.cut_clips`), tally their RLT plans.

Only one clip's frames are in memory at a time, so an hour-long recording costs
no more memory than a ten-second one. A video that cannot be read becomes a
:class:`VideoFailure` carrying the reason; nothing is dropped silently. Only the
errors a bad file causes (:class:`rlt.data.VideoDecodeError`, ``OSError``) are
caught: anything else is a bug and is raised.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from rlt.data.cut import Clip, cut_clips
from rlt.data.errors import VideoDecodeError

from .clip import ClipTally, plan_cut_clip
from .config import StatsConfig

# DESIGN section 4, plus duplicated_frames next to padded_frames
ROW_FIELDS = ("path", "clips", "tokens_total", "tokens_kept", "kept_fraction", "psnr", "padded_frames",
              "duplicated_frames")
EXPECTED_ERRORS = (VideoDecodeError, OSError)  # what a bad input raises; anything else is a bug
ClipFrames = Clip  # the name used before rlt.data.cut_clips existed


@dataclass(frozen=True)
class VideoResult:
    """Tallies of one video that decoded into at least one clip."""

    path: str
    tally: ClipTally
    source_fps: float = 0.0  # the video's own frame rate

    @property
    def padded_frames(self) -> int:
        return self.tally.padded_frames

    @property
    def duplicated_frames(self) -> int:
        return self.tally.duplicated_frames

    def row(self) -> dict:
        """The ``videos`` row of DESIGN section 4."""
        t = self.tally
        return {
            "path": self.path,
            "clips": t.clips,
            "tokens_total": t.tokens_total,
            "tokens_kept": t.tokens_kept,
            "kept_fraction": t.kept_fraction,
            "psnr": t.psnr,
            "padded_frames": t.padded_frames,
            "duplicated_frames": t.duplicated_frames,
        }


@dataclass(frozen=True)
class VideoFailure:
    """An input that could not be processed, and why."""

    path: str
    error: str

    def row(self) -> dict:
        return {"path": self.path, "error": self.error}


def iter_clips(path: str | os.PathLike, config: StatsConfig, *, limit: int | None = None) -> Iterator[Clip]:
    """:func:`rlt.data.cut_clips` with the cut of ``config`` (at most ``limit`` clips)."""
    return cut_clips(path, config.cut, limit=limit)


def clip_at(path: str | os.PathLike, config: StatsConfig, start_time: float = 0.0) -> Clip | None:
    """The clip whose first frame is the first one shown at or after ``start_time`` seconds.

    ``None`` when fewer than ``num_frames`` frames remain after ``start_time``; a
    video shorter than one clip, asked from 0, gives its padded clip.
    """
    return next(cut_clips(path, config.cut, start=start_time, limit=1), None)


def describe_error(err: BaseException) -> str:
    """One line for a ``failed`` entry: the decoder's reason, or the exception type and message."""
    reason = getattr(err, "reason", None)
    if isinstance(reason, str) and reason:
        return reason
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    return f"{type(err).__name__}: {err}"


def item_path(item) -> tuple[str, str | None]:
    """``(path, error known before decoding)`` of an :class:`rlt.stats.inputs.InputItem` or a plain path."""
    return (item.path, item.error) if hasattr(item, "error") else (os.fspath(item), None)


@dataclass(frozen=True)
class VideoJob:
    """A picklable unit of work for :func:`rlt.stats.parallel.ordered_map`: one input under one config."""

    config: StatsConfig

    def __call__(self, item) -> VideoResult | VideoFailure:
        return video_stats(item, self.config)

    def crashed(self, item, reason: str) -> VideoFailure:
        """The row of an input whose worker process died (see :func:`rlt.stats.parallel.ordered_map`)."""
        return VideoFailure(item_path(item)[0], reason)


def video_stats(item, config: StatsConfig) -> VideoResult | VideoFailure:
    """Tally every clip of one input (an :class:`rlt.stats.inputs.InputItem` or a path).

    A file that cannot be decoded, has no frames or yields no clip comes back as
    :class:`VideoFailure` with the reason; other exceptions are bugs and propagate.
    """
    path, known_error = item_path(item)
    if known_error:
        return VideoFailure(path, known_error)
    tally = ClipTally()
    source_fps = 0.0
    try:
        for clip in cut_clips(path, config.cut):
            tally.add_plan(plan_cut_clip(clip, config)[0])
            source_fps = clip.source_fps
    except EXPECTED_ERRORS as err:  # reported under "failed" with its reason; one bad file must not stop a dataset
        return VideoFailure(path, describe_error(err))
    if tally.clips == 0:
        return VideoFailure(path, "no clips: the video has no frames")
    return VideoResult(path, tally, source_fps)
