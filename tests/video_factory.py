"""Write small synthetic videos with known content, for tests anywhere in the suite.

Each frame is a flat background with a square that moves by a known step, plus a
binary barcode of the frame number along the bottom (blocks of 8x8 pixels, robust
to lossy codecs), so a decoded frame says which frame it is:

    frames = moving_square_frames(30, height=48, width=64)
    write_video(tmp_path / "a.mp4", frames, fps=25, codec="libx264")
    frame_number(decoded[7]) == 7; square_origin(decoded[7]) == square_origin(frames[7])
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

BACKGROUND = (40, 110, 170)  # static RGB background
SQUARE = (250, 230, 20)  # RGB of the moving square
BLOCK = 8  # barcode block size in pixels
BARCODE_ON, BARCODE_OFF = 255, 0


def square_origin_at(t: int, height: int, width: int, size: int, step: int) -> tuple[int, int]:
    """Top-left ``(y, x)`` of the square in frame ``t``: moves right by ``step``, wraps to the next row."""
    usable_h = max(height - BLOCK - size, 1)
    per_row = max((width - size) // step, 1)
    return (t // per_row * step) % usable_h, (t % per_row) * step


def moving_square_frames(
    num_frames: int = 30,
    height: int = 48,
    width: int = 64,
    *,
    size: int = 12,
    step: int = 4,
    static_from: int | None = None,
) -> np.ndarray:
    """``(num_frames, height, width, 3)`` uint8: background, moving square, frame-number barcode.

    From frame ``static_from`` on (if given) the square stops moving, so only the
    barcode changes: useful for clips that RLT should mostly drop.
    """
    if width < 6 * BLOCK or height < BLOCK + size:
        raise ValueError(f"frames must be at least {6 * BLOCK}x{BLOCK + size} (WxH), got {width}x{height}")
    frames = np.empty((num_frames, height, width, 3), dtype=np.uint8)
    frames[:] = np.asarray(BACKGROUND, dtype=np.uint8)
    bits = width // BLOCK
    for t in range(num_frames):
        y, x = square_origin_at(t if static_from is None else min(t, static_from), height, width, size, step)
        frames[t, y : y + size, x : x + size] = SQUARE
        for b in range(bits):
            value = BARCODE_ON if (t >> b) & 1 else BARCODE_OFF
            frames[t, height - BLOCK : height, b * BLOCK : (b + 1) * BLOCK] = value
    return frames


def frame_number(frame: np.ndarray) -> int:
    """Read the barcode of a decoded ``(H, W, 3)`` frame back into its frame number."""
    frame = np.asarray(frame)
    h, w = frame.shape[:2]
    number = 0
    for b in range(w // BLOCK):
        block = frame[h - BLOCK + 2 : h - 2, b * BLOCK + 2 : (b + 1) * BLOCK - 2].astype(np.float64)
        if block.mean() > (BARCODE_ON + BARCODE_OFF) / 2:
            number |= 1 << b
    return number


def square_origin(frame: np.ndarray) -> tuple[int, int]:
    """Top-left ``(y, x)`` of the square found in a decoded ``(H, W, 3)`` frame (above the barcode)."""
    area = np.asarray(frame)[: -BLOCK].astype(np.int32)
    dist = np.abs(area - np.asarray(SQUARE)).sum(-1)
    ys, xs = np.nonzero(dist < 120)
    if ys.size == 0:
        raise ValueError("no square in frame")
    return int(ys.min()), int(xs.min())


def write_video(
    path: str | Path,
    frames: np.ndarray,
    fps: float = 25,
    codec: str = "libx264",
    *,
    pix_fmt: str | None = None,
    options: dict[str, str] | None = None,
    container_options: dict[str, str] | None = None,
    times: list[float] | None = None,
    rotation: int = 0,
) -> Path:
    """Encode ``frames (T, H, W, 3)`` uint8 RGB (or ``(T, H, W)`` gray) to ``path`` with PyAV.

    ``times`` (seconds, ascending) gives each frame its own timestamp, for
    variable-frame-rate files; otherwise frame ``t`` is at ``t / fps``.
    ``rotation`` stores display-matrix rotation (degrees counter-clockwise).
    Lossy codecs are asked for high quality so tests can compare pixels.
    """
    import av

    path = Path(path)
    frames = np.asarray(frames)
    gray = frames.ndim == 3
    defaults = {
        "libx264": ("yuv420p", {"crf": "8", "preset": "ultrafast", "bf": "0"}),
        "mpeg4": ("yuv420p", {"b": "4M"}),
        "libvpx-vp9": ("yuv420p", {"crf": "10", "b": "0", "deadline": "realtime", "cpu-used": "8"}),
        "ffv1": ("gray" if gray else "yuv444p", {}),
        "png": ("rgba", {}),
    }
    fmt, opts = defaults.get(codec, ("yuv420p", {}))
    rate = Fraction(fps).limit_denominator(1001)
    with av.open(str(path), "w", options=container_options or {}) as container:
        stream = container.add_stream(codec, rate=rate, options={**opts, **(options or {})})
        stream.height, stream.width = frames.shape[1], frames.shape[2]
        stream.pix_fmt = pix_fmt or fmt
        if times is not None:
            stream.codec_context.time_base = Fraction(1, 1000)
        if rotation:
            stream.set_display_rotation(rotation)
        for t, array in enumerate(frames):
            if gray:
                frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(array), format="gray")
            elif stream.pix_fmt == "rgba":
                alpha = np.full(array.shape[:2] + (1,), 200, dtype=np.uint8)
                frame = av.VideoFrame.from_ndarray(np.concatenate([array, alpha], -1), format="rgba")
            else:
                frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(array), format="rgb24")
            if times is not None:
                frame.pts, frame.time_base = round(times[t] * 1000), Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
