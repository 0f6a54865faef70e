"""A corpus of bad and awkward inputs, written by the tests (nothing is downloaded or checked in).

``write_bad_corpus(root, videos)`` fills ``root`` with every kind of input a user's
dataset folder holds sooner or later, and returns what each one must become:

    corpus = write_bad_corpus(tmp_path / "bad", synthetic_videos)
    corpus.expected_ok      # names that must be processed (a row in "videos")
    corpus.expected_failed  # name -> words its "failed" reason must contain
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

NON_UTF8 = b"caf\xe9_latin1.mp4"  # a Latin-1 file name: not valid UTF-8


@dataclass(frozen=True)
class BadCorpus:
    root: Path  # the folder holding every entry below
    expected_ok: frozenset[str]  # file names (str, surrogateescape for bytes) that decode into clips
    expected_failed: dict[str, str]  # file name -> text its failure reason must contain
    missing: Path  # a path that does not exist, to pass explicitly

    @property
    def inputs(self) -> int:
        return len(self.expected_ok) + len(self.expected_failed)


def _jpeg(path: Path) -> None:
    from PIL import Image

    pixels = np.zeros((48, 64, 3), dtype=np.uint8)
    pixels[:, :32] = (200, 40, 40)
    Image.fromarray(pixels).save(path, format="JPEG")


def write_bad_corpus(root: Path, videos) -> BadCorpus:
    """Write the corpus under ``root`` from the session's ``synthetic_videos`` (see conftest)."""
    root.mkdir(parents=True)
    good = videos.files["h264.mp4"]
    shutil.copy(good, root / "good.mp4")
    shutil.copy(videos.odd, root / "odd_65x47.mkv")
    shutil.copy(videos.gray, root / "gray.mkv")
    shutil.copy(videos.empty, root / "empty.mp4")
    shutil.copy(videos.truncated, root / "truncated.mp4")
    shutil.copy(videos.not_video, root / "text.mp4")
    shutil.copy(videos.no_frames, root / "zero_frames.avi")
    _jpeg(root / "photo.mp4")
    data = good.read_bytes()
    (root / "garbage_tail.mp4").write_bytes(data[:200])  # a header and almost nothing else
    shutil.copy(good, os.path.join(os.fsencode(root), NON_UTF8))
    os.symlink(root / "does_not_exist.mp4", root / "dangling.mp4")
    os.symlink(root / "loop_b.mp4", root / "loop_a.mp4")
    os.symlink(root / "loop_a.mp4", root / "loop_b.mp4")
    return BadCorpus(
        root=root,
        expected_ok=frozenset({"good.mp4", "odd_65x47.mkv", "gray.mkv", "truncated.mp4", os.fsdecode(NON_UTF8)}),
        expected_failed={
            "empty.mp4": "empty",
            "text.mp4": "cannot open",
            "zero_frames.avi": "no frames",
            "photo.mp4": "still image",
            "garbage_tail.mp4": "cannot open",
            "dangling.mp4": "broken symbolic link",
            "loop_a.mp4": "symbolic link loop",
            "loop_b.mp4": "symbolic link loop",
        },
        missing=root / "not_here.mp4",
    )
