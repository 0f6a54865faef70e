"""FlexAttention with a document mask over the packed sequence (CUDA).

The packed batch is padded up to a multiple of ``BUCKET`` tokens so that the
compiled kernel sees few distinct shapes: with ``dynamic=False`` every new total
length would otherwise compile again. Padding tokens form their own document,
so they never mix with real tokens and their fully masked blocks are skipped.
The block mask is cached for the last ``cu_seqlens`` tensor seen, because a
model calls attention once per layer with the same packed batch.

Not offered on CPU: FlexAttention has no CPU backward, and compiling it there
takes about half a minute.
"""

from __future__ import annotations

import functools
import weakref
from typing import Any, Callable

import torch
import torch.nn.functional as F

from .capability import Capability, installed, requirements

BUCKET = 1024  # total length is padded up to a multiple of this (a multiple of flex's 128-token blocks)

_mask_cache: dict[str, Any] = {}  # the last block mask: {"cu": weakref, "version", "padded", "mask"}


def _triton_installed() -> bool:
    """Capability flag: torch.compile needs triton to build CUDA kernels (patched in tests)."""
    return installed("triton")


@functools.cache
def _compiled_flex() -> Callable[..., torch.Tensor]:
    """``flex_attention`` compiled on first use, never at import (patched to eager in CPU tests)."""
    from torch.nn.attention.flex_attention import flex_attention

    return torch.compile(flex_attention, dynamic=False)


def padded_length(n: int, bucket: int | None = None) -> int:
    """``n`` rounded up to a multiple of the bucket (at least one bucket).

    Example with ``bucket=1024``: ``0 -> 1024``, ``1000 -> 1024``, ``1025 -> 2048``.
    """
    bucket = BUCKET if bucket is None else bucket
    return max(1, -(-n // bucket)) * bucket


def document_ids(cu_seqlens: torch.Tensor, length: int) -> torch.Tensor:
    """``(B+1,)`` prefix sums -> ``(length,)`` long: the sequence of every position.

    Positions past the last sequence (padding) get id ``B``. No host sync.
    Example: ``cu_seqlens = [0, 2, 3]``, ``length = 5`` -> ``[0, 0, 1, 2, 2]``.
    """
    positions = torch.arange(length, device=cu_seqlens.device, dtype=cu_seqlens.dtype)
    return torch.searchsorted(cu_seqlens[1:].contiguous(), positions, right=True)


def document_block_mask(cu_seqlens: torch.Tensor, padded: int) -> Any:
    """The ``BlockMask`` letting a position attend only to positions of its own sequence."""
    from torch.nn.attention.flex_attention import create_block_mask

    cached = _mask_cache
    if (
        cached.get("cu") is not None
        and cached["cu"]() is cu_seqlens
        and cached["version"] == cu_seqlens._version
        and cached["padded"] == padded
    ):
        return cached["mask"]
    doc = document_ids(cu_seqlens, padded)  # (P,)

    def same_document(b: torch.Tensor, h: torch.Tensor, q_idx: torch.Tensor, kv_idx: torch.Tensor) -> torch.Tensor:
        return doc[q_idx] == doc[kv_idx]

    # Eager mask creation materialises a dense (P, P) bool (157 MB at 12.5k tokens); compiled, it
    # is built block by block. CPU (tests only: flex is not offered there) keeps the eager path.
    compile_mask = cu_seqlens.device.type == "cuda"
    mask = create_block_mask(same_document, None, None, padded, padded, device=cu_seqlens.device, _compile=compile_mask)
    cached.update(cu=weakref.ref(cu_seqlens), version=cu_seqlens._version, padded=padded, mask=mask)
    return mask


def flex_packed_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    cu_seqlens: torch.Tensor,
    max_seqlen: int,
    *,
    dropout_p: float = 0.0,
    scale: float | None = None,
    key_bias: torch.Tensor | None = None,
) -> torch.Tensor:
    """Block-diagonal attention as one compiled FlexAttention call over the padded batch.

    ``q, k, v: (N, heads, head_dim)``; ``cu_seqlens: (B+1,)``. Returns ``(N, heads, head_dim)``.
    ``key_bias (N,)`` is added to every logit of that key (a ``score_mod``).
    FlexAttention has no dropout, so ``dropout_p`` must be 0.
    """
    if dropout_p > 0.0:
        raise ValueError(f"flex has no attention dropout; got dropout_p={dropout_p}, expected 0.0")
    n = q.shape[0]
    padded = padded_length(n)
    block_mask = document_block_mask(cu_seqlens, padded)

    def to_flex(x: torch.Tensor) -> torch.Tensor:
        return F.pad(x, (0, 0, 0, 0, 0, padded - n)).transpose(0, 1).unsqueeze(0)  # (1, H, P, D)

    score_mod = None
    if key_bias is not None:
        bias = F.pad(key_bias.float(), (0, padded - n))  # (P,): padding keys are masked out anyway

        def score_mod(score: torch.Tensor, b: torch.Tensor, h: torch.Tensor, q_idx: torch.Tensor,
                      kv_idx: torch.Tensor) -> torch.Tensor:
            return score + bias[kv_idx]

    out = _compiled_flex()(
        to_flex(q), to_flex(k), to_flex(v), score_mod=score_mod, block_mask=block_mask, scale=scale
    )  # (1, H, P, D)
    return out[0, :, :n].transpose(0, 1)  # (N, H, D)


def check(device: torch.device, dtype: torch.dtype, requires_grad: bool, dropout: bool) -> Capability:
    """Needs a CUDA device with triton, and no attention dropout."""
    unmet = []
    if device.type != "cuda":
        unmet.append(("a CUDA device (no CPU backward, slow CPU compile)", device.type))
    if not _triton_installed():
        unmet.append(("triton to compile its kernel", "triton not installed"))
    if dropout:
        unmet.append(("dropout_p == 0 (FlexAttention has no dropout)", "dropout_p > 0"))
    return requirements("flex", unmet)
