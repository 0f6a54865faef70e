"""Spatial transforms on uint8 clips ``(T, H, W, 3)``; one crop box for every frame of a clip.

All of them keep the dtype and the channels-last layout decoders return, so a
clip stays uint8 (4x smaller than float) until it reaches the device.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def _check_clip(frames: torch.Tensor) -> None:
    if frames.dim() != 4 or frames.shape[-1] != 3:
        raise ValueError(f"frames must be (T, H, W, 3), got shape {tuple(frames.shape)}")


def _pair(size: int | tuple[int, int], name: str) -> tuple[int, int]:
    h, w = (size, size) if isinstance(size, int) else tuple(size)
    if h <= 0 or w <= 0:
        raise ValueError(f"{name} must be positive, got {size}")
    return int(h), int(w)


def resize(frames: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear, antialiased resize of ``(T, H, W, 3)`` to ``(T, h, w, 3)``, same dtype.

    uint8 on CPU uses PyTorch's native uint8 kernel (rounded, clamped; about 10x
    faster than going through float); elsewhere floats are rounded and clamped back.
    """
    _check_clip(frames)
    h, w = _pair(size, "size")
    if (h, w) == tuple(frames.shape[1:3]):
        return frames
    x = frames.permute(0, 3, 1, 2)  # (T, 3, H, W), a channels-last view
    if frames.dtype == torch.uint8 and frames.device.type == "cpu":
        y = F.interpolate(x.contiguous(memory_format=torch.channels_last), size=(h, w), mode="bilinear",
                          antialias=True, align_corners=False)
    else:
        y = F.interpolate(x.float(), size=(h, w), mode="bilinear", antialias=True, align_corners=False)
        if frames.dtype == torch.uint8:
            y = y.round_().clamp_(0, 255)
        y = y.to(frames.dtype)
    return y.permute(0, 2, 3, 1).contiguous()  # (T, h, w, 3)


def short_side_size(height: int, width: int, size: int) -> tuple[int, int]:
    """``(h, w)`` with the shorter side ``size`` and the aspect ratio kept (long side rounded)."""
    if size <= 0:
        raise ValueError(f"size must be positive, got {size}")
    if height <= width:
        return size, max(1, round(width * size / height))
    return max(1, round(height * size / width)), size


def resize_short_side(frames: torch.Tensor, size: int) -> torch.Tensor:
    """Resize ``(T, H, W, 3)`` so the shorter side is ``size``: ``(T, H', W', 3)``, same dtype."""
    _check_clip(frames)
    return resize(frames, short_side_size(frames.shape[1], frames.shape[2], size))


def crop(frames: torch.Tensor, top: int, left: int, height: int, width: int) -> torch.Tensor:
    """``frames[:, top:top+height, left:left+width]`` with the box checked against the frame."""
    _check_clip(frames)
    H, W = frames.shape[1:3]
    if top < 0 or left < 0 or height <= 0 or width <= 0 or top + height > H or left + width > W:
        raise ValueError(f"crop box (top={top}, left={left}, height={height}, width={width}) is outside a {H}x{W} frame")
    return frames[:, top : top + height, left : left + width]


def center_crop(frames: torch.Tensor, size: int | tuple[int, int]) -> torch.Tensor:
    """Central ``(T, h, w, 3)`` crop; ``size`` larger than the frame raises ``ValueError``."""
    _check_clip(frames)
    h, w = _pair(size, "size")
    H, W = frames.shape[1:3]
    if h > H or w > W:
        raise ValueError(f"size {size} is larger than the {H}x{W} frame; resize first (resize_short_side)")
    return crop(frames, (H - h) // 2, (W - w) // 2, h, w)


def three_crops(frames: torch.Tensor, size: int) -> list[torch.Tensor]:
    """Three ``size x size`` crops along the longer side (start, centre, end): the test-time spatial views."""
    _check_clip(frames)
    H, W = frames.shape[1:3]
    if size > min(H, W):
        raise ValueError(f"size {size} is larger than the {H}x{W} frame's shorter side")
    if W >= H:
        return [crop(frames, (H - size) // 2, left, size, size) for left in (0, (W - size) // 2, W - size)]
    return [crop(frames, top, (W - size) // 2, size, size) for top in (0, (H - size) // 2, H - size)]


def random_resized_crop_box(
    height: int,
    width: int,
    *,
    scale: tuple[float, float] = (0.08, 1.0),
    ratio: tuple[float, float] = (3 / 4, 4 / 3),
    generator: torch.Generator | None = None,
) -> tuple[int, int, int, int]:
    """``(top, left, h, w)`` of a random crop covering ``scale`` of the area at aspect ``ratio`` (as torchvision)."""
    if not 0 < scale[0] <= scale[1] <= 1:
        raise ValueError(f"scale must satisfy 0 < min <= max <= 1, got {scale}")
    if not 0 < ratio[0] <= ratio[1]:
        raise ValueError(f"ratio must satisfy 0 < min <= max, got {ratio}")
    area = height * width
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        u = torch.rand(4, generator=generator).tolist()
        target = area * (scale[0] + u[0] * (scale[1] - scale[0]))
        aspect = math.exp(log_ratio[0] + u[1] * (log_ratio[1] - log_ratio[0]))
        w = int(round(math.sqrt(target * aspect)))
        h = int(round(math.sqrt(target / aspect)))
        if 0 < w <= width and 0 < h <= height:
            return int(u[2] * (height - h + 1)), int(u[3] * (width - w + 1)), h, w
    # fallback: the largest central crop within the ratio range
    aspect = width / height
    if aspect < ratio[0]:
        w, h = width, int(round(width / ratio[0]))
    elif aspect > ratio[1]:
        h, w = height, int(round(height * ratio[1]))
    else:
        h, w = height, width
    return (height - h) // 2, (width - w) // 2, h, w


def random_resized_crop(
    frames: torch.Tensor,
    size: int | tuple[int, int],
    *,
    scale: tuple[float, float] = (0.08, 1.0),
    ratio: tuple[float, float] = (3 / 4, 4 / 3),
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """One random box (same for every frame) cropped from ``(T, H, W, 3)`` and resized to ``size``."""
    _check_clip(frames)
    top, left, h, w = random_resized_crop_box(frames.shape[1], frames.shape[2], scale=scale, ratio=ratio,
                                              generator=generator)
    return resize(crop(frames, top, left, h, w), _pair(size, "size"))


def hflip(frames: torch.Tensor) -> torch.Tensor:
    """Mirror ``(T, H, W, 3)`` left-right."""
    _check_clip(frames)
    return frames.flip(2)


def random_hflip(frames: torch.Tensor, p: float = 0.5, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """Mirror the whole clip with probability ``p`` (keep ``p=0`` for SSv2: left/right is the label there)."""
    if not 0 <= p <= 1:
        raise ValueError(f"p must be in [0, 1], got {p}")
    return hflip(frames) if float(torch.rand((), generator=generator)) < p else frames
