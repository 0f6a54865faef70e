"""Writing generated clips as real compressed video files with PyAV.

H.264 (libx264, the codec of most web video) when the installed PyAV/FFmpeg has
it, else MPEG-4 Part 2 (FFmpeg's built-in ``mpeg4``). The same frames give the
same bytes: the encoder runs on one thread with fixed settings, and x264's
macroblock tree is off (see :data:`X264_PARAMS`).
"""

from __future__ import annotations

import os
from fractions import Fraction

import numpy as np

# x264's macroblock tree (a lookahead rate-control refinement) made the x264 in PyAV's wheel
# (core 165) write a different stream for about one encode in twenty, even on one thread;
# without it, 430 repeated encodes were identical. Its effect on quality is small at these CRFs.
X264_PARAMS = "mbtree=0"


def import_av():
    try:
        import av
    except ImportError as err:
        raise ImportError("writing the generated videos needs PyAV: pip install 'rlt-video[experiments]'") from err
    return av


def pick_codec() -> str:
    """``"libx264"`` if this PyAV can encode H.264, else ``"mpeg4"``."""
    return "libx264" if "libx264" in import_av().codecs_available else "mpeg4"


def write_video(frames: np.ndarray, path: str | os.PathLike, *, fps: float, codec: str, quality: int) -> None:
    """Encode ``(F, H, W, 3)`` uint8 RGB frames (even H, W) to ``path`` as yuv420p.

    ``quality``: x264 CRF for ``libx264`` (0 = lossless .. 51; 23 is FFmpeg's default),
    or the quantiser scale (1..31, lower is better) for ``mpeg4``. Writes to a temporary
    name and renames, so an interrupted run never leaves a truncated file behind.
    """
    av = import_av()
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"frames must be uint8 (F, H, W, 3), got {frames.dtype} {frames.shape}")
    _, h, w, _ = frames.shape
    if h % 2 or w % 2:
        raise ValueError(f"4:2:0 video needs even sizes, got {w}x{h}")
    path = os.fspath(path)
    partial = path + ".partial"
    with av.open(partial, "w", format="mp4") as container:
        stream = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1000))
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.codec_context.thread_count = 1  # one thread: deterministic bytes, and workers already fill the cores
        if codec == "libx264":
            stream.options = {"crf": str(quality), "preset": "medium", "threads": "1", "x264-params": X264_PARAMS}
        else:
            # fixed quantiser: FFmpeg's -q:v, i.e. global_quality in lambda units (FF_QP2LAMBDA = 118)
            stream.codec_context.qscale = True
            stream.codec_context.global_quality = quality * 118
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
    os.replace(partial, path)
