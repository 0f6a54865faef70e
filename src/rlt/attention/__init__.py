"""Block-diagonal attention over packed sequences: one dispatch, several backends."""

from .dispatch import BACKENDS, packed_attention
from .reference import math_attention

__all__ = ["BACKENDS", "packed_attention", "math_attention"]
