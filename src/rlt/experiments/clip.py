"""One generated clip: its random choices (:class:`ClipSpec`) and its frames.

Everything about clip ``index`` of ``split`` comes from a generator seeded with
``(seed, split, index)``, so a clip does not depend on the other clips, on the
order they are made in or on the number of worker processes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .motion import GROWTH, object_path, wander_path
from .photos import BACKGROUNDS, TEXTURES, crop_resized, load_photo
from .render import SHAPES, Sprite, pan_offsets, render_clip, shake_offsets, shape_mask
from .synth_config import SPLITS, SynthConfig

CAMERAS = ("static", "shake", "pan")
MAIN_SIZE = (0.24, 0.32)  # main object's side, in frame sides
DISTRACTOR_SIZE = (0.10, 0.16)
SHAKE_PIXELS = 2.0  # hand-held jitter std at 112 px (scaled with the frame)
PAN_TRAVEL = (0.08, 0.25)  # frame sides panned over the clip


@dataclass(frozen=True)
class ClipSpec:
    """The random choices behind one clip (written to the dataset's metadata)."""

    split: str  # train / val / test
    index: int  # position in the split's list
    label: int  # class index
    name: str  # class name
    background: str  # photograph behind the scene
    camera: str  # static, shake or pan
    distractors: int  # meaningless moving objects
    noise: float  # sensor noise std, grey levels
    quality: int  # CRF (libx264) or quantiser (mpeg4) of the file

    def to_dict(self) -> dict:
        return asdict(self)


def labels_of(config: SynthConfig, split: str) -> np.ndarray:
    """``(n,)`` labels of ``split`` in list order: each class ``n // classes`` or one more times, shuffled."""
    n = config.count(split)
    labels = np.arange(n) % config.classes
    rng = np.random.default_rng([config.seed, SPLITS.index(split)])  # clips use 4-element seeds: no overlap
    return labels[rng.permutation(n)]


def clip_rng(config: SynthConfig, split: str, index: int, stream: int) -> np.random.Generator:
    """Generator ``stream`` of one clip: 0 draws its :class:`ClipSpec`, 1 its content."""
    return np.random.default_rng([config.seed, SPLITS.index(split), index, stream])


def _quality(config: SynthConfig, codec: str, rng: np.random.Generator) -> int:
    if codec == "libx264":
        return int(config.quality + rng.integers(-3, 4))
    return int(max(2, config.quality // 5 + rng.integers(-1, 2)))  # mpeg4 quantiser, 1..31


def clip_spec(config: SynthConfig, split: str, index: int, label: int, codec: str) -> ClipSpec:
    """The random choices of clip ``index`` of ``split``."""
    rng = clip_rng(config, split, index, 0)
    roll = rng.random()
    camera = "static" if roll >= config.moving_camera else ("shake" if roll < config.moving_camera / 2 else "pan")
    return ClipSpec(
        split=split, index=index, label=int(label), name=config.class_names[label],
        background=BACKGROUNDS[rng.integers(len(BACKGROUNDS))], camera=camera,
        distractors=int(rng.integers(0, config.distractors + 1)),
        noise=float(round(config.noise * rng.uniform(0.5, 1.5), 3)), quality=_quality(config, codec, rng),
    )


def _sprite(size_range: tuple[float, float], frame: int, path, rng: np.random.Generator) -> Sprite:
    side = rng.uniform(*size_range)
    pixels = max(8, int(np.ceil(side * frame * GROWTH)))  # texture as sharp as the object at its largest
    texture = crop_resized(load_photo(TEXTURES[rng.integers(len(TEXTURES))]), pixels, rng, min_fraction=0.2)
    texture = np.clip(texture * rng.uniform(0.8, 1.25), 0, 255)
    return Sprite(texture, shape_mask(SHAPES[rng.integers(len(SHAPES))], pixels, rng), side, path)


def render(config: SynthConfig, spec: ClipSpec) -> np.ndarray:
    """``(frames, size, size, 3)`` uint8 frames of the clip described by ``spec``."""
    rng = clip_rng(config, spec.split, spec.index, 1)
    s, f = config.size, config.frames
    scale = s / 112
    if spec.camera == "shake":
        offsets = shake_offsets(f, rng, SHAKE_PIXELS * scale)
    elif spec.camera == "pan":
        offsets = pan_offsets(f, rng, rng.uniform(*PAN_TRAVEL) * s)
    else:
        offsets = np.zeros((f, 2))
    room = int(np.ceil(np.abs(offsets).max())) + 2
    background = crop_resized(load_photo(spec.background), s + 2 * room, rng)
    background *= rng.uniform(0.8, 1.2)
    sprites = [_sprite(DISTRACTOR_SIZE, s, wander_path(f, rng), rng) for _ in range(spec.distractors)]
    main = _sprite(MAIN_SIZE, s, object_path(spec.name, f, rng), rng)
    # the main object is drawn on top of the distractors half of the time
    sprites.insert(len(sprites) if rng.random() < 0.5 else 0, main)
    return render_clip(background, sprites, offsets, s, spec.noise, rng)
