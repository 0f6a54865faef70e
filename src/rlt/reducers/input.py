"""Input reducers: a plan computed before the encoder (``rlt``, ``random``, ``rlt+random``)."""

from __future__ import annotations

from typing import Any

import torch

from rlt.ops import MODES, NORMS, PackedBatch, check_video, run_lengths_grid, static_keep, tokenize

from . import options as opt
from .base import Reducer
from .masking import keep_count, random_keep


class RLTReducer(Reducer):
    """Run-Length Tokenization: drop tubelets that repeat their predecessor (``rlt.tokenize``)."""

    name = "rlt"
    needs_clip = True

    def __init__(self, tau: float = 0.1, mode: str = "previous", norm: str = "l1") -> None:
        super().__init__()
        self.tau = opt.real("tau", tau, low=0.0)  # static threshold, ImageNet-normalised units
        self.mode = opt.choice("mode", mode, MODES)  # static test: "previous" (paper) or "anchor"
        self.norm = opt.choice("norm", norm, NORMS)  # "l1" (mean absolute difference) or "l2"

    @property
    def options(self) -> dict[str, Any]:
        return {"tau": self.tau, "mode": self.mode, "norm": self.norm}

    def plan_runs(
        self, video: torch.Tensor, tubelet_size: int, patch_size: int
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        keep = static_keep(
            video, tau=self.tau, tubelet_size=tubelet_size, patch_size=patch_size, mode=self.mode, norm=self.norm
        )  # (B, T', H', W')
        return keep, run_lengths_grid(keep)

    def pack(self, video: torch.Tensor, *, tubelet_size: int = 2, patch_size: int = 16) -> PackedBatch:
        return tokenize(
            video, tau=self.tau, tubelet_size=tubelet_size, patch_size=patch_size, mode=self.mode, norm=self.norm
        )


class _Seeded:
    """One ``torch.Generator`` per device, seeded once: a new reducer with the same seed repeats its draws."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._generators: dict[torch.device, torch.Generator] = {}

    def noise(self, shape: tuple[int, ...], device: torch.device) -> torch.Tensor:
        gen = self._generators.get(device)
        if gen is None:
            gen = self._generators[device] = torch.Generator(device=device).manual_seed(self.seed)
        return torch.rand(shape, generator=gen, device=device)


class RandomReducer(Reducer):
    """Random masking: each clip keeps exactly ``round(keep * N0)`` tokens (at least 1), uniformly at random.

    Every kept token has run length 1. Draws come from a generator seeded with
    ``seed``, so a reducer created with the same seed repeats the same masks.
    """

    name = "random"
    needs_clip = True

    def __init__(self, keep: float = 0.5, seed: int = 0) -> None:
        super().__init__()
        self.keep = opt.real("keep", keep, low=0.0, high=1.0, low_open=True)  # fraction of tokens kept per clip
        self.seed = opt.integer("seed", seed)
        self._rng = _Seeded(self.seed)

    @property
    def options(self) -> dict[str, Any]:
        return {"keep": self.keep, "seed": self.seed}

    def plan_runs(
        self, video: torch.Tensor, tubelet_size: int, patch_size: int
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        t_, h_, w_ = check_video(video, tubelet_size, patch_size)
        b, total = video.shape[0], t_ * h_ * w_
        candidates = torch.ones(b, total, dtype=torch.bool, device=video.device)
        counts = torch.full((b,), keep_count(self.keep, total), dtype=torch.long, device=video.device)
        keep = random_keep(candidates, counts, self._rng.noise((b, total), video.device))  # (B, L)
        return keep.view(b, t_, h_, w_), None


class RLTRandomReducer(RLTReducer):
    """RLT, then random masking of its survivors down to ``keep`` of the ORIGINAL token count.

    Clip ``b`` keeps ``min(round(keep * N0), rlt_kept[b])`` tokens chosen at random
    among those RLT kept (the paper's fast-training combination). Kept tokens
    keep their RLT run lengths, so a length embedding still sees how long each
    token's run was.
    """

    name = "rlt+random"

    def __init__(
        self, tau: float = 0.1, keep: float = 0.5, seed: int = 0, mode: str = "previous", norm: str = "l1"
    ) -> None:
        super().__init__(tau=tau, mode=mode, norm=norm)
        self.keep = opt.real("keep", keep, low=0.0, high=1.0, low_open=True)
        self.seed = opt.integer("seed", seed)
        self._rng = _Seeded(self.seed)

    @property
    def options(self) -> dict[str, Any]:
        return {**super().options, "keep": self.keep, "seed": self.seed}

    def plan_runs(
        self, video: torch.Tensor, tubelet_size: int, patch_size: int
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        rlt_keep, runs = super().plan_runs(video, tubelet_size, patch_size)  # (B, T', H', W') twice
        b, total = rlt_keep.shape[0], rlt_keep[0].numel()
        candidates = rlt_keep.flatten(1)  # (B, L)
        counts = candidates.sum(1).clamp(max=keep_count(self.keep, total))  # (B,)
        keep = random_keep(candidates, counts, self._rng.noise((b, total), video.device))
        return keep.view_as(rlt_keep), runs

    def pack(self, video: torch.Tensor, *, tubelet_size: int = 2, patch_size: int = 16) -> PackedBatch:
        return Reducer.pack(self, video, tubelet_size=tubelet_size, patch_size=patch_size)
