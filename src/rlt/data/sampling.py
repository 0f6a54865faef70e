"""Which frame indices make a clip: consecutive windows, Kinetics, SSv2 segments, test views.

Samplers return :class:`ClipIndices`: the indices to pass to :func:`rlt.data.read_frames`
plus ``padded``, how many trailing indices repeat the last frame because the video
was too short for one clip. Padding is the only place frames are repeated, and it
is always counted, never hidden. Randomness comes from a ``numpy.random.Generator``;
:func:`clip_rng` derives one from ``(seed, epoch, index, attempt)`` so a seed gives
the same clips whatever worker loads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .info import VideoInfo


@dataclass(frozen=True)
class ClipIndices:
    """Frame indices of one clip."""

    indices: list[int]  # (num_frames,) frame indices into the video, ascending, may repeat
    padded: int = 0  # how many trailing entries repeat the last frame because the video is too short

    def __len__(self) -> int:
        return len(self.indices)


def clip_rng(seed: int, *keys: int) -> np.random.Generator:
    """A generator determined by ``seed`` and integer ``keys`` (e.g. epoch, index, attempt)."""
    return np.random.default_rng([seed, *(int(k) for k in keys)])


def _positive(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def pad_to(indices: Sequence[int], num_frames: int) -> ClipIndices:
    """``indices`` cut or padded (repeating its last entry) to exactly ``num_frames``."""
    indices = [int(i) for i in indices][:num_frames]
    if not indices:
        raise ValueError("cannot pad an empty list of indices")
    padded = num_frames - len(indices)
    return ClipIndices(indices + [indices[-1]] * padded, padded)


def frames_at_fps(timestamps: Sequence[float] | np.ndarray, fps: float) -> np.ndarray:
    """``(M,)`` indices of the frame shown at times ``0, 1/fps, 2/fps, ...`` up to the last timestamp.

    Each target time takes the nearest frame at or before it (what a player shows
    then), so variable frame rate is handled by the real timestamps; a target rate
    above the video's repeats frames, one below skips them.
    """
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}")
    ts = np.asarray(timestamps, dtype=np.float64)
    if ts.ndim != 1 or ts.size == 0:
        raise ValueError(f"timestamps must be a non-empty 1-D sequence, got shape {ts.shape}")
    ts = ts - ts[0]
    eps = 1e-6  # timestamps are rounded to the container's time base
    targets = np.arange(int(np.floor(ts[-1] * fps + eps)) + 1) / fps
    return np.searchsorted(ts, targets + eps, side="right") - 1


def consecutive_clips(
    info: VideoInfo,
    num_frames: int,
    *,
    interval: int | None = None,
    fps: float | None = None,
    timestamps: Sequence[float] | np.ndarray | None = None,
) -> list[ClipIndices]:
    """Every non-overlapping window of ``num_frames`` frames, for statistics over a whole video.

    With ``interval``, window ``k`` is frames ``k*num_frames*interval + interval*[0..num_frames-1]``;
    with ``fps``, frames are picked by timestamp at that rate (:func:`frames_at_fps`;
    ``timestamps`` overrides ``info.timestamps``) and cut into windows the same way.
    Only complete windows are returned, except that a video shorter than one
    window gives ONE window padded with its last frame (``padded > 0``).
    Exactly one of ``interval`` and ``fps`` must be given.
    """
    num_frames = _positive("num_frames", num_frames)
    if (interval is None) == (fps is None):
        raise ValueError(f"give exactly one of interval and fps, got interval={interval!r}, fps={fps!r}")
    if interval is not None:
        sequence = np.arange(0, info.num_frames, _positive("interval", interval))
    else:
        sequence = frames_at_fps(info.timestamps if timestamps is None else timestamps, fps)
    if len(sequence) < num_frames:
        return [pad_to(sequence, num_frames)]
    windows = len(sequence) // num_frames
    return [ClipIndices(sequence[k * num_frames : (k + 1) * num_frames].tolist()) for k in range(windows)]


def kinetics_clip(
    total: int, num_frames: int, interval: int, *, train: bool, rng: np.random.Generator | None = None
) -> ClipIndices:
    """``num_frames`` frames every ``interval`` frames: random start in training, centred otherwise.

    ``total`` is the video's frame count (or the length of an fps-resampled sequence).
    A video shorter than the clip's span starts at 0 and is padded with its last frame.
    """
    total, num_frames, interval = (_positive(n, v) for n, v in
                                   (("total", total), ("num_frames", num_frames), ("interval", interval)))
    span = (num_frames - 1) * interval + 1
    if total < span:
        return pad_to(range(0, total, interval), num_frames)
    slack = total - span
    if train:
        if rng is None:
            raise ValueError("rng is required when train=True (use clip_rng(seed, epoch, index))")
        start = int(rng.integers(0, slack + 1))
    else:
        start = slack // 2
    return ClipIndices(list(range(start, start + span, interval)))


def segment_clip(
    total: int, num_segments: int, *, train: bool, rng: np.random.Generator | None = None, position: float = 0.5
) -> ClipIndices:
    """SSv2 / TSN style: split the video into ``num_segments`` equal parts, one frame from each.

    Training takes a random frame in each segment; otherwise the frame at ``position``
    (0 = start, 0.5 = middle) of each segment, so test views can shift it.
    With fewer frames than segments, segments share frames; ``padded`` counts the repeats.
    """
    total, num_segments = _positive("total", total), _positive("num_segments", num_segments)
    edges = np.linspace(0, total, num_segments + 1)
    if train:
        if rng is None:
            raise ValueError("rng is required when train=True (use clip_rng(seed, epoch, index))")
        points = edges[:-1] + rng.random(num_segments) * (edges[1:] - edges[:-1])
    else:
        if not 0 <= position < 1:
            raise ValueError(f"position must be in [0, 1), got {position}")
        points = edges[:-1] + position * (edges[1:] - edges[:-1])
    indices = np.minimum(np.floor(points).astype(np.int64), total - 1).tolist()
    return ClipIndices(indices, padded=max(0, num_segments - total))


def test_views(total: int, num_frames: int, interval: int, n_temporal: int) -> list[ClipIndices]:
    """``n_temporal`` clips with starts spread evenly from the first to the last possible start.

    Combine with :func:`rlt.data.transforms.three_crops` for the usual
    ``n_temporal x 3`` test views. A short video gives ``n_temporal`` copies of its padded clip.
    """
    total, num_frames = _positive("total", total), _positive("num_frames", num_frames)
    interval, n_temporal = _positive("interval", interval), _positive("n_temporal", n_temporal)
    span = (num_frames - 1) * interval + 1
    if total < span:
        return [pad_to(range(0, total, interval), num_frames)] * n_temporal
    starts = np.linspace(0, total - span, n_temporal).round().astype(np.int64)
    return [ClipIndices(list(range(int(s), int(s) + span, interval))) for s in starts]


test_views.__test__ = False  # not a pytest test, despite the name
