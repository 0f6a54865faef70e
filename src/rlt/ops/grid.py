"""Tubelet grid geometry and argument validation shared by every op."""

from __future__ import annotations

from typing import NamedTuple

import torch


class Grid(NamedTuple):
    """Token grid of a clip: ``T' = T/ts``, ``H' = H/p``, ``W' = W/p``."""

    t: int
    h: int
    w: int

    @property
    def numel(self) -> int:
        return self.t * self.h * self.w


def check_size(name: str, value: int) -> int:
    """Return ``value`` if it is a positive int, else raise ``ValueError`` naming it."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def check_video(video: torch.Tensor, tubelet_size: int, patch_size: int) -> Grid:
    """Validate a ``(B, C, T, H, W)`` clip and return its token grid.

    Raises ``ValueError`` naming the argument when the rank is wrong or a
    dimension is not divisible by the tubelet or patch size.
    """
    check_size("tubelet_size", tubelet_size)
    check_size("patch_size", patch_size)
    if not isinstance(video, torch.Tensor):
        raise ValueError(f"video must be a torch.Tensor, got {type(video).__name__}")
    if video.dim() != 5:
        raise ValueError(
            f"video must have shape (B, C, T, H, W), got rank {video.dim()} shape {tuple(video.shape)}"
        )
    _, _, t, h, w = video.shape
    if t == 0 or t % tubelet_size:
        raise ValueError(
            f"video frame count T={t} must be a positive multiple of tubelet_size={tubelet_size}"
        )
    for dim_name, size in (("H", h), ("W", w)):
        if size == 0 or size % patch_size:
            raise ValueError(
                f"video {dim_name}={size} must be a positive multiple of patch_size={patch_size}"
            )
    return Grid(t // tubelet_size, h // patch_size, w // patch_size)


def check_float_video(video: torch.Tensor) -> None:
    """Raise ``ValueError`` unless ``video`` is floating point (a normalised clip, not decoded frames).

    A dtype check only: it reads no values, so it costs no device sync.
    """
    if not video.is_floating_point():
        raise ValueError(
            f"video must be a normalised float clip (B, C, T, H, W), got dtype {video.dtype}; "
            "convert decoded uint8 frames with rlt.ops.normalize(frames) first"
        )


def check_tau(tau: float) -> float:
    """Return ``tau`` as a float if it is a finite number >= 0, else raise ``ValueError``.

    Strings and bools are refused even though ``float()`` would take them
    (``"0.1"``, ``True``): a threshold that arrives as one is a caller's bug.
    """
    if isinstance(tau, (bool, str, bytes)):
        raise ValueError(f"tau must be a non-negative number, got {type(tau).__name__} {tau!r}")
    try:
        value = float(tau)
    except (TypeError, ValueError):
        raise ValueError(f"tau must be a non-negative number, got {tau!r}") from None
    if not value >= 0 or value == float("inf"):  # also rejects NaN
        raise ValueError(f"tau must be a finite non-negative number, got {tau!r}")
    return value


def check_choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise ``ValueError`` naming it."""
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}; expected one of {', '.join(map(repr, choices))}")
    return value
