"""Embedding only the kept tubelets of a packed batch with a HF ``VideoMAEEmbeddings``' weights."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from rlt.models.checkpoint_load import HF_LENGTH_TABLE
from rlt.ops import PackedBatch

# Name of the run-length table rlt.patch(length_embed=True) registers on ``VideoMAEEmbeddings``;
# it saves as ``[videomae.]embeddings.rlt_length_embeddings`` with shape (T', D).
LENGTH_TABLE = HF_LENGTH_TABLE.removeprefix("embeddings.")


def embed_packed(embeddings: nn.Module, packed: PackedBatch, *, length_embed: bool = False) -> torch.Tensor:
    """Tubelet pixels ``(N, C*ts*p*p)`` -> ``(N, D)``: HF's Conv3d as a matmul, plus its position table.

    The sinusoid rows are gathered at ``packed.positions``, so a kept token gets
    exactly the row it has in the dense model. With ``length_embed`` the row
    ``length - 1`` of the run-length table is added too.
    """
    proj = embeddings.patch_embeddings.projection  # Conv3d (D, C, ts, p, p), stride = kernel
    weight = proj.weight.flatten(1)  # (D, C*ts*p*p), the (c, dt, dy, dx) order of packed tubelets
    x = F.linear(packed.tokens.to(weight.dtype), weight, proj.bias)  # (N, D)
    table = embeddings.position_embeddings  # (1, L, D) fixed sinusoid, kept on the CPU by HF
    if table.shape[1] != packed.grid.numel:
        raise ValueError(
            f"the clip has {packed.grid.numel} tokens (T'={packed.grid.t}, H'={packed.grid.h}, W'={packed.grid.w}) "
            f"but the model's position table has {table.shape[1]}: give clips of config.num_frames frames"
        )
    x = x + table[0].to(device=x.device, dtype=x.dtype)[packed.positions]  # (N, D)
    if length_embed:
        lengths = getattr(embeddings, LENGTH_TABLE, None)
        if lengths is None:
            raise ValueError(
                "model.rlt.length_embed is True but the model has no run-length table: "
                "patch with rlt.patch(model, length_embed=True) to add one"
            )
        if packed.grid.t > lengths.shape[0]:
            raise ValueError(
                f"clip has T'={packed.grid.t} tubelets but the run-length table has {lengths.shape[0]} rows"
            )
        x = x + lengths[packed.lengths - 1].to(x.dtype)  # (N, D)
    return x
