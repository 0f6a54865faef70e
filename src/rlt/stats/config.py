"""What ``stats``, ``sweep``, ``viz`` and ``demo`` run: how clips are cut, plus the RLT settings.

Nothing is defined twice: the cut is :class:`rlt.data.cut.CutConfig` (the same one
:func:`rlt.data.cut_clips` takes) and the RLT settings are
:class:`rlt.data.TokenizeConfig` (the same one :func:`rlt.data.prepare_batch`
takes). :class:`StatsConfig` is both, flat, so its JSON reads as one object.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from rlt.data.collate import TokenizeConfig
from rlt.data.cut import CutConfig
from rlt.ops.grid import check_choice, check_size, check_tau
from rlt.ops.static import MODES, NORMS


@dataclass(frozen=True)
class StatsConfig(TokenizeConfig, CutConfig):
    """A :class:`~rlt.data.cut.CutConfig` and a :class:`~rlt.data.TokenizeConfig` in one flat, checked object.

    ``StatsConfig(tau=0.2, num_frames=8, interval=1, size=32)``; every value is
    range-checked here, so a bad one raises ``ValueError`` naming it.
    """

    def __post_init__(self) -> None:
        CutConfig.__post_init__(self)
        check_tau(self.tau)
        check_size("tubelet_size", self.tubelet_size)
        check_size("patch_size", self.patch_size)
        check_choice("mode", self.mode, MODES)
        check_choice("norm", self.norm, NORMS)
        if self.num_frames % self.tubelet_size:
            raise ValueError(f"num_frames={self.num_frames} must be a multiple of tubelet_size={self.tubelet_size}")
        if self.size % self.patch_size:
            raise ValueError(f"size={self.size} must be a multiple of patch_size={self.patch_size}")
        if self.dense:
            raise ValueError("dense=True keeps every token; statistics of RLT need dense=False")

    @property
    def cut(self) -> CutConfig:
        """Just the cut, for :func:`rlt.data.cut_clips`."""
        return CutConfig(**{f.name: getattr(self, f.name) for f in fields(CutConfig)})

    @property
    def tokenize(self) -> TokenizeConfig:
        """Just the RLT settings, for :func:`rlt.data.prepare_batch`."""
        return TokenizeConfig(**{f.name: getattr(self, f.name) for f in fields(TokenizeConfig)})

    @property
    def tokens_per_clip(self) -> int:
        """Grid tokens of one clip: ``T' * H' * W'``."""
        return (self.num_frames // self.tubelet_size) * (self.size // self.patch_size) ** 2

    def to_dict(self) -> dict:
        """Plain JSON-ready dict of every field (``dense`` left out: it is always False here)."""
        out = asdict(self)
        out.pop("dense")
        return out
