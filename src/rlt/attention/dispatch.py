"""The one attention entry point for packed sequences; picks a backend by name or availability."""

from __future__ import annotations

import os
import warnings

import torch

from .registry import BACKENDS, auto_order

ENV_VAR = "RLT_ATTENTION"


class BackendUnavailableError(RuntimeError):
    """A backend was forced (argument or ``RLT_ATTENTION``) but cannot run on these inputs."""


def available_backends(
    device: torch.device | str, dtype: torch.dtype, requires_grad: bool, *, dropout: bool = False,
    key_bias: bool = False,
) -> list[str]:
    """Names of the backends that can run on this device, dtype and grad mode (and key bias, if asked).

    Those ``auto`` considers come first, fastest first; the rest follow in
    registry order. Example on a CPU machine: ``["sdpa_loop", "math", "sdpa_nested"]``.
    """
    device = torch.device(device)
    names = list(auto_order(device.type)) + [n for n in BACKENDS if n not in auto_order(device.type)]
    return [n for n in names if _can_run(n, device, dtype, requires_grad, dropout, key_bias)]


def _can_run(name: str, device: torch.device, dtype: torch.dtype, requires_grad: bool, dropout: bool,
             key_bias: bool) -> bool:
    backend = BACKENDS[name]
    return (backend.key_bias or not key_bias) and backend.check(device, dtype, requires_grad, dropout)[0]


_warned_fallbacks: set[tuple[str, str]] = set()


def select_backend(
    device: torch.device | str,
    dtype: torch.dtype,
    requires_grad: bool,
    *,
    dropout: bool = False,
    backend: str = "auto",
    key_bias: bool = False,
) -> str:
    """The backend :func:`packed_attention` would run for inputs like these.

    ``backend`` other than ``"auto"`` forces that backend; with ``"auto"`` the
    ``RLT_ATTENTION`` environment variable, when set, forces one instead; otherwise
    the first available name in the device's fastest-first order is returned.
    Raises ``ValueError`` for an unknown name and :class:`BackendUnavailableError`,
    with the reason, for a forced backend that cannot run.

    With ``key_bias`` (ToMe's proportional attention after a merge) only backends
    that take a per-key bias qualify (math, sdpa_loop, flex). The rule for a forced
    backend that takes none (flash_varlen, xformers, sdpa_nested): the call runs on
    the first bias-capable backend in ``auto``'s order instead, with a warning
    naming both, once per pair. Blocks before the first merge carry no bias and
    keep the forced backend.
    """
    device = torch.device(device)
    source = "backend argument"
    if backend == "auto":
        backend = os.environ.get(ENV_VAR, "").strip() or "auto"
        source = ENV_VAR
    if backend == "auto":
        for name in auto_order(device.type):
            if _can_run(name, device, dtype, requires_grad, dropout, key_bias):
                return name
        raise BackendUnavailableError(f"no attention backend can run on {device}, {dtype}")
    if backend not in BACKENDS:
        raise ValueError(
            f"unknown attention backend {backend!r} (from {source}); expected 'auto' or one of {', '.join(BACKENDS)}"
        )
    ok, reason = BACKENDS[backend].check(device, dtype, requires_grad, dropout)
    if not ok:
        raise BackendUnavailableError(f"attention backend {backend!r} (from {source}) cannot run: {reason}")
    if key_bias and not BACKENDS[backend].key_bias:
        candidates = [n for n in auto_order(device.type) if _can_run(n, device, dtype, requires_grad, dropout, True)]
        if not candidates:
            raise BackendUnavailableError(f"no attention backend takes a key bias on {device}, {dtype}")
        fallback = candidates[0]
        if (backend, fallback) not in _warned_fallbacks:
            _warned_fallbacks.add((backend, fallback))
            warnings.warn(
                f"attention backend {backend!r} (from {source}) takes no per-key bias (proportional attention "
                f"after token merging); running {fallback!r} for those calls",
                stacklevel=3,
            )
        return fallback
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
    key_bias: torch.Tensor | None = None,
    host_seqlens: tuple[int, ...] | None = None,
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

    ``key_bias (N,)``, when given, is added to every query's logit for that key
    (ToMe's proportional attention: ``log`` of each merged token's size); see
    :func:`select_backend` for which backends take it. ``host_seqlens``, the
    sequence lengths already on the host (``rlt.ops.Segments.host_seqlens``),
    spares the backends that loop over sequences a device sync per call.

    Example: ``cu_seqlens = [0, 2, 3]`` packs a 2-token and a 1-token clip; the
    third row's output is its own ``v`` row, whatever rows 0-1 hold.
    """
    _check_inputs(q, k, v, cu_seqlens, max_seqlen, dropout_p)
    if key_bias is not None and key_bias.shape != q.shape[:1]:
        raise ValueError(f"key_bias must have shape ({q.shape[0]},), got {tuple(key_bias.shape)}")
    requires_grad = torch.is_grad_enabled() and (q.requires_grad or k.requires_grad or v.requires_grad)
    name = select_backend(
        q.device, q.dtype, requires_grad, dropout=dropout_p > 0.0, backend=backend, key_bias=key_bias is not None
    )
    if q.shape[0] == 0:  # nothing to attend; some kernels reject empty inputs
        return q.clone()  # (0, H, D), still on q's autograd graph
    chosen = BACKENDS[name]
    extra = {}
    if key_bias is not None:
        extra["key_bias"] = key_bias
    if host_seqlens is not None and chosen.host_seqlens:
        extra["host_seqlens"] = tuple(host_seqlens)
    return chosen(q, k, v, cu_seqlens, max_seqlen, dropout_p=dropout_p, scale=scale, **extra)
