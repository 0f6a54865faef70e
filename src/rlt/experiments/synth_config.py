"""Settings of the generated dataset (``rlt data synth``), with a CPU-sized and a GPU-sized preset."""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field

from .motion import CLASS_NAMES, MAX_CLASSES, MIN_CLASSES

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class SynthConfig:
    """What ``rlt data synth`` generates. The CLI options are generated from these fields."""

    classes: int = field(default=10, metadata={"help": f"motion classes, {MIN_CLASSES}..{MAX_CLASSES}"})
    train: int = field(default=400, metadata={"help": "training clips (spread evenly over the classes)"})
    val: int = field(default=100, metadata={"help": "validation clips"})
    test: int = field(default=200, metadata={"help": "test clips"})
    size: int = field(default=112, metadata={"help": "frame side in pixels (square frames, even)"})
    frames: int = field(default=64, metadata={"help": "frames per clip"})
    fps: float = field(default=30.0, metadata={"help": "frame rate written into the files"})
    seed: int = field(default=0, metadata={"help": "seed; every clip is drawn from (seed, split, index) alone"})
    moving_camera: float = field(
        default=0.6, metadata={"help": "fraction of clips with a moving camera, half shaking, half panning"}
    )
    distractors: int = field(default=4, metadata={"help": "at most this many meaningless moving objects per clip"})
    noise: float = field(default=2.0, metadata={"help": "typical sensor noise std in grey levels (varies per clip)"})
    quality: int = field(
        default=23, metadata={"help": "typical x264 CRF (varies by +-3 per clip); mpeg4 fallback uses quality // 5"}
    )

    def __post_init__(self) -> None:
        if not MIN_CLASSES <= self.classes <= MAX_CLASSES:
            raise ValueError(f"classes must be in {MIN_CLASSES}..{MAX_CLASSES}, got {self.classes}")
        for name in SPLITS:
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if not self.train + self.val + self.test:
            raise ValueError("train, val and test are all 0: nothing to generate")
        if self.size < 16 or self.size % 2:
            raise ValueError(f"size must be an even number >= 16, got {self.size}")
        if self.frames < 2:
            raise ValueError(f"frames must be >= 2, got {self.frames}")
        if not self.fps > 0:
            raise ValueError(f"fps must be > 0, got {self.fps}")
        if not 0 <= self.moving_camera <= 1:
            raise ValueError(f"moving_camera must be in 0..1, got {self.moving_camera}")
        if self.distractors < 0:
            raise ValueError(f"distractors must be >= 0, got {self.distractors}")
        if self.noise < 0:
            raise ValueError(f"noise must be >= 0, got {self.noise}")
        if not 3 <= self.quality <= 48:
            raise ValueError(f"quality must be in 3..48, got {self.quality}")

    @property
    def class_names(self) -> tuple[str, ...]:
        """The names of the classes in label order."""
        return CLASS_NAMES[: self.classes]

    def count(self, split: str) -> int:
        """Clips in ``split``."""
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
        return getattr(self, split)

    def to_dict(self) -> dict:
        return asdict(self)


# --scale presets: "small" generates in a couple of minutes on 2 CPU cores and trains in
# minutes; "gpu" is a few thousand clips at 224 px, like a small action-recognition set.
SCALES: dict[str, dict] = {
    "small": {"classes": 10, "train": 400, "val": 100, "test": 200, "size": 112},
    "gpu": {"classes": 20, "train": 3000, "val": 600, "test": 1000, "size": 224},
}


def preset(scale: str, **overrides) -> SynthConfig:
    """The ``scale`` preset with ``overrides`` (fields of :class:`SynthConfig`) applied."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of {', '.join(SCALES)}")
    names = {f.name for f in dataclasses.fields(SynthConfig)}
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise ValueError(f"unknown settings {unknown}; expected some of {sorted(names)}")
    return SynthConfig(**{**SCALES[scale], **overrides})
