"""Per-video statistics: cut a video into clips, decode them one at a time, tally their RLT plans.

Only one clip's frames are in memory at a time, so an hour-long recording costs
no more memory than a ten-second one. Every failure becomes a
:class:`VideoFailure` carrying the reason; nothing is dropped silently.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import torch

from .clip import ClipTally, plan_clip
from .config import StatsConfig

ROW_FIELDS = ("path", "clips", "tokens_total", "tokens_kept", "kept_fraction", "psnr")  # DESIGN section 4


@dataclass(frozen=True)
class ClipFrames:
    """One clip's frames, ready for :func:`rlt.stats.clip.plan_clip`."""

    pixels: torch.Tensor  # (T, size, size, 3) uint8: resized short side, centre-cropped
    indices: list[int]  # (T,) frame indices into the video
    padded: int  # trailing frames repeating the last one (video shorter than one clip)
    fps: float  # frames per second of the sampled clip (video rate / interval, or the --fps rate)


@dataclass(frozen=True)
class VideoResult:
    """Tallies of one video that decoded into at least one clip."""

    path: str
    tally: ClipTally
    padded_frames: int = 0  # frames repeated to fill clips of a video shorter than one clip

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
        }


@dataclass(frozen=True)
class VideoFailure:
    """An input that could not be processed, and why."""

    path: str
    error: str

    def row(self) -> dict:
        return {"path": self.path, "error": self.error}


def clip_windows(path: str | os.PathLike, config: StatsConfig):
    """Probe ``path`` and return ``(info, windows)``: the :class:`rlt.data.VideoInfo` and the
    :class:`rlt.data.sampling.ClipIndices` of every consecutive clip."""
    from rlt.data import probe
    from rlt.data.sampling import consecutive_clips

    info = probe(path)
    return info, consecutive_clips(info, config.num_frames, interval=config.interval, fps=config.fps)


def _decode(path: str | os.PathLike, info, window, config: StatsConfig, rate: float) -> ClipFrames:
    from rlt.data import read_frames
    from rlt.data.transforms import center_crop, resize_short_side

    frames = read_frames(path, window.indices, info=info)  # (T, H, W, 3) uint8
    pixels = center_crop(resize_short_side(frames, config.size), config.size)
    return ClipFrames(pixels.contiguous(), list(window.indices), window.padded, rate)


def _rate(info, config: StatsConfig) -> float:
    return config.fps if config.fps is not None else info.fps / config.interval


def iter_clips(path: str | os.PathLike, config: StatsConfig, *, limit: int | None = None) -> Iterator[ClipFrames]:
    """Decode, resize and centre-crop the consecutive clips of ``path``, one at a time (at most ``limit``).

    Yields :class:`ClipFrames` with ``pixels (num_frames, size, size, 3)`` uint8.
    Raises :class:`rlt.data.VideoDecodeError` for a file that cannot be read.
    """
    info, windows = clip_windows(path, config)
    for window in windows[:limit]:
        yield _decode(path, info, window, config, _rate(info, config))


def clip_at(path: str | os.PathLike, config: StatsConfig, start_time: float = 0.0) -> ClipFrames | None:
    """The clip whose first frame is the first one shown at or after ``start_time`` seconds.

    Frames follow from there every ``interval`` frames (or at ``fps``). ``None``
    when fewer than ``num_frames`` frames remain after ``start_time``; a video
    shorter than one clip, asked from 0, gives its padded clip as in :func:`iter_clips`.
    """
    import numpy as np

    from rlt.data import probe
    from rlt.data.sampling import ClipIndices, frames_at_fps, pad_to

    info = probe(path)
    timestamps = info.timestamps  # (num_frames,) seconds, first frame at 0
    first = int(np.searchsorted(timestamps, start_time - 1e-6))
    if first >= info.num_frames:
        return None
    if config.fps is None:
        sequence = np.arange(first, info.num_frames, config.interval)
    else:
        sequence = first + frames_at_fps(timestamps[first:], config.fps)
    if len(sequence) >= config.num_frames:
        window = ClipIndices(sequence[: config.num_frames].tolist())
    elif first == 0:
        window = pad_to(sequence, config.num_frames)
    else:
        return None
    return _decode(path, info, window, config, _rate(info, config))


def describe_error(err: BaseException) -> str:
    """One line for a ``failed`` entry: the decoder's reason, or the exception type and message."""
    reason = getattr(err, "reason", None)
    if isinstance(reason, str) and reason:
        return reason
    return f"{type(err).__name__}: {err}"


@dataclass(frozen=True)
class VideoJob:
    """A picklable unit of work for :func:`rlt.stats.parallel.ordered_map`: one input under one config."""

    config: StatsConfig

    def __call__(self, item) -> VideoResult | VideoFailure:
        return video_stats(item, self.config)


def video_stats(item, config: StatsConfig) -> VideoResult | VideoFailure:
    """Tally every clip of one input (an :class:`rlt.stats.inputs.InputItem` or a path).

    Never raises for a bad video: a file that cannot be decoded, has no frames
    or yields no clip comes back as :class:`VideoFailure` with the reason.
    """
    path, known_error = (item.path, item.error) if hasattr(item, "error") else (os.fspath(item), None)
    if known_error:
        return VideoFailure(path, known_error)
    tally = ClipTally()
    padded = 0
    try:
        for clip in iter_clips(path, config):
            tally.add_plan(plan_clip(clip.pixels, config))
            padded += clip.padded
    except Exception as err:  # reported under "failed" with its reason; one bad file must not stop a dataset
        return VideoFailure(path, describe_error(err))
    if tally.clips == 0:
        return VideoFailure(path, "no clips: the video has no frames")
    return VideoResult(path, tally, padded)
