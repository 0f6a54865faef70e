"""``probe`` and ``read_frames``: the two entry points for reading video files."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import torch

from .backends import get_reader
from .backends import pyav as _pyav
from .errors import VideoDecodeError
from .info import VideoInfo


def probe(path: str | os.PathLike, *, decode: bool = False) -> VideoInfo:
    """Frame count, rate, size, duration, rotation and timestamps of a video file.

    ``num_frames`` counts the packets present in the file (demuxed, not the
    header's number); ``decode=True`` decodes every frame and counts those.
    Raises :class:`VideoDecodeError` for a missing, empty, unreadable or
    zero-frame file.
    """
    return _pyav.probe(os.fspath(path), decode=decode)


def _check_indices(indices: Sequence[int] | np.ndarray | torch.Tensor) -> list[int]:
    arr = np.asarray(indices.cpu() if isinstance(indices, torch.Tensor) else indices)
    if arr.ndim != 1:
        raise ValueError(f"indices must be 1-D, got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"indices must be integers, got dtype {arr.dtype}")
    if arr.size and arr.min() < 0:
        raise ValueError(f"indices must be >= 0, got {int(arr.min())}")
    return [int(i) for i in arr]


def read_frames(
    path: str | os.PathLike,
    indices: Sequence[int] | np.ndarray | torch.Tensor,
    *,
    backend: str | None = None,
    info: VideoInfo | None = None,
) -> torch.Tensor:
    """The frames at ``indices`` (in the order given; repeats allowed) as uint8 ``(len(indices), H, W, 3)`` RGB.

    Frame ``i`` is the ``i``-th frame in presentation order (see :func:`probe`).
    Gray, alpha and odd-sized sources come back as RGB at their own size;
    rotation metadata is applied, so ``H, W`` are the displayed size.
    ``backend``: ``"pyav"``, ``"opencv"``, ``"decord"``, ``"torchcodec"``, ``"auto"`` or ``None``
    (``$RLT_VIDEO_BACKEND``, else auto). Pass ``info`` from :func:`probe` to skip probing again.

    Never makes frames up: an index beyond the last frame that decodes
    (including a truncated file whose header promises more) raises
    :class:`VideoDecodeError`. Padding short videos is :mod:`rlt.data.sampling`'s job.
    """
    path = os.fspath(path)
    wanted_order = _check_indices(indices)
    _, read = get_reader(backend)
    info = info or probe(path)
    if not wanted_order:
        return torch.empty(0, info.height, info.width, 3, dtype=torch.uint8)
    last = max(wanted_order)
    if last >= info.num_frames:
        raise VideoDecodeError(
            path, f"frame index {last} is beyond the last decodable frame {info.num_frames - 1} ({info.num_frames} frames)"
        )
    wanted = sorted(set(wanted_order))
    frames = read(path, wanted, info)
    shapes = {f.shape for f in frames}
    if len(shapes) != 1:
        raise VideoDecodeError(path, f"frame size changes within the stream: {sorted(shapes)}")
    stack = torch.from_numpy(np.stack(frames))  # (K, H, W, 3) sorted unique
    position = {idx: k for k, idx in enumerate(wanted)}
    out = stack[torch.tensor([position[i] for i in wanted_order])]
    if info.rotation:
        out = torch.rot90(out, info.rotation // 90, dims=(1, 2)).contiguous()  # counter-clockwise, as displayed
    return out
