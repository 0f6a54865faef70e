"""Reproducible experiments: a generated labelled video dataset and the fidelity runner.

``rlt.experiments.synth`` writes clips whose class is a motion pattern (see
docs/experiments.md); the module needs PyAV and scikit-image (extra ``experiments``).
"""

from .motion import CLASS_NAMES
from .synth_config import SCALES, SPLITS, SynthConfig, preset

__all__ = ["CLASS_NAMES", "SCALES", "SPLITS", "SynthConfig", "preset"]
