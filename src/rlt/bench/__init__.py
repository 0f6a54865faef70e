"""Throughput and FLOP accounting: every reducer on the same model and clips, against the FLOP ideal.

``run_bench`` times the steps (``rlt bench``); ``layer_flops`` / ``flops`` count
FLOPs per clip; ``paired`` gives the per-repeat paired ratios headlines are read from.
"""

from .clips import ClipSet, load_clips, synthetic_clips
from .config import DEFAULT_REDUCERS, BenchConfig
from .flops import clip_flops, flops, ideal_speedup, layer_flops
from .job import BenchInputError, BenchJob, run_job
from .machine import command_line, machine_stamp
from .pairing import Spread, paired, spread
from .reducer_api import available as available_reducers
from .runner import run_bench

__all__ = [
    "BenchConfig",
    "DEFAULT_REDUCERS",
    "BenchInputError",
    "BenchJob",
    "ClipSet",
    "Spread",
    "available_reducers",
    "clip_flops",
    "command_line",
    "flops",
    "ideal_speedup",
    "layer_flops",
    "load_clips",
    "machine_stamp",
    "paired",
    "run_bench",
    "run_job",
    "spread",
    "synthetic_clips",
]
