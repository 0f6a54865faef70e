"""How clips are cut from a video and tokenized: one dataclass shared by stats, sweep, viz and demo."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from rlt.ops.grid import check_choice, check_size, check_tau
from rlt.ops.static import MODES, NORMS


@dataclass(frozen=True)
class StatsConfig:
    """How ``rlt stats``, ``sweep``, ``viz`` and ``demo`` cut clips and run RLT.

    The commands generate their options from these fields (help text in ``metadata``).
    """

    tau: float = field(
        default=0.1, metadata={"help": "static threshold in ImageNet-normalised units; the paper uses 0.1"}
    )
    num_frames: int = field(default=16, metadata={"help": "frames per clip; a multiple of --tubelet-size"})
    interval: int | None = field(
        default=4, metadata={"help": "take every INTERVAL-th frame (default 4); exclusive with --fps"}
    )
    fps: float | None = field(
        default=None, metadata={"help": "sample frames at this rate instead of a fixed interval"}
    )
    size: int = field(default=224, metadata={"help": "short side resized to SIZE, then centre-cropped SIZE x SIZE"})
    tubelet_size: int = field(default=2, metadata={"help": "frames per tubelet (token depth)"})
    patch_size: int = field(default=16, metadata={"help": "pixels per patch side"})
    mode: str = field(
        default="previous", metadata={"help": "static test against the previous tubelet (paper) or the run's anchor",
                                      "choices": MODES}
    )
    norm: str = field(
        default="l1", metadata={"help": "patch distance: mean absolute (l1) or root mean square (l2)", "choices": NORMS}
    )

    def __post_init__(self) -> None:
        check_tau(self.tau)
        check_size("num_frames", self.num_frames)
        check_size("tubelet_size", self.tubelet_size)
        check_size("patch_size", self.patch_size)
        check_size("size", self.size)
        if self.num_frames % self.tubelet_size:
            raise ValueError(
                f"num_frames={self.num_frames} must be a multiple of tubelet_size={self.tubelet_size}"
            )
        if self.size % self.patch_size:
            raise ValueError(f"size={self.size} must be a multiple of patch_size={self.patch_size}")
        if self.fps is not None:
            if not (isinstance(self.fps, (int, float)) and math.isfinite(self.fps) and self.fps > 0):
                raise ValueError(f"fps must be a positive number, got {self.fps!r}")
            if self.interval is not None:
                raise ValueError(f"give interval or fps, not both (interval={self.interval}, fps={self.fps})")
        elif self.interval is None:
            raise ValueError("one of interval or fps is required")
        else:
            check_size("interval", self.interval)
        check_choice("mode", self.mode, MODES)
        check_choice("norm", self.norm, NORMS)

    @property
    def tokens_per_clip(self) -> int:
        """Grid tokens of one clip: ``T' * H' * W'``."""
        return (self.num_frames // self.tubelet_size) * (self.size // self.patch_size) ** 2

    def to_dict(self) -> dict:
        """Plain JSON-ready dict of every field."""
        return asdict(self)
