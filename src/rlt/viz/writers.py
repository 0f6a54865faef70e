"""Save pictures and animations: PNG (still), GIF and MP4 (animated)."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import numpy as np

from rlt.optional import import_optional

STILL_SUFFIXES = (".png",)
ANIMATED_SUFFIXES = (".gif", ".mp4")


def picture_kind(path: str | os.PathLike) -> str:
    """``"png"``, ``"gif"`` or ``"mp4"`` from the file name; ``ValueError`` naming the suffix otherwise."""
    suffix = Path(path).suffix.lower()
    if suffix not in STILL_SUFFIXES + ANIMATED_SUFFIXES:
        raise ValueError(
            f"cannot write {os.fspath(path)!r}: suffix {suffix or '(none)'!r} is not one of .png, .gif, .mp4"
        )
    return suffix[1:]


def save_png(image: np.ndarray, path: str | os.PathLike, *, compact: bool = False) -> None:
    """Write one ``(H, W, 3)`` uint8 picture as PNG.

    ``compact`` stores 256 dithered colours instead of 24-bit RGB: about 2.5x
    smaller (for READMEs), but pixel values are then only approximate.
    """
    image_mod = import_optional("PIL.Image", "viz", purpose="write PNG pictures")
    picture = image_mod.fromarray(_check(image[None])[0])
    if compact:
        picture = picture.quantize(256, dither=image_mod.Dither.FLOYDSTEINBERG)
    picture.save(path, optimize=True)


def save_gif(frames: np.ndarray, path: str | os.PathLike, fps: float) -> None:
    """Write ``(N, H, W, 3)`` uint8 frames as a looping GIF at ``fps`` frames per second."""
    image_mod = import_optional("PIL.Image", "viz", purpose="write GIF animations")
    pictures = [image_mod.fromarray(f) for f in _check(frames)]
    duration = max(20, round(1000 / fps))  # GIF delays are in 10 ms steps; browsers clamp below 20 ms
    pictures[0].save(path, save_all=True, append_images=pictures[1:], duration=duration, loop=0, optimize=False)


def save_mp4(frames: np.ndarray, path: str | os.PathLike, fps: float) -> None:
    """Write ``(N, H, W, 3)`` uint8 frames as H.264 MP4 (MPEG-4 Part 2 when libx264 is missing).

    Odd sizes are padded by one white row/column: 4:2:0 video needs even sizes.
    """
    av = import_optional("av", "video", purpose="write MP4 videos")
    frames = _check(frames)
    n, h, w, _ = frames.shape
    if h % 2 or w % 2:
        padded = np.full((n, h + h % 2, w + w % 2, 3), 255, dtype=np.uint8)
        padded[:, :h, :w] = frames
        frames = padded
    codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
    rate = Fraction(fps).limit_denominator(1000)
    with av.open(os.fspath(path), "w") as container:
        stream = container.add_stream(codec, rate=rate)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv420p"
        if codec == "libx264":
            stream.options = {"crf": "18"}
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def save_picture(
    path: str | os.PathLike, still: np.ndarray | None, frames: np.ndarray | None, fps: float, *, compact: bool = False
) -> None:
    """Write ``still (H, W, 3)`` to a .png, or ``frames (N, H, W, 3)`` to a .gif/.mp4, by suffix."""
    kind = picture_kind(path)
    if kind == "png":
        save_png(still, path, compact=compact)
    elif kind == "gif":
        save_gif(frames, path, fps)
    else:
        save_mp4(frames, path, fps)


def _check(frames: np.ndarray) -> np.ndarray:
    frames = np.ascontiguousarray(frames)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3 or not len(frames):
        raise ValueError(f"frames must be uint8 (N, H, W, 3) with N >= 1, got {frames.dtype} {frames.shape}")
    return frames
