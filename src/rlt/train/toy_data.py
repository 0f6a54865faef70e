"""A small generated action dataset for smoke runs and tests: real h264 files plus Kinetics-style lists.

Each video is a static textured background with one shape (square or disc) moving
up or down; the class is ``shape x direction`` (4 classes). Direction is vertical so
horizontal flips keep the label. Files decode with any ``rlt.data`` backend.

    write_toy_dataset("data/toy", videos=64)   # data/toy/{videos/*.mp4, train.txt, val.txt, classes.txt}
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

CLASSES = ("square_up", "square_down", "disc_up", "disc_down")


def background(rng: np.random.Generator, size: int) -> np.ndarray:
    """``(size, size, 3)`` uint8 texture: smooth colour blotches plus fine grain; static over the video."""
    coarse = rng.uniform(40, 200, size=(size // 8 + 2, size // 8 + 2, 3))
    smooth = np.kron(coarse, np.ones((8, 8, 1)))[:size, :size]  # (S, S, 3) blocky blotches
    grain = rng.normal(0, 12, size=(size, size, 1))
    return np.clip(smooth + grain, 0, 255).astype(np.uint8)


def toy_frames(label: int, rng: np.random.Generator, *, frames: int = 16, size: int = 64) -> np.ndarray:
    """``(frames, size, size, 3)`` uint8 frames of class ``label`` (index into :data:`CLASSES`)."""
    shape, direction = CLASSES[label].split("_")
    radius = size // 5
    base = background(rng, size)
    colour = rng.integers(0, 256, size=3)
    colour[rng.integers(3)] = 255  # keep it bright enough to stand out
    speed = rng.uniform(0.8, 1.2) * (size - 2 * radius - 2) / frames  # crosses most of the frame
    x = rng.uniform(radius + 1, size - radius - 1)
    y0 = rng.uniform(0, 2) + (size - radius - 2 if direction == "up" else radius + 1)
    step = -speed if direction == "up" else speed
    yy, xx = np.mgrid[:size, :size]
    out = np.empty((frames, size, size, 3), dtype=np.uint8)
    for t in range(frames):
        y = y0 + step * t
        if shape == "square":
            mask = (np.abs(yy - y) <= radius) & (np.abs(xx - x) <= radius)
        else:
            mask = (yy - y) ** 2 + (xx - x) ** 2 <= radius**2
        out[t] = base
        out[t][mask] = colour
    return out


def write_h264(path: Path, frames: np.ndarray, fps: int = 25) -> None:
    """Encode ``(T, H, W, 3)`` uint8 RGB as a high-quality h264 mp4 with PyAV."""
    try:
        import av
    except ImportError as err:
        raise ImportError("writing videos needs PyAV: pip install rlt-video[video]") from err
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps), options={"crf": "12", "preset": "ultrafast"})
        stream.height, stream.width = frames.shape[1:3]
        stream.pix_fmt = "yuv420p"
        for array in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(array), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def write_toy_dataset(root: str | Path, videos: int = 64, *, val_fraction: float = 0.25, frames: int = 16,
                      size: int = 64, seed: int = 0) -> Path:
    """Write ``videos`` labelled clips (balanced over :data:`CLASSES`) and ``train.txt`` / ``val.txt`` under ``root``.

    Lists hold ``videos/NNNN.mp4 label`` lines relative to ``root``; every
    ``1/val_fraction``-th video goes to validation. Deterministic under ``seed``.
    Returns ``root``.
    """
    root = Path(root)
    (root / "videos").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    every = max(int(round(1 / val_fraction)), 2) if val_fraction > 0 else 0
    lines: dict[str, list[str]] = {"train": [], "val": []}
    for i in range(videos):
        label = i % len(CLASSES)
        name = f"videos/{i:04d}.mp4"
        write_h264(root / name, toy_frames(label, rng, frames=frames, size=size))
        split = "val" if every and (i // len(CLASSES)) % every == every - 1 else "train"
        lines[split].append(f"{name} {label}")
    for split, rows in lines.items():
        (root / f"{split}.txt").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (root / "classes.txt").write_text("\n".join(CLASSES) + "\n", encoding="utf-8")
    return root
