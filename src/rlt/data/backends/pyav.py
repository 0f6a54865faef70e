"""PyAV backend (default): probe by demuxing, read by seeking to keyframes and matching timestamps."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from ...optional import import_optional
from ..errors import VideoDecodeError, file_problem
from ..info import VideoInfo, info_from_pts

def import_av() -> Any:
    """Import PyAV, or say which extra installs it."""
    return import_optional("av", "video", purpose="decode video")


def check_file(path: str) -> None:
    """Raise :class:`VideoDecodeError` for a path that is not a non-empty file, saying why (:func:`file_problem`)."""
    problem = file_problem(path)
    if problem:
        raise VideoDecodeError(path, problem)


def open_video(path: str) -> tuple[Any, Any]:
    """Open ``path`` and return ``(container, first video stream)``; close on failure."""
    av = import_av()
    check_file(path)
    try:
        container = av.open(path)
    except av.FFmpegError as e:  # the path is in the exception's text already; keep FFmpeg's own words
        raise VideoDecodeError(path, f"cannot open: not a video FFmpeg can read ({e.strerror or e})") from e
    except UnicodeDecodeError as e:
        raise VideoDecodeError(path, f"cannot open: {e}") from e
    name = container.format.name
    if name == "image2" or name.endswith("_pipe"):  # FFmpeg reads a lone picture as a one-frame "video"
        container.close()
        raise VideoDecodeError(path, f"a still image ({name.removesuffix('_pipe')}), not a video")
    if not container.streams.video:
        container.close()
        raise VideoDecodeError(path, "no video stream")
    return container, container.streams.video[0]


def odd_size(info: VideoInfo) -> bool:
    """Whether the frames have an odd width or height: other backends then defer to PyAV (they disagree there)."""
    return bool(info.width % 2 or info.height % 2)


def rotation_of(frame: Any) -> int:
    """Counter-clockwise display rotation of a decoded frame, snapped to 0/90/180/270."""
    angle = getattr(frame, "rotation", 0) or 0
    return int(round(angle / 90.0)) % 4 * 90


def probe(path: str, *, decode: bool = False) -> VideoInfo:
    """Demux every packet of the first video stream (decode one frame for its rotation).

    With ``decode=True`` every frame is decoded and counted instead.
    """
    av = import_av()
    container, stream = open_video(path)
    pts: list[int | None] = []
    keys: list[int] = []  # decode-order positions of keyframes
    rotation: int | None = None
    demux_error = ""
    ctx = stream.codec_context
    with container:
        try:
            if decode:
                for frame in container.decode(stream):
                    rotation = rotation_of(frame) if rotation is None else rotation
                    if frame.key_frame:
                        keys.append(len(pts))
                    pts.append(frame.pts)
            else:
                for packet in container.demux(stream):
                    if packet.size == 0 or packet.is_corrupt:  # flush packet, or data cut short
                        continue
                    if rotation is None:
                        rotation = next((rotation_of(f) for f in packet.decode()), None)
                    if packet.is_keyframe:
                        keys.append(len(pts))
                    pts.append(packet.pts if packet.pts is not None else packet.dts)
                if rotation is None and pts:  # decoder delay: the first frame comes out on flush
                    rotation = next((rotation_of(f) for f in ctx.decode(None)), None)
        except av.FFmpegError as e:
            if not pts:
                raise VideoDecodeError(path, f"cannot read packets: {e}") from e
            demux_error = str(e)  # truncated or damaged: keep what was read before
        if not pts:
            raise VideoDecodeError(path, "the video stream holds no frames")
        if rotation is None:
            raise VideoDecodeError(path, f"none of the {len(pts)} packets decodes to a frame")
        rate = float(stream.average_rate or stream.guessed_rate or 0)
        return info_from_pts(
            path, pts, keys or [0],
            time_base=stream.time_base or Fraction(1, 1), stream_rate=rate,
            width=ctx.width, height=ctx.height, codec=ctx.name, rotation=rotation,
            count_source="decoded" if decode else "packets", demux_error=demux_error,
            header_frames=int(stream.frames or 0),
        )


def _segments(wanted: list[int], keyframes: tuple[int, ...]) -> list[tuple[int, list[int]]]:
    """Group sorted frame indices into ``(keyframe to seek to, indices)`` runs.

    A new seek starts whenever a keyframe lies after the previous wanted frame:
    decoding from it never costs more than decoding on through the gap.
    """
    kf = np.asarray(keyframes)
    segments: list[tuple[int, list[int]]] = []
    for idx in wanted:
        key = int(kf[np.searchsorted(kf, idx, side="right") - 1]) if kf.size and kf[0] <= idx else 0
        if not segments or key > segments[-1][1][-1]:
            segments.append((key, [idx]))
        else:
            segments[-1][1].append(idx)
    return segments


def _decode_segment(
    container: Any, stream: Any, info: VideoInfo, lookup: dict | None, start: int, want: list[int], out: dict,
    to_rgb: Any,
) -> None:
    """Seek to frame ``start`` (a keyframe) and decode until every index of ``want`` is in ``out``.

    ``lookup`` maps pts to frame index; ``None`` numbers frames in decode output order.
    """
    if lookup is not None:  # without trusted timestamps the container is fresh: start at frame 0
        container.seek(info.pts[start], stream=stream, backward=True, any_frame=False)
    remaining = set(want)
    counter = -1
    for frame in container.decode(stream):
        counter += 1
        idx = counter if lookup is None else lookup.get(frame.pts)
        if idx is None:  # a frame whose timestamp the demuxer never listed: not one of ours
            continue
        if idx in remaining:
            out[idx] = to_rgb.reformat(frame, format="rgb24").to_ndarray()  # (H, W, 3) from gray/alpha/yuv
            remaining.discard(idx)
            if not remaining:
                return
        if idx > want[-1]:
            return


def read(path: str, wanted: list[int], info: VideoInfo) -> list[np.ndarray]:
    """Frames at sorted, unique ``wanted`` indices, as ``(H, W, 3)`` uint8 arrays before rotation."""
    av = import_av()
    container, stream = open_video(path)
    stream.thread_type = "AUTO"
    out: dict[int, np.ndarray] = {}
    lookup = {p: i for i, p in enumerate(info.pts)} if info.exact_pts else None
    to_rgb = av.video.reformatter.VideoReformatter()  # one per read: its cached swscale context is 3x faster
    with container:
        try:
            plan = _segments(wanted, info.keyframes) if info.exact_pts else [(0, wanted)]
            for start, want in plan:
                _decode_segment(container, stream, info, lookup, start, want, out, to_rgb)
                missing = [i for i in want if i not in out]
                if missing and start != 0:  # the seek landed late: decode from the first frame
                    _decode_segment(container, stream, info, lookup, 0, missing, out, to_rgb)
        except av.FFmpegError as e:
            raise VideoDecodeError(path, f"decoding failed: {e}") from e
    missing = [i for i in wanted if i not in out]
    if missing:
        raise VideoDecodeError(
            path, f"frames {missing[:8]} of {info.num_frames} listed frames could not be decoded (damaged or truncated data)"
        )
    return [out[i] for i in wanted]
