"""How the bench calls a reducer: ``rlt.reducers`` once it has landed, a two-reducer stand-in until then."""

from __future__ import annotations

import torch

import rlt

try:
    from rlt.reducers import available, create
except ImportError:  # rlt.reducers not on this branch yet: none and rlt only
    class _Input:
        in_model = False

        def __init__(self, name: str, options: dict) -> None:
            self.name, self.options, self.layer_tokens = name, options, None

        def pack(self, video: torch.Tensor, *, tubelet_size: int = 2, patch_size: int = 16) -> rlt.PackedBatch:
            if self.name == "none":
                return rlt.ops.tokenize_dense(video, tubelet_size=tubelet_size, patch_size=patch_size)
            return rlt.tokenize(video, tubelet_size=tubelet_size, patch_size=patch_size, **self.options)

    def available() -> tuple[str, ...]:
        return ("none", "rlt")

    def create(name: str, **options) -> _Input:
        if name == "none" and not options:
            return _Input(name, {})
        if name == "rlt" and set(options) <= {"tau", "mode", "norm"}:
            return _Input(name, {"tau": 0.1, "mode": "previous", "norm": "l1", **options})
        raise ValueError(f"unknown reducer {name!r} or options {options}; expected one of none, rlt")


def forward(model: torch.nn.Module, video: torch.Tensor, reducer) -> torch.Tensor:
    """``model(video, reducer=reducer)``: logits ``(B, classes)``; sets ``reducer.layer_tokens``."""
    if hasattr(reducer, "pack") and not _HAS_REDUCERS:
        c = model.config
        packed = reducer.pack(video, tubelet_size=c.tubelet_size, patch_size=c.patch_size)
        reducer.layer_tokens = packed.seqlens[None].expand(c.depth + 1, -1).clone()  # (depth+1, B)
        return model(packed)
    return model(video, reducer=reducer)


try:
    import rlt.reducers  # noqa: F401

    _HAS_REDUCERS = True
except ImportError:
    _HAS_REDUCERS = False

__all__ = ["available", "create", "forward"]
