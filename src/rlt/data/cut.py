"""Cut a whole video into consecutive clips: the one way ``stats``, ``sweep``, ``viz`` and ``bench`` make clips.

Clips are non-overlapping windows of ``num_frames`` frames taken every
``interval`` frames, or at ``fps`` frames per second by timestamp. Each frame has
its short side resized to ``size`` and is centre-cropped (the same
:func:`~rlt.data.transforms.resize_short_side` + :func:`~rlt.data.transforms.center_crop`
the dataset uses). Two kinds of frames are not real content and are counted
apart, so nothing downstream mistakes them for savings:

- **padded**: a video shorter than one clip gives one clip filled up by repeating
  its last frame (the trailing ``padded`` frames);
- **duplicated**: with ``fps`` above the video's own rate the same source frame
  is shown more than once; a frame whose index equals the previous frame's in
  the clip (and is not padding) is a duplicate.

Only one clip's frames are decoded at a time, so an hour-long recording costs no
more memory than a ten-second one.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import torch

from .info import VideoInfo
from .sampling import ClipIndices, consecutive_clips, frames_at_fps


def _check_positive_int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


@dataclass(frozen=True)
class CutConfig:
    """How a video is cut into clips (the options are generated from these fields)."""

    num_frames: int = field(default=16, metadata={"help": "frames per clip; a multiple of --tubelet-size"})
    interval: int | None = field(
        default=4, metadata={"help": "take every INTERVAL-th frame (default 4); exclusive with --fps"}
    )
    fps: float | None = field(
        default=None, metadata={"help": "sample frames at this rate (by timestamp) instead of a fixed interval; "
                                        "above the video's own rate, repeated frames count as duplicated"}
    )
    size: int = field(default=224, metadata={"help": "short side resized to SIZE, then centre-cropped SIZE x SIZE"})

    def __post_init__(self) -> None:
        _check_positive_int("num_frames", self.num_frames)
        _check_positive_int("size", self.size)
        if self.fps is not None:
            if isinstance(self.fps, bool) or not isinstance(self.fps, (int, float)) or not (
                math.isfinite(self.fps) and self.fps > 0
            ):
                raise ValueError(f"fps must be a finite positive number, got {self.fps!r}")
            if self.interval is not None:
                raise ValueError(f"give interval or fps, not both (interval={self.interval}, fps={self.fps})")
        elif self.interval is None:
            raise ValueError("one of interval or fps is required")
        else:
            _check_positive_int("interval", self.interval)


@dataclass(frozen=True)
class Clip:
    """One clip of a video, decoded and cropped, with its frames that are not real content counted."""

    pixels: torch.Tensor  # (T, size, size, 3) uint8, resized short side, centre-cropped
    indices: list[int]  # (T,) frame indices into the video
    padded: int  # trailing frames repeating the last one (the video is shorter than one clip)
    duplicated: int  # frames repeating the previous frame of the clip because fps exceeds the source rate
    fps: float  # frames per second of the sampled clip (source rate / interval, or the fps asked for)
    source_fps: float  # the video's own average frame rate

    @property
    def synthetic(self) -> torch.Tensor:
        """``(T,)`` bool: frames that are padding or duplicates, i.e. not real content."""
        return synthetic_frames(self.indices, self.padded)


def synthetic_frames(indices: list[int], padded: int) -> torch.Tensor:
    """``(T,)`` bool marking padded (the last ``padded``) and duplicated frames of a clip's ``indices``.

    >>> synthetic_frames([0, 0, 1, 2, 2, 2], padded=2).tolist()
    [False, True, False, False, True, True]
    """
    idx = torch.as_tensor(indices, dtype=torch.long)
    mark = torch.zeros(len(indices), dtype=torch.bool)
    if len(indices) > 1:
        mark[1:] = idx[1:] == idx[:-1]  # shown again: a duplicate
    if padded:
        mark[len(indices) - padded :] = True
    return mark


def clip_windows(info: VideoInfo, config: CutConfig, *, start: float = 0.0) -> list[ClipIndices]:
    """The frame indices of every clip :func:`cut_clips` decodes, without decoding anything.

    With ``start`` > 0 the first clip begins at the first frame shown at or after
    ``start`` seconds and only complete clips are returned (possibly none); from
    ``start = 0`` a video shorter than one clip gives one padded clip.
    """
    if start <= 0:
        return consecutive_clips(info, config.num_frames, interval=config.interval, fps=config.fps)
    timestamps = info.timestamps  # (num_frames,) seconds, first frame at 0
    first = int(np.searchsorted(timestamps, start - 1e-6))
    if first >= info.num_frames:
        return []
    if config.fps is None:
        sequence = np.arange(first, info.num_frames, config.interval)
    else:
        sequence = first + frames_at_fps(timestamps[first:], config.fps)
    n = config.num_frames
    return [ClipIndices(sequence[k * n : (k + 1) * n].tolist()) for k in range(len(sequence) // n)]


def _rate(info: VideoInfo, config: CutConfig) -> float:
    return config.fps if config.fps is not None else info.fps / config.interval


def cut_clips(
    path: str | os.PathLike,
    config: CutConfig = CutConfig(),
    *,
    start: float = 0.0,
    limit: int | None = None,
    backend: str | None = None,
    info: VideoInfo | None = None,
) -> Iterator[Clip]:
    """Decode, resize and centre-crop the consecutive clips of ``path``, one at a time (at most ``limit``).

    Yields :class:`Clip` with ``pixels (num_frames, size, size, 3)`` uint8 and the
    counts of padded and duplicated frames. ``start`` (seconds) skips to the first
    frame shown at or after it (see :func:`clip_windows`). Raises
    :class:`rlt.data.VideoDecodeError` for a file that cannot be read.
    """
    from .decode import probe, read_frames
    from .transforms.geometry import center_crop, resize_short_side

    info = info or probe(path)
    windows = clip_windows(info, config, start=start)
    for window in windows[:limit]:
        frames = read_frames(path, window.indices, backend=backend, info=info)  # (T, H, W, 3) uint8
        pixels = center_crop(resize_short_side(frames, config.size), config.size).contiguous()
        marks = synthetic_frames(window.indices, window.padded)
        yield Clip(pixels, list(window.indices), window.padded, int(marks.sum()) - window.padded,
                   _rate(info, config), info.fps)


__all__ = ["Clip", "CutConfig", "clip_windows", "cut_clips", "synthetic_frames"]
