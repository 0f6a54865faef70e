"""Drawing one clip: a photograph seen by a (possibly moving) camera, textured objects on it, sensor noise.

Pure numpy; every random choice comes from the generator passed in, so a clip
is a function of its seed. Frames are ``(F, S, S, 3)`` uint8.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .motion import Path


@dataclass(frozen=True)
class Sprite:
    """An object: a photo texture cut to a shape, and the path it follows."""

    texture: np.ndarray  # (h, w, 3) float32 0..255
    alpha: np.ndarray  # (h, w) float32 0..1, the shape (soft edge)
    size: float  # base side in frame-side units (scale 1)
    path: Path  # where it is at each frame


def shape_mask(kind: str, side: int, rng: np.random.Generator) -> np.ndarray:
    """``(side, side)`` float32 mask of a rectangle, ellipse or triangle, none of them rotation-symmetric."""
    c = (np.arange(side) + 0.5) / side * 2 - 1  # (side,) -1..1 pixel centres
    yy, xx = np.meshgrid(c, c, indexing="ij")
    aspect = rng.uniform(0.55, 0.8)  # never square/round, so rotation is visible from the outline too
    if kind == "rectangle":
        inside = (np.abs(xx) <= 0.95) & (np.abs(yy) <= 0.95 * aspect)
    elif kind == "ellipse":
        inside = xx**2 + (yy / aspect) ** 2 <= 0.9
    elif kind == "triangle":
        inside = (yy <= 0.8) & (yy >= 1.9 * np.abs(xx) - 1.0)
    else:
        raise ValueError(f"unknown shape {kind!r}; expected rectangle, ellipse or triangle")
    return inside.astype(np.float32)


SHAPES = ("rectangle", "ellipse", "triangle")


def _bilinear(image: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Sample ``image`` (h, w, C) at float pixel coords ``u`` (column), ``v`` (row); zero outside."""
    h, w = image.shape[:2]
    u0, v0 = np.floor(u).astype(np.int64), np.floor(v).astype(np.int64)
    fu, fv = (u - u0)[..., None], (v - v0)[..., None]
    out = np.zeros(u.shape + image.shape[2:], np.float32)
    for dv, wv in ((0, 1 - fv), (1, fv)):
        for du, wu in ((0, 1 - fu), (1, fu)):
            r, c = v0 + dv, u0 + du
            ok = (r >= 0) & (r < h) & (c >= 0) & (c < w)
            out += np.where(ok[..., None], image[np.clip(r, 0, h - 1), np.clip(c, 0, w - 1)], 0) * (wu * wv)
    return out


def camera_view(background: np.ndarray, offsets: np.ndarray, size: int) -> np.ndarray:
    """``(F, size, size, 3)`` float32 windows of ``background`` (B, B, 3) at sub-pixel ``offsets`` (F, 2) (x, y).

    Offset (0, 0) is the centred window; the background must be large enough for every offset.
    """
    b = background.shape[0]
    frames = np.empty((len(offsets), size, size, 3), np.float32)
    for f, (ox, oy) in enumerate(offsets):
        x, y = (b - size) / 2 + ox, (b - size) / 2 + oy
        x0, y0 = int(np.floor(x)), int(np.floor(y))
        if x0 < 0 or y0 < 0 or x0 + size + 1 > b or y0 + size + 1 > b:
            raise ValueError(f"camera offset ({ox:.1f}, {oy:.1f}) leaves the {b}px background for a {size}px frame")
        fx, fy = x - x0, y - y0
        win = background[y0:y0 + size + 1, x0:x0 + size + 1]  # (size+1, size+1, 3)
        frames[f] = ((1 - fy) * ((1 - fx) * win[:-1, :-1] + fx * win[:-1, 1:])
                     + fy * ((1 - fx) * win[1:, :-1] + fx * win[1:, 1:]))
    return frames


def draw_sprite(frame: np.ndarray, sprite: Sprite, f: int, camera: tuple[float, float]) -> None:
    """Composite ``sprite`` at frame index ``f`` onto ``frame`` (S, S, 3) float32 in place.

    The object's path is in the scene's coordinates; the camera offset (pixels) moves it on screen.
    """
    s = frame.shape[0]
    th, tw = sprite.alpha.shape
    px = sprite.size * s * sprite.path.scale[f]  # on-screen side in pixels
    zoom = px / max(th, tw)  # screen pixels per texture pixel
    cx, cy = sprite.path.x[f] * s - camera[0], sprite.path.y[f] * s - camera[1]
    r = 0.75 * px + 1  # half the diagonal, with a pixel to spare
    x0, x1 = max(int(np.floor(cx - r)), 0), min(int(np.ceil(cx + r)), s)
    y0, y1 = max(int(np.floor(cy - r)), 0), min(int(np.ceil(cy + r)), s)
    if x0 >= x1 or y0 >= y1:
        return
    yy, xx = np.meshgrid(np.arange(y0, y1) + 0.5 - cy, np.arange(x0, x1) + 0.5 - cx, indexing="ij")
    cos, sin = np.cos(sprite.path.angle[f]), np.sin(sprite.path.angle[f])
    # inverse rotation (counter-clockwise on screen, where y points down) and scaling into texture pixels
    u = (cos * xx - sin * yy) / zoom + tw / 2 - 0.5
    v = (sin * xx + cos * yy) / zoom + th / 2 - 0.5
    rgba = _bilinear(np.concatenate([sprite.texture, sprite.alpha[..., None]], axis=2), u, v)
    a = rgba[..., 3:]
    region = frame[y0:y1, x0:x1]
    region *= 1 - a
    region += rgba[..., :3] * a


def shake_offsets(num_frames: int, rng: np.random.Generator, amplitude: float) -> np.ndarray:
    """``(F, 2)`` hand-held sway: noise smoothed over 15 frames (half a second at 30 fps), std ``amplitude`` px."""
    raw = rng.normal(0.0, 1.0, size=(num_frames + 14, 2))
    kernel = np.hanning(17)[1:-1] / np.hanning(17)[1:-1].sum()
    smooth = np.stack([np.convolve(raw[:, i], kernel, mode="valid") for i in range(2)], axis=1)  # (F, 2)
    return smooth * amplitude / max(smooth.std(), 1e-6)


def pan_offsets(num_frames: int, rng: np.random.Generator, travel: float) -> np.ndarray:
    """``(F, 2)`` a steady pan of ``travel`` pixels over the clip in a random direction, centred."""
    theta = rng.uniform(0, 2 * np.pi)
    s = np.linspace(-0.5, 0.5, num_frames)[:, None]
    return s * travel * np.array([[np.cos(theta), np.sin(theta)]])


def render_clip(
    background: np.ndarray, sprites: list[Sprite], offsets: np.ndarray, size: int, noise: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """``(F, size, size, 3)`` uint8: camera window, sprites in list order (last on top), Gaussian sensor noise."""
    frames = camera_view(background, offsets, size)
    for f in range(len(offsets)):
        for sprite in sprites:
            draw_sprite(frames[f], sprite, f, (float(offsets[f, 0]), float(offsets[f, 1])))
    frames += noise * rng.standard_normal(size=frames.shape, dtype=np.float32)
    return np.clip(np.rint(frames), 0, 255).astype(np.uint8)
