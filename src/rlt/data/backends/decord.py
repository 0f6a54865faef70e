"""decord backend (the maintained ``decord2`` wheel): batched random access."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...optional import import_optional
from ..errors import VideoDecodeError
from ..info import VideoInfo
from . import pyav
from .pyav import odd_size


def import_decord() -> Any:
    """Import decord, or say which extra installs it."""
    return import_optional("decord", "video-fast", purpose="use the decord backend (package decord2)")


def read(path: str, wanted: list[int], info: VideoInfo) -> list[np.ndarray]:
    """Frames at sorted, unique ``wanted`` indices, as ``(H, W, 3)`` uint8 RGB arrays before rotation.

    Files decord cannot read are read with PyAV instead, which then raises if it
    cannot read them either: videos with rotation metadata (decord's buffer takes
    the rotated size but holds the unrotated picture) and damaged packets (decord
    stops at the first one, even after the frames asked for).

    Odd-sized frames are read with PyAV, the reference: for them FFmpeg's colour
    conversion takes another path in each library (up to 80 levels apart on 4:2:0
    video), while even-sized frames convert identically (see docs/data.md).
    """
    if info.rotation or odd_size(info):
        return pyav.read(path, wanted, info)
    decord = import_decord()
    try:
        reader = decord.VideoReader(path, ctx=decord.cpu(0), num_threads=1)
        if len(reader) < wanted[-1] + 1:
            raise VideoDecodeError(path, f"decord sees {len(reader)} frames, frame {wanted[-1]} was asked for")
        batch = reader.get_batch(wanted).asnumpy()  # (K, H, W, 3) RGB
    except decord.DECORDError:
        return pyav.read(path, wanted, info)
    return list(batch)
