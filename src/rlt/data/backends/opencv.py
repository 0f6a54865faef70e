"""OpenCV backend: ``VideoCapture`` seeks, every sought frame checked against the container's timestamps."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...optional import import_optional
from ..errors import VideoDecodeError
from ..info import VideoInfo
from . import pyav
from .pyav import odd_size

SEEK_AHEAD = 16  # seek rather than grab when the next wanted frame is further than this


def import_cv2() -> Any:
    """Import OpenCV, or say which extra installs it."""
    return import_optional("cv2", "video-fast", purpose="use the OpenCV backend (opencv-python-headless)")


def _open(cv2: Any, path: str) -> Any:
    cap = cv2.VideoCapture(path, cv2.CAP_FFMPEG)
    if not cap.isOpened():
        raise VideoDecodeError(path, "OpenCV (FFmpeg) could not open the file")
    cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 0)  # read_frames applies rotation for every backend alike
    return cap


def _read(cv2: Any, path: str, wanted: list[int], info: VideoInfo, seek: bool) -> list[np.ndarray] | None:
    """Frames at ``wanted``; ``None`` when a sought frame's timestamp is not the one asked for."""
    times_ms = info.timestamps * 1000.0
    tolerance = 0.5 * float(np.min(np.diff(times_ms))) if info.num_frames > 1 else 1.0
    cap = _open(cv2, path)
    frames: list[np.ndarray] = []
    try:
        position = 0  # index of the frame the next grab() returns
        for idx in wanted:
            sought = seek and idx - position > SEEK_AHEAD
            if sought:
                cap.set(cv2.CAP_PROP_POS_FRAMES, idx)
                position = idx
            while position < idx:
                if not cap.grab():
                    raise VideoDecodeError(path, f"OpenCV stopped at frame {position} before frame {idx}")
                position += 1
            ok, bgr = cap.read()
            if not ok:
                raise VideoDecodeError(path, f"OpenCV could not decode frame {idx}")
            position += 1
            if sought and abs(cap.get(cv2.CAP_PROP_POS_MSEC) - times_ms[idx]) > tolerance:
                return None
            if bgr.ndim == 2:
                frames.append(cv2.cvtColor(bgr, cv2.COLOR_GRAY2RGB))
            else:
                frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))  # (H, W, 3)
    finally:
        cap.release()
    return frames


def read(path: str, wanted: list[int], info: VideoInfo) -> list[np.ndarray]:
    """Frames at sorted, unique ``wanted`` indices, as ``(H, W, 3)`` uint8 RGB arrays before rotation.

    Seeks (``CAP_PROP_POS_FRAMES``) are checked with ``CAP_PROP_POS_MSEC``: when
    OpenCV lands on another frame than the timestamps say, the read is redone
    decoding from the start, counting frames (exact but slower).

    Odd-sized frames are read with PyAV, the reference: for them FFmpeg's colour
    conversion takes another path in each library (up to 80 levels apart on 4:2:0
    video), while even-sized frames convert identically (see docs/data.md).
    """
    if odd_size(info):
        return pyav.read(path, wanted, info)
    cv2 = import_cv2()
    frames = _read(cv2, path, wanted, info, seek=info.exact_pts)
    if frames is None:
        frames = _read(cv2, path, wanted, info, seek=False)
    return frames
