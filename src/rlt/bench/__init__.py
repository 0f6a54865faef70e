"""Throughput and FLOP accounting: how much faster RLT makes a model, against the FLOPs ideal."""

from .flops import flops, ideal_speedup
from .throughput import compare_dense_rlt

__all__ = ["flops", "ideal_speedup", "compare_dense_rlt"]
