"""Named model presets and ``create_model``."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

from .config import ViTConfig
from .vit import VideoViT

# VideoMAE / VideoMAEv2 encoder sizes; vit-g's MLP is 6144 (mlp_ratio 48/11), the rest use 4 * width.
PRESETS: dict[str, ViTConfig] = {
    "vit-s": ViTConfig(width=384, depth=12, heads=6),
    "vit-b": ViTConfig(width=768, depth=12, heads=12),
    "vit-l": ViTConfig(width=1024, depth=24, heads=16),
    "vit-h": ViTConfig(width=1280, depth=32, heads=16),
    "vit-g": ViTConfig(width=1408, depth=40, heads=16, mlp_dim=6144),
    # Tests and examples: runs in milliseconds on CPU.
    "vit-tiny-test": ViTConfig(width=64, depth=2, heads=2, num_frames=4, img_size=32, num_classes=10),
}


def preset_config(name: str, **overrides: Any) -> ViTConfig:
    """The preset's config with ``overrides`` (any :class:`ViTConfig` field) applied."""
    if name not in PRESETS:
        raise ValueError(f"unknown model {name!r}; expected one of {', '.join(map(repr, PRESETS))}")
    known = {f.name for f in fields(ViTConfig)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(f"unknown config field(s) {unknown}; ViTConfig has {sorted(known)}")
    return replace(PRESETS[name], **overrides)


def create_model(name: str, **overrides: Any) -> VideoViT:
    """Build a randomly initialised preset, e.g. ``create_model("vit-b", num_classes=174)``."""
    return VideoViT(preset_config(name, **overrides))
