"""The one attention entry point for packed sequences; picks a backend by name or availability."""

from __future__ import annotations

import os

import torch

from .registry import BACKENDS, auto_order

ENV_VAR = "RLT_ATTENTION"


class BackendUnavailableError(RuntimeError):
    """A backend was forced (argument or ``RLT_ATTENTION``) but cannot run on these inputs."""


def available_backends(
    device: torch.device | str, dtype: torch.dtype, requires_grad: bool, *, dropout: bool = False
) -> list[str]:
    """Names of the backends that can run on this device, dtype and grad mode.

    Those ``auto`` considers come first, fastest first; the rest follow in
    registry order. Example on a CPU machine: ``["sdpa_loop", "math", "sdpa_nested"]``.
    """
    device = torch.device(device)
    names = list(auto_order(device.type)) + [n for n in BACKENDS if n not in auto_order(device.type)]
    return [n for n in names if BACKENDS[n].check(device, dtype, requires_grad, dropout)[0]]


def select_backend(
    device: torch.device | str,
    dtype: torch.dtype,
    requires_grad: bool,
    *,
    dropout: bool = False,
    backend: str = "auto",
) -> str:
    """The backend :func:`packed_attention` would run for inputs like these.

    ``backend`` other than ``"auto"`` forces that backend; with ``"auto"`` the
    ``RLT_ATTENTION`` environment variable, when set, forces one instead; otherwise
    the first available name in the device's fastest-first order is returned.
    Raises ``ValueError`` for an unknown name and :class:`BackendUnavailableError`,
    with the reason, for a forced backend that cannot run.
    """
    device = torch.device(device)
    source = "backend argument"
    if backend == "auto":
        backend = os.environ.get(ENV_VAR, "").strip() or "auto"
        source = ENV_VAR
    if backend == "auto":
        for name in auto_order(device.type):
            if BACKENDS[name].check(device, dtype, requires_grad, dropout)[0]:
                return name
        raise BackendUnavailableError(f"no attention backend can run on {device}, {dtype}")
    if backend not in BACKENDS:
        raise ValueError(
            f"unknown attention backend {backend!r} (from {source}); expected 'auto' or one of {', '.join(BACKENDS)}"
        )
    ok, reason = BACKENDS[backend].check(device, dtype, requires_grad, dropout)
    if not ok:
        raise BackendUnavailableError(f"attention backend {backend!r} (from {source}) cannot run: {reason}")
    return backend


def _check_inputs(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, cu_seqlens: torch.Tensor, max_seqlen: int, dropout_p: float
) -> None:
    """Shape and type checks; value checks on ``cu_seqlens`` only where they cost no device sync."""
    if q.dim() != 3 or k.shape != q.shape or v.shape != q.shape:
        raise ValueError(
            "q, k, v must all have shape (N, heads, head_dim); "
            f"got {tuple(q.shape)}, {tuple(k.shape)}, {tuple(v.shape)}"
        )
    if not (q.device == k.device == v.device == cu_seqlens.device):
        raise ValueError(
            f"q, k, v and cu_seqlens must share a device; got {q.device}, {k.device}, {v.device}, {cu_seqlens.device}"
        )
    if cu_seqlens.dim() != 1 or cu_seqlens.numel() < 1 or cu_seqlens.dtype not in (torch.int32, torch.int64):
        raise ValueError(
            "cu_seqlens must be a 1-D int32/int64 tensor (B+1,); "
            f"got {cu_seqlens.dtype} shape {tuple(cu_seqlens.shape)}"
        )
    if isinstance(max_seqlen, bool) or not isinstance(max_seqlen, int) or max_seqlen < 0:
        raise ValueError(f"max_seqlen must be a non-negative int, got {max_seqlen!r}")
    if not 0.0 <= dropout_p < 1.0:
        raise ValueError(f"dropout_p must be in [0, 1), got {dropout_p!r}")
    if cu_seqlens.device.type == "cpu":
        seqlens = cu_seqlens.diff()
        if int(cu_seqlens[0]) != 0 or int(cu_seqlens[-1]) != q.shape[0] or bool((seqlens < 0).any()):
            raise ValueError(
                f"cu_seqlens must rise from 0 to N={q.shape[0]} without decreasing; got {cu_seqlens.tolist()}"
            )
        if seqlens.numel() and int(seqlens.max()) > max_seqlen:
            raise ValueError(f"max_seqlen={max_seqlen} is below the longest sequence ({int(seqlens.max())})")


def packed_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    cu_seqlens: torch.Tensor,
    max_seqlen: int,
    *,
    backend: str = "auto",
    dropout_p: float = 0.0,
    scale: float | None = None,
) -> torch.Tensor:
    """Block-diagonal attention over a packed batch: no clip attends to another.

    ``q, k, v: (N, heads, head_dim)``, ``cu_seqlens: (B+1,)`` int32 prefix sums
    (``PackedBatch.cu_seqlens``), ``max_seqlen`` the longest sequence.
    Returns ``(N, heads, head_dim)``: row ``i`` of sequence ``b`` attends to the
    rows ``cu_seqlens[b]:cu_seqlens[b+1]`` only. ``scale`` defaults to
    ``head_dim ** -0.5``. Dropout on the attention weights is applied whenever
    ``dropout_p > 0``: pass 0 outside training.

    ``backend="auto"`` honours ``RLT_ATTENTION`` and otherwise picks the fastest
    backend available for the device, dtype and grad mode (see
    :func:`select_backend`); a name forces that backend. Zero-length sequences
    are allowed.

    Example: ``cu_seqlens = [0, 2, 3]`` packs a 2-token and a 1-token clip; the
    third row's output is its own ``v`` row, whatever rows 0-1 hold.
    """
    _check_inputs(q, k, v, cu_seqlens, max_seqlen, dropout_p)
    requires_grad = torch.is_grad_enabled() and (q.requires_grad or k.requires_grad or v.requires_grad)
    name = select_backend(q.device, q.dtype, requires_grad, dropout=dropout_p > 0.0, backend=backend)
    if q.shape[0] == 0:  # nothing to attend; some kernels reject empty inputs
        return q.clone()  # (0, H, D), still on q's autograd graph
    return BACKENDS[name](q, k, v, cu_seqlens, max_seqlen, dropout_p=dropout_p, scale=scale)
