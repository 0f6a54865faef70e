"""Decoding backends behind one interface, chosen by name or by what is installed.

Every backend implements ``read(path, wanted, info) -> list of (H, W, 3) uint8 arrays``
for sorted, unique frame indices of a :class:`~rlt.data.VideoInfo` from
:func:`rlt.data.probe` (PyAV demuxing, the same for all backends, so frame ``i`` means
the same picture whichever backend decodes it). Rotation is applied afterwards by
:func:`rlt.data.read_frames`, never by a backend.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ...optional import MissingExtraError, install_hint, installed
from ..info import VideoInfo

ENV_VAR = "RLT_VIDEO_BACKEND"  # forces the backend used when none is passed


@dataclass(frozen=True)
class BackendSpec:
    """Where a backend lives and what it needs."""

    module: str  # rlt.data.backends submodule with a ``read`` function
    requires: str  # top-level package that must be importable
    extra: str  # pip extra that installs it


BACKENDS: dict[str, BackendSpec] = {
    "pyav": BackendSpec("pyav", "av", "video"),
    "opencv": BackendSpec("opencv", "cv2", "video-fast"),
    "decord": BackendSpec("decord", "decord", "video-fast"),
    "torchcodec": BackendSpec("torchcodec", "torchcodec", "video-torchcodec"),
}
# "auto" takes the first backend of this list that loads. On the 2-core CPU of
# benchmarks/data_cpu.md no other backend beat PyAV per clip, and PyAV is the
# reference that also probes, so it leads; the rest are there for installs without it.
AUTO_ORDER: tuple[str, ...] = ("pyav", "opencv", "decord")

ReadFn = Callable[[str, list[int], VideoInfo], list[np.ndarray]]


def is_available(name: str) -> bool:
    """Whether backend ``name``'s package is installed (nothing is imported)."""
    return installed(BACKENDS[name].requires)


def loads(name: str) -> bool:
    """Whether backend ``name`` imports here (torchcodec can be installed yet miss FFmpeg's libraries)."""
    if not is_available(name):
        return False
    module = importlib.import_module(f"{__name__}.{BACKENDS[name].module}")
    try:
        getattr(module, f"import_{BACKENDS[name].requires}")()
    except ImportError:
        return False
    return True


def available_backends(*, load: bool = False) -> list[str]:
    """Names of the installed backends, in ``BACKENDS`` order; ``load=True`` also imports each to check it works."""
    return [name for name in BACKENDS if (loads(name) if load else is_available(name))]


def resolve_backend(name: str | None) -> str:
    """``None`` -> ``$RLT_VIDEO_BACKEND`` or ``"auto"``; ``"auto"`` -> first installed of ``AUTO_ORDER``."""
    name = name or os.environ.get(ENV_VAR) or "auto"
    if name == "auto":
        for candidate in AUTO_ORDER:
            if loads(candidate):
                return candidate
        raise MissingExtraError(f"no video backend is installed (tried {list(AUTO_ORDER)}); install PyAV from the rlt "
                                f"checkout with `{install_hint('video')}`", extra="video")
    if name not in BACKENDS:
        raise ValueError(f"backend must be one of {['auto', *BACKENDS]}, got {name!r}")
    if not is_available(name):
        spec = BACKENDS[name]
        raise MissingExtraError(f"backend {name!r} needs the {spec.requires!r} package; install it from the rlt "
                                f"checkout with `{install_hint(spec.extra)}`", extra=spec.extra)
    return name


def get_reader(name: str | None) -> tuple[str, ReadFn]:
    """The resolved backend name and its ``read`` function."""
    resolved = resolve_backend(name)
    module = importlib.import_module(f"{__name__}.{BACKENDS[resolved].module}")
    return resolved, module.read
