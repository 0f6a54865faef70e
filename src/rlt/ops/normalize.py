"""ImageNet normalisation between uint8 frames and the float clips RLT works on."""

from __future__ import annotations

import torch

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _stats(like: torch.Tensor, channels: int) -> tuple[torch.Tensor, torch.Tensor]:
    _check_channels(channels)
    mean = torch.tensor(IMAGENET_MEAN, dtype=like.dtype, device=like.device)
    std = torch.tensor(IMAGENET_STD, dtype=like.dtype, device=like.device)
    return mean.view(1, 3, 1, 1, 1), std.view(1, 3, 1, 1, 1)


def _check_channels(channels: int, where: str = "axis 1 (B, C, T, H, W)") -> None:
    if channels != 3:
        raise ValueError(f"ImageNet normalisation needs 3 channels on {where}, got {channels}")


def _scale_shift(dtype: torch.dtype, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """``(x / 255 - mean) / std == x * scale + shift``: ``scale = 1 / (255 std)``, ``shift = -mean / std``.

    Computed in float64, then rounded once to ``dtype``; each ``(1, 3, 1, 1, 1)``.
    """
    mean = torch.tensor(IMAGENET_MEAN, dtype=torch.float64)
    std = torch.tensor(IMAGENET_STD, dtype=torch.float64)
    scale, shift = 1.0 / (255.0 * std), -mean / std
    return scale.to(device, dtype).view(1, 3, 1, 1, 1), shift.to(device, dtype).view(1, 3, 1, 1, 1)


def normalize(
    frames: torch.Tensor, *, channels_last: bool | None = None, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """uint8 frames to an ImageNet-normalised float clip ``(B, C, T, H, W)``, contiguous.

    ``frames`` is ``(B, T, H, W, C)`` (as decoders return it) or ``(B, C, T, H, W)``.
    The layout is inferred from where the size-3 axis is; pass ``channels_last``
    to decide it explicitly when both axis 1 and axis 4 have size 3.
    Values become ``(x / 255 - mean) / std``, computed as ``x * scale + shift``.

    Two passes over the output and one allocation: the uint8 -> float copy also
    moves channels first, then one in-place multiply-add (benchmarks/normalize_cpu.md).
    """
    if frames.dim() != 5:
        raise ValueError(f"frames must be 5-D (B, T, H, W, C) or (B, C, T, H, W), got shape {tuple(frames.shape)}")
    if channels_last is None:
        if 3 not in (frames.shape[1], frames.shape[-1]):
            raise ValueError(
                "ImageNet normalisation needs 3 channels on axis 4 (B, T, H, W, C) or axis 1 (B, C, T, H, W), "
                f"got shape {tuple(frames.shape)}"
            )
        channels_last = frames.shape[-1] == 3 and frames.shape[1] != 3
    if channels_last:
        frames = frames.permute(0, 4, 1, 2, 3)  # (B, C, T, H, W) view
    _check_channels(frames.shape[1], "axis 4 (B, T, H, W, C)" if channels_last else "axis 1 (B, C, T, H, W)")
    scale, shift = _scale_shift(dtype, frames.device)
    out = torch.empty(frames.shape, dtype=dtype, device=frames.device)  # (B, C, T, H, W) contiguous
    out.copy_(frames)  # conversion and layout change in one pass
    return torch.addcmul(shift, out, scale, out=out)


def denormalize(video: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`normalize`: float ``(B, C, T, H, W)`` to pixels 0..255 (float, unclamped)."""
    mean, std = _stats(video, video.shape[1])
    return (video * std + mean) * 255.0
