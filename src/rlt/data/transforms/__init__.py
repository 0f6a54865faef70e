"""Clip transforms without torchvision: uint8 geometry in workers, float mixing after normalisation."""

from ...ops.normalize import normalize
from .erase import EraseConfig, random_erase
from .geometry import (
    center_crop,
    crop,
    hflip,
    random_hflip,
    random_resized_crop,
    random_resized_crop_box,
    resize,
    resize_short_side,
    short_side_size,
    three_crops,
)
from .mix import MixConfig, cutmix_box, mixup_cutmix, one_hot

__all__ = [
    "EraseConfig", "MixConfig", "center_crop", "crop", "cutmix_box", "hflip", "mixup_cutmix", "normalize",
    "one_hot", "random_erase", "random_hflip", "random_resized_crop", "random_resized_crop_box", "resize",
    "resize_short_side", "short_side_size", "three_crops",
]
