"""Real photographs shipped inside scikit-image, used as backgrounds and object textures.

Only images bundled in the scikit-image wheel are used (no download at run
time). Gray photographs are repeated into three channels.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

# name -> scikit-image loader; all ship with the wheel. Backgrounds are natural scenes;
# textures are the remaining photographs, so an object never shares its background's photo.
BACKGROUNDS = ("astronaut", "camera", "chelsea", "coffee", "rocket", "motorcycle", "hubble_deep_field", "moon")
TEXTURES = ("immunohistochemistry", "retina", "brick", "grass", "gravel", "coins", "clock", "colorwheel")


def import_skimage_data():
    try:
        from skimage import data
    except ImportError as err:  # pragma: no cover - the experiments extra installs it
        raise ImportError(
            "the generated dataset needs scikit-image's bundled photographs: pip install 'rlt-video[experiments]'"
        ) from err
    return data


@lru_cache(maxsize=None)
def load_photo(name: str) -> np.ndarray:
    """Photograph ``name`` as float32 RGB ``(H, W, 3)`` in 0..255 (cached per process)."""
    if name not in BACKGROUNDS + TEXTURES:
        raise ValueError(f"unknown photograph {name!r}; expected one of {', '.join(BACKGROUNDS + TEXTURES)}")
    data = import_skimage_data()
    image = data.stereo_motorcycle()[0] if name == "motorcycle" else getattr(data, name)()
    image = np.asarray(image)
    if image.dtype == bool:
        image = image.astype(np.uint8) * 255
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    image = image[:, :, :3].astype(np.float32)
    image.setflags(write=False)
    return image


def crop_resized(image: np.ndarray, size: int, rng: np.random.Generator, *, min_fraction: float = 0.5) -> np.ndarray:
    """A random square crop of ``image`` (side ``min_fraction``..1 of its short side), resized to ``size`` x ``size``.

    Returns float32 ``(size, size, 3)``; randomly mirrored left-right.
    """
    from skimage.transform import resize

    h, w = image.shape[:2]
    side = int(round(min(h, w) * rng.uniform(min_fraction, 1.0)))
    top, left = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
    crop = image[top:top + side, left:left + side]
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    k = side // size
    if k >= 2:  # box-filter by whole factors first: cheap anti-aliasing (a Gaussian blur of a big photo is not)
        side = side // k * k
        crop = crop[:side, :side].reshape(side // k, k, side // k, k, 3).mean(axis=(1, 3))
    out = resize(crop, (size, size), order=1, anti_aliasing=False, preserve_range=True)
    return out.astype(np.float32)
