"""Block-diagonal attention over packed sequences: one dispatch, several backends.

``packed_attention(q, k, v, cu_seqlens, max_seqlen)`` on ``(N, heads, head_dim)``
tensors; the backend is picked by availability and speed, forced per call or
with ``RLT_ATTENTION=<name>``. Backends: ``math`` (reference), ``sdpa_loop``,
``sdpa_nested``, ``flex``, ``flash_varlen``, ``xformers``.
"""

from .dispatch import BackendUnavailableError, available_backends, packed_attention, select_backend
from .reference import math_attention
from .registry import AUTO_ORDER, BACKENDS, Backend

__all__ = [
    "AUTO_ORDER",
    "BACKENDS",
    "Backend",
    "BackendUnavailableError",
    "available_backends",
    "math_attention",
    "packed_attention",
    "select_backend",
]
