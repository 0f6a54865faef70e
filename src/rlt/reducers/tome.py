"""ToMe for video ViTs on packed batches: ``r`` bipartite merges per block and clip."""

from __future__ import annotations

from typing import Any

from rlt.models.reduction import BlockHook, BlockTokens, Reduction
from rlt.ops import Segments

from . import options as opt
from .base import Reducer
from .merge import bipartite_plan, merge_weighted


class ToMeHook:
    """Merge ``r`` rows per clip after this block's attention (ToMe's place, before the MLP)."""

    needs_keys = True

    def __init__(self, r: int, proportional: bool) -> None:
        self.r = r
        self.proportional = proportional

    def __call__(self, tokens: BlockTokens) -> Reduction:
        seg = tokens.segments
        metric = tokens.keys.mean(dim=1)  # (N, head_dim): ToMe's metric, keys averaged over heads
        plan = bipartite_plan(metric, seg, self.r)
        sizes = seg.sizes if seg.sizes is not None else tokens.x.new_ones(tokens.x.shape[0], dtype=tokens.x.dtype)
        x, sizes = merge_weighted(tokens.x, sizes.float(), plan)  # (N1, D), (N1,)
        segments = Segments.from_host(plan.host_seqlens, x.device, sizes, self.proportional)
        return Reduction(x, segments, plan.rows)


class ToMeReducer(Reducer):
    """Token Merging (Bolya et al., ICLR 2023) for video, merging within each packed clip.

    ``r`` tokens are merged per block and clip (an int for every block, or one
    per block); a clip of ``n`` rows merges at most ``n // 2``. Merged tokens are
    size-weighted averages; with ``proportional`` (ToMe's default) attention adds
    ``log(size)`` to each merged key's logits; the model pools with a
    size-weighted mean. Composes with an RLT-packed batch (``rlt+tome``).
    """

    name = "tome"
    in_model = True

    def __init__(self, r: int | list[int] | tuple[int, ...] = 8, proportional: bool = True) -> None:
        super().__init__()
        self.r = opt.schedule("r", r)  # merges per block and clip
        if not isinstance(proportional, bool):
            raise ValueError(f"proportional must be True or False, got {proportional!r}")
        self.proportional = proportional

    @property
    def options(self) -> dict[str, Any]:
        r = list(self.r) if isinstance(self.r, tuple) else self.r
        return {"r": r, "proportional": self.proportional}

    def block_hook(self, index: int, depth: int) -> BlockHook | None:
        r = opt.per_block("r", self.r, index, depth)
        return ToMeHook(r, self.proportional) if r > 0 else None
