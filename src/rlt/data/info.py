"""``VideoInfo``: what a video holds, from its real packets rather than its header."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np


@dataclass(frozen=True)
class VideoInfo:
    """Frame count, rate, size and timestamps of a video's first video stream.

    Frame ``i`` is the ``i``-th frame in presentation order. ``num_frames`` counts
    the video packets actually present in the file (read by demuxing, which is
    cheap: nothing is decoded), not the header's promise, so a truncated file
    reports what it holds. A packet that is present but cannot be decoded is
    caught by :func:`rlt.data.read_frames`, which raises rather than make a frame up;
    ``probe(path, decode=True)`` counts decoded frames instead (exact, slower).
    """

    path: str  # the file probed
    num_frames: int  # frames present (see above), >= 1
    fps: float  # average rate: (num_frames - 1) / (last - first timestamp); stream rate for 1 frame
    width: int  # displayed width, after rotation
    height: int  # displayed height, after rotation
    duration: float  # seconds: last timestamp - first timestamp + one average frame period
    codec: str  # decoder name, e.g. "h264", "vp9", "mpeg4"
    rotation: int  # degrees counter-clockwise the decoded picture is turned for display (0/90/180/270)
    pts: tuple[int, ...]  # (num_frames,) presentation timestamps in time_base units, ascending
    time_base: Fraction  # seconds per pts unit
    keyframes: tuple[int, ...]  # frame indices that start a decodable group (seek targets)
    count_source: str = "packets"  # "packets" (demuxed), "decoded" (every frame decoded)
    exact_pts: bool = True  # False: the container had no usable timestamps; pts are packet order, decode from the start
    demux_error: str = ""  # why demuxing stopped before the end of the file ("" when it read to the end)
    header_frames: int = 0  # frame count the container's header claims (0: it claims none); differs when truncated

    @property
    def timestamps(self) -> np.ndarray:
        """``(num_frames,)`` float64 seconds of each frame, the first at 0."""
        pts = np.asarray(self.pts, dtype=np.float64)
        return (pts - pts[0]) * float(self.time_base)

    @property
    def variable_frame_rate(self) -> bool:
        """True when frame intervals differ by more than 1% of their median."""
        if self.num_frames < 3:
            return False
        gaps = np.diff(np.asarray(self.pts, dtype=np.int64))
        median = float(np.median(gaps))
        return bool(np.any(np.abs(gaps - median) > 0.01 * median))


def info_from_pts(
    path: str,
    pts: list[int | None],
    keyframes: list[int],
    *,
    time_base: Fraction,
    stream_rate: float,
    width: int,
    height: int,
    codec: str,
    rotation: int,
    count_source: str = "packets",
    demux_error: str = "",
    header_frames: int = 0,
) -> VideoInfo:
    """Build a :class:`VideoInfo` from packet timestamps in decode order.

    ``pts`` may hold ``None`` or repeats (raw streams, some AVI files); then the
    timestamps are not trusted: frames are numbered in packet order at ``stream_rate``
    and readers must decode from the start (``exact_pts=False``).
    """
    exact = None not in pts and len(set(pts)) == len(pts)
    if not exact:
        rate = Fraction(stream_rate or 25).limit_denominator(1001000)
        pts, time_base = list(range(len(pts))), 1 / rate
    order = sorted(range(len(pts)), key=pts.__getitem__)  # decode order -> presentation order
    rank = {p: i for i, p in enumerate(order)}
    sorted_pts = tuple(pts[i] for i in order)
    n = len(sorted_pts)
    span = Fraction(sorted_pts[-1] - sorted_pts[0]) * Fraction(time_base)  # exact, so 25 fps reads 25.0
    fps = float((n - 1) / span) if n > 1 and span > 0 else float(stream_rate or 0.0)
    period = 1.0 / fps if fps > 0 else 0.0
    if rotation % 180:
        width, height = height, width
    return VideoInfo(
        path=path,
        num_frames=n,
        fps=fps,
        width=width,
        height=height,
        duration=float(span) + period,
        codec=codec,
        rotation=rotation,
        pts=sorted_pts,
        time_base=time_base,
        keyframes=tuple(sorted(rank[k] for k in keyframes)),
        count_source=count_source,
        exact_pts=exact,
        demux_error=demux_error,
        header_frames=header_frames,
    )
