"""The backends by name, and the order ``auto`` tries them in on each kind of device."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from . import flash_varlen, flex, reference, sdpa_loop, sdpa_nested, xformers_fmha
from .capability import Capability

AttentionFn = Callable[..., torch.Tensor]  # (q, k, v, cu_seqlens, max_seqlen, *, dropout_p, scale[, key_bias][, host_seqlens])
CheckFn = Callable[[torch.device, torch.dtype, bool, bool], Capability]  # (device, dtype, requires_grad, dropout)


@dataclass(frozen=True)
class Backend:
    """One way to compute block-diagonal attention, plus the test of whether it can run."""

    name: str
    fn: AttentionFn  # q, k, v: (N, heads, head_dim) -> (N, heads, head_dim)
    check: CheckFn  # -> (ok, reason it cannot run)
    key_bias: bool = False  # takes key_bias (N,): an additive logit per key (ToMe's proportional attention)
    host_seqlens: bool = False  # loops over sequences and takes their lengths from the host (no device sync)

    def __call__(self, *args, **kwargs) -> torch.Tensor:
        return self.fn(*args, **kwargs)


BACKENDS: dict[str, Backend] = {
    b.name: b
    for b in (
        Backend("math", reference.math_attention, reference.check, key_bias=True, host_seqlens=True),
        Backend("sdpa_loop", sdpa_loop.sdpa_loop_attention, sdpa_loop.check, key_bias=True, host_seqlens=True),
        Backend("sdpa_nested", sdpa_nested.sdpa_nested_attention, sdpa_nested.check),
        Backend("flex", flex.flex_packed_attention, flex.check, key_bias=True),
        Backend("flash_varlen", flash_varlen.flash_varlen_attention, flash_varlen.check),
        Backend("xformers", xformers_fmha.xformers_attention, xformers_fmha.check),
    )
}

# Fastest first; `auto` takes the first backend whose check passes, and `math`
# always passes. Measured on CPU (benchmarks/attention_cpu.md: 8 clips of ~800
# tokens, ViT-B widths, fp32, 2 threads, three invocations of 5 rounds on a
# shared machine): sdpa_loop is fastest forward (0.13-0.17 s) and forward+backward
# (0.44-0.58 s); math takes 1.5-1.9x its time, sdpa_nested (math kernel on CPU)
# 9-36x. Grad mode does not change the CPU order. (A padded SDPA with a key
# mask, not a backend, takes 1.3-1.5x, forward and forward+backward.)
# CUDA is NOT measured here (no GPU in this session): the order follows the facts
# stated in issue 3, flash_varlen ahead of sdpa_nested / flex. xformers' block-
# diagonal path runs the same class of varlen kernels, so it sits right after
# flash_varlen; sdpa_nested needs no compile, so it goes ahead of flex.
AUTO_ORDER: dict[str, tuple[str, ...]] = {
    "cpu": ("sdpa_loop", "math", "sdpa_nested"),
    "cuda": ("flash_varlen", "xformers", "sdpa_nested", "flex", "sdpa_loop", "math"),
}
DEFAULT_ORDER = ("sdpa_loop", "math")  # other accelerators (mps, xpu, ...): SDPA, then the reference


def auto_order(device_type: str) -> tuple[str, ...]:
    """Backend names ``auto`` tries on ``device_type``, fastest first."""
    return AUTO_ORDER.get(device_type, DEFAULT_ORDER)
