"""STA: prune tokens with the highest Semantic-aware Temporal Accumulation score at a few blocks.

**The variant built here**, from the paper's description (Ding et al., ICCV 2023,
arXiv 2308.04549: "temporal redundancy ... by aggregating token-to-token
similarity in consecutive frames", "semantic importance ... each token's
contribution to the overall prediction", pruning progressively in three stages
with no new parameters):

- *Temporal redundancy* (:func:`~rlt.reducers.sta_score.temporal_accumulation`):
  cosine similarity of the block's attention keys (averaged over heads) between
  each token and the tokens of its clip at the previous time step; the score is
  carried along the best match and grows while a region stays the same.
- *Semantic importance* (:func:`~rlt.reducers.sta_score.semantic_importance`): the
  token's feature activation, its L2 norm after the block's attention, over the
  clip's mean.
- *STA score* = redundancy / importance; in each clip the highest scores are pruned.
- *Schedule*: pruning between the attention and the MLP of the blocks in
  ``layers`` (default: three stages at depth/4, depth/2, 3*depth/4), each keeping
  ``round(keep * n)`` of a clip's ``n`` rows (at least 1).

**Differs from the paper / not reproducible from its text here:** we could read
only the abstract and the overview figure, not the equations, so the exact
transport weights (the paper moves the score along weighted edges between
consecutive frames; we move it along the single best match), the paper's
activation-map form of the semantic term (no class token in VideoMAE, so we use
feature norms), where in the block it prunes and its keep ratios per stage are
our choices, not the paper's. Pruned tokens are dropped, not merged.
"""

from __future__ import annotations

from typing import Any

from rlt.models.reduction import BlockHook, BlockTokens, Reduction
from rlt.ops import Segments

from . import options as opt
from .base import Reducer
from .masking import keep_count
from .sta_score import prune_rows, semantic_importance, temporal_accumulation


class STAHook:
    """Prune each clip to ``round(keep * n)`` rows by STA score, after this block's attention."""

    needs_keys = True

    def __init__(self, keep: float) -> None:
        self.keep = keep

    def __call__(self, tokens: BlockTokens) -> Reduction:
        seg = tokens.segments
        metric = tokens.keys.mean(dim=1).float()  # (N, head_dim)
        metric = metric / metric.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        redundancy = temporal_accumulation(metric, tokens.positions, seg.ids, seg.batch_size, tokens.grid)  # (N,)
        scores = redundancy / semantic_importance(tokens.x, seg).clamp_min(1e-6)  # (N,)
        keep_per_clip = tuple(min(n, keep_count(self.keep, n)) for n in seg.host_seqlens)
        rows = prune_rows(scores, seg, keep_per_clip)  # (N1,)
        sizes = None if seg.sizes is None else seg.sizes[rows]
        segments = Segments.from_host(keep_per_clip, tokens.x.device, sizes, seg.proportional)
        return Reduction(tokens.x[rows], segments, rows)


class STAReducer(Reducer):
    """Semantic-aware Temporal Accumulation pruning (a documented variant; see the module docstring)."""

    name = "sta"
    in_model = True

    def __init__(self, keep: float = 0.7, layers: list[int] | tuple[int, ...] | None = None) -> None:
        super().__init__()
        self.keep = opt.real("keep", keep, low=0.0, high=1.0, low_open=True)  # fraction kept at each stage
        self.layers = None if layers is None else tuple(  # blocks that prune; None: depth/4, depth/2, 3*depth/4
            opt.integer(f"layers[{i}]", v) for i, v in enumerate(opt.sequence("layers", layers))
        )

    @property
    def options(self) -> dict[str, Any]:
        return {"keep": self.keep, "layers": None if self.layers is None else list(self.layers)}

    def stages(self, depth: int) -> tuple[int, ...]:
        """The blocks that prune in a model of ``depth`` blocks."""
        if self.layers is None:
            return tuple(sorted({depth // 4, depth // 2, (3 * depth) // 4}))
        bad = [i for i in self.layers if i >= depth]
        if bad:
            raise ValueError(f"layers {bad} are past the last block of a {depth}-block model")
        return self.layers

    def block_hook(self, index: int, depth: int) -> BlockHook | None:
        return STAHook(self.keep) if index in self.stages(depth) else None
