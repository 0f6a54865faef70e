"""torchcodec backend (CPU builds below 0.14, which use the system's FFmpeg libraries)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...optional import import_optional
from ..errors import VideoDecodeError
from ..info import VideoInfo
from . import pyav
from .pyav import odd_size


def import_torchcodec() -> Any:
    """Import torchcodec's decoder, or say what installs it."""
    try:
        module = import_optional("torchcodec.decoders", "video-torchcodec",
                                 purpose="use the torchcodec backend (it also needs `apt-get install ffmpeg`)")
        VideoDecoder = module.VideoDecoder
    except RuntimeError as e:  # the wheel is there but cannot load FFmpeg's shared libraries
        raise ImportError(f"torchcodec is installed but cannot load FFmpeg (apt-get install ffmpeg): {e}") from e
    return VideoDecoder


def read(path: str, wanted: list[int], info: VideoInfo) -> list[np.ndarray]:
    """Frames at sorted, unique ``wanted`` indices, as ``(H, W, 3)`` uint8 RGB arrays before rotation.

    ``seek_mode="exact"`` scans the file once so frame ``i`` is the ``i``-th by
    timestamp, as in :func:`rlt.data.probe`. torchcodec applies rotation itself;
    it is undone here because :func:`rlt.data.read_frames` rotates for every backend.

    Odd-sized frames are read with PyAV, the reference: for them FFmpeg's colour
    conversion takes another path in each library (up to 80 levels apart on 4:2:0
    video), while even-sized frames convert identically (see docs/data.md).
    """
    if odd_size(info):
        return pyav.read(path, wanted, info)
    decoder_cls = import_torchcodec()
    try:
        decoder = decoder_cls(path, device="cpu", dimension_order="NHWC", seek_mode="exact")
        batch = decoder.get_frames_at(indices=wanted).data.numpy()  # (K, H, W, 3)
    except (RuntimeError, ValueError, IndexError) as e:  # torchcodec's errors for unreadable data
        raise VideoDecodeError(path, f"torchcodec: {e}") from e
    if info.rotation:
        batch = np.rot90(batch, -(info.rotation // 90), axes=(1, 2))
    return [np.ascontiguousarray(f) for f in batch]
