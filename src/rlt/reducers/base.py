"""``Reducer``: the one interface for what the model sees, and the ``none`` reducer itself."""

from __future__ import annotations

from typing import Any, ClassVar

import torch

from rlt.models.reduction import BlockHook
from rlt.ops import PackedBatch, check_video, gather_tubelets


class Reducer:
    """Decides which tokens a :class:`rlt.models.VideoViT` sees; as is, keeps every token (``none``).

    Input reducers (``none``, ``rlt``, ``random``, ``rlt+random``) override
    :meth:`plan_runs`: a plan computed once before the encoder, applied by
    :meth:`pack`. In-model reducers (``tome``, ``sta``) override
    :meth:`block_hook` and reduce between a block's attention and its MLP.
    After each forward the model hands back ``layer_tokens (depth + 1, B)``:
    tokens per clip entering each block, then leaving the last.
    """

    name: ClassVar[str] = "none"
    in_model: ClassVar[bool] = False  # reduces inside the model
    needs_clip: ClassVar[bool] = False  # plans from the pixels, so it cannot take an already packed batch

    def __init__(self) -> None:
        self.layer_tokens: torch.Tensor | None = None  # (depth + 1, B) long, from the last forward

    @property
    def options(self) -> dict[str, Any]:
        """The resolved options, JSON-able (for logs, results and configs)."""
        return {}

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options.items())
        return f"{type(self).__name__}({self.name!r}{', ' if opts else ''}{opts})"

    def plan_runs(
        self, video: torch.Tensor, tubelet_size: int, patch_size: int
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``video (B, C, T, H, W)`` -> ``keep (B, T', H', W')`` bool and run lengths on the grid.

        The run lengths ``(B, T', H', W')`` long are read at the kept tokens; ``None``
        means every kept token stands for itself alone (length 1).
        """
        t_, h_, w_ = check_video(video, tubelet_size, patch_size)
        return torch.ones(video.shape[0], t_, h_, w_, dtype=torch.bool, device=video.device), None

    def plan(self, video: torch.Tensor, *, tubelet_size: int = 2, patch_size: int = 16) -> torch.Tensor:
        """``keep (B, T', H', W')`` bool: the tokens that enter the encoder."""
        return self.plan_runs(video, tubelet_size, patch_size)[0]

    def pack(self, video: torch.Tensor, *, tubelet_size: int = 2, patch_size: int = 16) -> PackedBatch:
        """The kept tubelets' pixels ``(N, C*ts*p*p)`` as a packed batch, with their run lengths."""
        keep, runs = self.plan_runs(video, tubelet_size, patch_size)
        tokens = gather_tubelets(video, keep, tubelet_size, patch_size)  # (N, C*ts*p*p)
        if runs is None:
            lengths = torch.ones(tokens.shape[0], dtype=torch.long, device=keep.device)
        else:
            lengths = runs.flatten(1)[keep.flatten(1)]  # (N,)
        return PackedBatch.from_keep(keep, tokens, lengths=lengths, tubelet_size=tubelet_size, patch_size=patch_size)

    def block_hook(self, index: int, depth: int) -> BlockHook | None:
        """The reduction inside block ``index`` of ``depth`` blocks; ``None``: the block runs as is."""
        return None

    def record(self, layer_tokens: torch.Tensor) -> None:
        """Called by the model after a forward with ``(depth + 1, B)`` tokens per clip."""
        self.layer_tokens = layer_tokens.detach()
