"""``VideoClipDataset``: records in, uint8 clips out, with a recorded failure policy."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset

from .annotations import VideoRecord
from .decode import probe, read_frames
from .errors import VideoDecodeError
from .failures import ItemFailure, TooManyFailures, check_policy
from .sampling import ClipIndices, clip_rng, frames_at_fps, kinetics_clip, segment_clip, test_views
from .transforms.geometry import center_crop, random_hflip, random_resized_crop, resize_short_side, three_crops

SPLITS = ("train", "val", "test")
SAMPLINGS = ("kinetics", "segments")


@dataclass(frozen=True)
class ClipConfig:
    """How a dataset item is made; defaults follow VideoMAE on Kinetics-400."""

    num_frames: int = 16  # frames per clip (segments for sampling="segments")
    interval: int = 4  # step between frames of a Kinetics-style clip
    fps: float | None = None  # pick frames by timestamp at this rate first, then step by `interval`
    sampling: str = "kinetics"  # "kinetics" (frames every `interval`) or "segments" (SSv2: one per segment)
    split: str = "train"  # "train": random clip, crop, flip; "val": centre clip and crop; "test": views
    size: int = 224  # output height and width
    short_side: int = 224  # val/test: resize the shorter side to this before cropping
    scale: tuple[float, float] = (0.08, 1.0)  # train: random resized crop area range
    ratio: tuple[float, float] = (3 / 4, 4 / 3)  # train: random resized crop aspect range
    hflip: float = 0.5  # train: flip probability; 0 for SSv2, where left/right is the label
    n_temporal: int = 2  # test: clips along time
    n_spatial: int = 3  # test: crops along the longer side (1 = centre only, 3 = start/centre/end)
    backend: str | None = None  # decoding backend (None: $RLT_VIDEO_BACKEND, else auto)
    seed: int = 0  # with the epoch and index, fixes every random choice
    on_error: str = "skip"  # "raise", or "skip": record the failure and load another index
    max_retries: int = 10  # "skip": attempts before giving up on an item

    def __post_init__(self) -> None:
        for name in ("num_frames", "interval", "size", "short_side", "n_temporal", "max_retries"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {self.split!r}")
        if self.sampling not in SAMPLINGS:
            raise ValueError(f"sampling must be one of {SAMPLINGS}, got {self.sampling!r}")
        if self.n_spatial not in (1, 3):
            raise ValueError(f"n_spatial must be 1 or 3, got {self.n_spatial}")
        if self.size > self.short_side and self.split != "train":
            raise ValueError(f"size {self.size} must not exceed short_side {self.short_side}")
        if self.fps is not None and not self.fps > 0:
            raise ValueError(f"fps must be positive, got {self.fps}")
        check_policy(self.on_error)

    @property
    def mode(self) -> str:
        """Old name of :attr:`split` ("mode" now means only the static test of RLT)."""
        return self.split


_dataclass_init = ClipConfig.__init__


def _init_with_old_name(self, *args, mode: str | None = None, **kwargs) -> None:
    if mode is not None:  # ClipConfig(mode="val") from code written before the rename
        if "split" in kwargs:
            raise TypeError(f"give split, not both split={kwargs['split']!r} and its old name mode={mode!r}")
        warnings.warn("ClipConfig(mode=...) is now ClipConfig(split=...)", DeprecationWarning, stacklevel=2)
        kwargs["split"] = mode
    _dataclass_init(self, *args, **kwargs)


ClipConfig.__init__ = _init_with_old_name


class VideoClipDataset(Dataset):
    """Clips of ``records`` as uint8, channels last; normalise and tokenize after collation.

    An item is a dict: ``video`` uint8 ``(T, S, S, 3)`` (``(V, T, S, S, 3)`` in test
    split, ``V = n_temporal * n_spatial``), ``label``, ``index`` (the item actually
    returned), ``requested`` (the index asked for), ``path``, ``padded`` (frames
    repeated because the video was short) and ``failures`` (items that failed on
    the way, see :class:`~rlt.data.failures.FailureReport`). Call :meth:`set_epoch`
    before each epoch for fresh random clips (needs non-persistent workers).
    """

    def __init__(self, records: list[VideoRecord], config: ClipConfig = ClipConfig()) -> None:
        self.records = list(records)
        self.config = config
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.records)

    def set_epoch(self, epoch: int) -> None:
        """Draw different (but reproducible) clips and crops in the next epoch."""
        self.epoch = int(epoch)

    def __getitem__(self, index: int) -> dict:
        if not 0 <= index < len(self.records):
            raise IndexError(f"index {index} is outside a dataset of {len(self.records)} items")
        cfg, failures, current = self.config, [], index
        for attempt in range(cfg.max_retries + 1):
            rng = clip_rng(cfg.seed, self.epoch, index, attempt)
            record = self.records[current]
            try:
                video, padded = self.load(record.path, rng)
            except VideoDecodeError as e:
                if cfg.on_error == "raise":
                    raise
                failures.append(ItemFailure(current, record.path, e.reason))
                current = int(rng.integers(len(self.records)))  # another item, reproducibly
                continue
            return {"video": video, "label": record.label, "index": current, "requested": index,
                    "path": record.path, "padded": padded, "failures": failures}
        raise TooManyFailures(failures)

    def sample_indices(self, num_available: int, rng: np.random.Generator) -> list[ClipIndices]:
        """Clip positions in ``[0, num_available)`` for this split (one clip, or the test views)."""
        cfg, train = self.config, self.config.split == "train"
        if cfg.sampling == "segments":
            if cfg.split == "test":  # views shift the frame within each segment: 1/(2n), 3/(2n), ...
                return [segment_clip(num_available, cfg.num_frames, train=False, position=(v + 0.5) / cfg.n_temporal)
                        for v in range(cfg.n_temporal)]
            return [segment_clip(num_available, cfg.num_frames, train=train, rng=rng)]
        if cfg.split == "test":
            return test_views(num_available, cfg.num_frames, cfg.interval, cfg.n_temporal)
        return [kinetics_clip(num_available, cfg.num_frames, cfg.interval, train=train, rng=rng)]

    def load(self, path: str, rng: np.random.Generator) -> tuple[torch.Tensor, int]:
        """Decode and transform one item: ``(video uint8, padded frame count)``."""
        cfg = self.config
        info = probe(path)
        sequence = frames_at_fps(info.timestamps, cfg.fps) if cfg.fps else np.arange(info.num_frames)
        clips = self.sample_indices(len(sequence), rng)
        wanted = [int(sequence[i]) for clip in clips for i in clip.indices]
        frames = read_frames(path, wanted, backend=cfg.backend, info=info)  # (V*T, H, W, 3)
        padded = max(c.padded for c in clips)
        if cfg.split == "train":
            generator = torch.Generator().manual_seed(int(rng.integers(2**62)))
            frames = random_resized_crop(frames, cfg.size, scale=cfg.scale, ratio=cfg.ratio, generator=generator)
            return random_hflip(frames, cfg.hflip, generator=generator).contiguous(), padded
        frames = resize_short_side(frames, cfg.short_side)
        if cfg.split == "val":
            return center_crop(frames, cfg.size).contiguous(), padded
        views = []
        for clip in frames.split(cfg.num_frames):  # (T, H, W, 3) per temporal view
            crops = three_crops(clip, cfg.size) if cfg.n_spatial == 3 else [center_crop(clip, cfg.size)]
            views.extend(crops)
        return torch.stack(views), padded  # (V, T, S, S, 3)
