"""PyTorch SDPA on jagged nested tensors: one call for the whole packed batch.

On CUDA, SDPA dispatches jagged inputs to its varlen flash / memory-efficient
kernels, the same kind of kernel flash-attn's varlen entry point runs. On CPU it
takes the math kernel: correct but slow (9-36x ``sdpa_loop``'s time on 2 threads,
see ``benchmarks/attention_cpu.md``), so ``auto`` never picks it there.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .capability import Capability


def sdpa_nested_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    cu_seqlens: torch.Tensor,
    max_seqlen: int,
    *,
    dropout_p: float = 0.0,
    scale: float | None = None,
) -> torch.Tensor:
    """Block-diagonal attention through ``(B, heads, j, head_dim)`` jagged nested tensors.

    ``q, k, v: (N, heads, head_dim)``; ``cu_seqlens: (B+1,)``. Returns ``(N, heads, head_dim)``.
    ``max_seqlen`` is handed to the nested tensors so SDPA need not read lengths
    back from the device.
    """
    # One offsets tensor for q, k and v: the three then share a ragged dimension.
    offsets = cu_seqlens.to(torch.int64)

    def nest(x: torch.Tensor) -> torch.Tensor:
        # SDPA on jagged tensors wants contiguous values (its math kernel refuses anything else),
        # but the model hands over strided views of one fused qkv projection (``qkv.unbind(1)``).
        # ``contiguous()`` copies only those views; already-contiguous inputs pass through.
        nested = torch.nested.nested_tensor_from_jagged(x.contiguous(), offsets, max_seqlen=max_seqlen)  # (B, j, H, D)
        return nested.transpose(1, 2)  # (B, H, j, D)

    out = F.scaled_dot_product_attention(nest(q), nest(k), nest(v), dropout_p=dropout_p, scale=scale)
    return out.transpose(1, 2).values()  # (N, H, D)


def check(device: torch.device, dtype: torch.dtype, requires_grad: bool, dropout: bool) -> Capability:
    """Jagged nested tensors and SDPA on them exist on every device (torch >= 2.5)."""
    return True, ""
