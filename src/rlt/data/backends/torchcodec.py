"""torchcodec backend (CPU builds below 0.14, which use the system's FFmpeg libraries)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import VideoDecodeError
from ..info import VideoInfo


def import_torchcodec() -> Any:
    """Import torchcodec's decoder, or say what installs it."""
    try:
        from torchcodec.decoders import VideoDecoder
    except ImportError as e:
        raise ImportError(
            "the torchcodec backend needs torchcodec<0.14 and the system FFmpeg libraries: "
            "pip install rlt-video[video-torchcodec] and apt-get install ffmpeg"
        ) from e
    except RuntimeError as e:  # the wheel is there but cannot load FFmpeg's shared libraries
        raise ImportError(f"torchcodec is installed but cannot load FFmpeg (apt-get install ffmpeg): {e}") from e
    return VideoDecoder


def read(path: str, wanted: list[int], info: VideoInfo) -> list[np.ndarray]:
    """Frames at sorted, unique ``wanted`` indices, as ``(H, W, 3)`` uint8 RGB arrays before rotation.

    ``seek_mode="exact"`` scans the file once so frame ``i`` is the ``i``-th by
    timestamp, as in :func:`rlt.data.probe`. torchcodec applies rotation itself;
    it is undone here because :func:`rlt.data.read_frames` rotates for every backend.
    """
    decoder_cls = import_torchcodec()
    try:
        decoder = decoder_cls(path, device="cpu", dimension_order="NHWC", seek_mode="exact")
        batch = decoder.get_frames_at(indices=wanted).data.numpy()  # (K, H, W, 3)
    except (RuntimeError, ValueError, IndexError) as e:  # torchcodec's errors for unreadable data
        raise VideoDecodeError(path, f"torchcodec: {e}") from e
    if info.rotation:
        batch = np.rot90(batch, -(info.rotation // 90), axes=(1, 2))
    return [np.ascontiguousarray(f) for f in batch]
