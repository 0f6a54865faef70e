"""The clips a benchmark times: real video clips cut by :func:`rlt.data.cut_clips`, or synthetic ones.

Frames stay uint8 ``(B, T, S, S, 3)``: the timed step normalises them itself,
so the tokenizer's share includes normalisation, as a real pipeline pays it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from rlt.stats import StatsConfig


@dataclass
class ClipSet:
    """Decoded clips and where each came from; ``batch(n)`` fills a batch from them."""

    frames: torch.Tensor  # (K, T, S, S, 3) uint8: every distinct clip read
    sources: list[str]  # "path@first_frame" of each of the K clips, or "synthetic"
    padded_frames: list[int]  # frames repeated at the end of each clip (video shorter than one clip)
    failed: list[dict] = field(default_factory=list)  # {"path", "error"} for files that could not be read
    windows: list[tuple[str, list[int]]] = field(default_factory=list)  # (path, frame indices) to decode again

    def order(self, batch_size: int) -> list[int]:
        """Which clips fill a batch of ``batch_size``: the clips in turn, repeated when there are too few."""
        return [i % len(self.sources) for i in range(batch_size)]

    def batch(self, batch_size: int) -> torch.Tensor:
        """``(batch_size, T, S, S, 3)`` uint8."""
        return self.frames[self.order(batch_size)]


def _interleave(per_video: Sequence[list], limit: int) -> list:
    """Round robin over videos (first clip of each, then second of each, ...), at most ``limit`` items."""
    out: list = []
    depth = max((len(clips) for clips in per_video), default=0)
    for j in range(depth):
        out.extend(clips[j] for clips in per_video if j < len(clips))
    return out[:limit]


def load_clips(paths: Sequence[str | os.PathLike], config: StatsConfig, max_clips: int) -> ClipSet:
    """Up to ``max_clips`` consecutive clips from ``paths``, taken round robin over the videos.

    Clips are cut, resized and centre-cropped by :func:`rlt.data.cut_clips` with
    ``config.cut`` (``num_frames``, ``interval``/``fps``, ``size``). A clip with padded
    or duplicated frames is used only when the video has no clip of real frames
    alone (its padding is recorded). A file that cannot be read is listed in
    ``failed``; raises ``ValueError`` when none can.
    """
    from rlt.data import VideoDecodeError, cut_clips

    per_video, failed = [], []
    for path in paths:
        try:
            clips = list(cut_clips(path, config.cut, limit=max_clips))
        except VideoDecodeError as err:
            failed.append({"path": str(path), "error": str(err)})
            continue
        whole = [c for c in clips if c.padded == 0 and c.duplicated == 0]
        chosen = whole or clips[:1]
        if not chosen:
            failed.append({"path": str(path), "error": "no clip could be cut from this video"})
            continue
        per_video.append([(str(path), c) for c in chosen])
    picked = _interleave(per_video, max_clips)
    if not picked:
        raise ValueError("no clip could be read from " + ", ".join(str(p) for p in paths))
    return ClipSet(
        frames=torch.stack([c.pixels for _, c in picked]),
        sources=[f"{path}@{c.indices[0]}" for path, c in picked],
        padded_frames=[c.padded for _, c in picked],
        failed=failed,
        windows=[(path, list(c.indices)) for path, c in picked],
    )


def decode_batch(clips: ClipSet, batch_size: int, size: int) -> torch.Tensor:
    """Decode and resize the clips of a batch again, from their files (the ``--with-loader`` step).

    Returns ``(batch_size, T, S, S, 3)`` uint8, equal to ``clips.batch(batch_size)``.
    """
    from rlt.data import read_frames
    from rlt.data.transforms import center_crop, resize_short_side

    if not clips.windows:
        raise ValueError("synthetic clips have no files to decode")
    out = []
    for i in clips.order(batch_size):
        path, indices = clips.windows[i]
        out.append(center_crop(resize_short_side(read_frames(path, indices), size), size))
    return torch.stack(out)


def synthetic_clips(batch: int, num_frames: int, size: int, seed: int = 0) -> ClipSet:
    """``batch`` clips of a static smooth texture with a square moving at a per-clip speed (uint8)."""
    import torch.nn.functional as F

    gen = torch.Generator().manual_seed(seed)
    coarse = torch.randint(40, 200, (batch, 3, 1, 8, 8), generator=gen).float()
    background = F.interpolate(coarse, size=(1, size, size), mode="trilinear", align_corners=False)
    pixels = background.expand(-1, -1, num_frames, -1, -1).clone()  # (B, 3, T, S, S)
    side = max(size // 7, 1)
    top = (size - side) // 2
    for b in range(batch):
        step = (b + 1) * max(size // 56, 1)
        for t in range(num_frames):
            left = (t * step) % max(size - side, 1)
            pixels[b, :, t, top : top + side, left : left + side] = 240.0
    frames = pixels.round().to(torch.uint8).permute(0, 2, 3, 4, 1).contiguous()  # (B, T, S, S, 3)
    return ClipSet(frames, ["synthetic"] * batch, [0] * batch)


def load_clip(path: str | os.PathLike, num_frames: int, interval: int, size: int, *, start: int = 0) -> torch.Tensor:
    """One normalised clip ``(1, 3, num_frames, size, size)``: frames ``start, start + interval, ...`` of ``path``.

    A video that is too short repeats its last frame. Resized and cropped as
    :func:`rlt.data.cut_clips` does (the data transforms). Raises
    ``rlt.data.VideoDecodeError``.
    """
    from rlt.data import probe, read_frames
    from rlt.data.transforms import center_crop, resize_short_side
    from rlt.ops import normalize

    info = probe(path)
    indices = [min(start + i * interval, info.num_frames - 1) for i in range(num_frames)]
    pixels = center_crop(resize_short_side(read_frames(path, indices, info=info), size), size)  # (T, S, S, 3)
    return normalize(pixels[None], channels_last=True)
