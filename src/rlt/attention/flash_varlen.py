"""flash-attn's varlen kernel: the packed format is exactly what it takes (CUDA, fp16/bf16)."""

from __future__ import annotations

import torch

from .capability import Capability, dtype_name, installed, requirements

HALF_DTYPES = (torch.float16, torch.bfloat16)


def _flash_attn_installed() -> bool:
    """Capability flag: whether the flash-attn package can be imported (patched in tests)."""
    return installed("flash_attn")


def flash_varlen_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    cu_seqlens: torch.Tensor,
    max_seqlen: int,
    *,
    dropout_p: float = 0.0,
    scale: float | None = None,
) -> torch.Tensor:
    """Block-diagonal attention with ``flash_attn.flash_attn_varlen_func``.

    ``q, k, v: (N, heads, head_dim)`` fp16/bf16 on CUDA; ``cu_seqlens: (B+1,)``
    (converted to int32 if needed). Returns ``(N, heads, head_dim)``.
    """
    from flash_attn import flash_attn_varlen_func

    cu = cu_seqlens.to(torch.int32)
    return flash_attn_varlen_func(
        q, k, v, cu, cu, max_seqlen, max_seqlen, dropout_p=dropout_p, softmax_scale=scale, causal=False
    )


def check(device: torch.device, dtype: torch.dtype, requires_grad: bool, dropout: bool) -> Capability:
    """Needs the flash-attn package, a CUDA device and half-precision inputs."""
    unmet = []
    if not _flash_attn_installed():
        unmet.append(("the flash-attn package (pip install flash-attn)", "flash-attn not installed"))
    if device.type != "cuda":
        unmet.append(("a CUDA device", device.type))
    if dtype not in HALF_DTYPES:
        unmet.append(("float16 or bfloat16 inputs", dtype_name(dtype)))
    return requirements("flash_varlen", unmet)
