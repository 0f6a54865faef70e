"""Training and evaluation recipe on Lightning (``rlt train`` / ``rlt eval``); see docs/train.md.

Pure pieces (schedule, layer decay, multi-view averaging, samplers, config
parsing) import without Lightning; :func:`train` and :func:`evaluate` need the
``train`` extra (``pip install rlt-video[train]``).
"""

from .config import (
    AugmentSection, DataSection, EvalSection, ModelSection, OptimSection, ReducerSpec, RunConfig, TrainerSection,
    TrainSection,
)
from .config_io import ConfigError, load_config, parse_overrides, save_config, to_dict
from .layer_decay import layer_id, param_groups
from .multiview import average_views, topk_correct
from .sampler import ShardBatchSampler, TrainBatchSampler, epoch_permutation, rank_share
from .schedule import WarmupCosine, warmup_cosine


def train(config: RunConfig) -> dict:
    """Fit with Lightning; see :func:`rlt.train.run.train`."""
    from .run import train as _train

    return _train(config)


def evaluate(config: RunConfig, json_path=None) -> dict:
    """Multi-view evaluation; see :func:`rlt.train.run.evaluate`."""
    from .run import evaluate as _evaluate

    return _evaluate(config, json_path)


__all__ = [
    "AugmentSection", "ConfigError", "DataSection", "EvalSection", "ModelSection", "OptimSection", "ReducerSpec",
    "RunConfig", "ShardBatchSampler", "TrainBatchSampler", "TrainSection", "TrainerSection", "WarmupCosine",
    "average_views", "epoch_permutation", "evaluate", "layer_id", "load_config", "param_groups", "parse_overrides",
    "rank_share", "save_config", "to_dict", "topk_correct", "train", "warmup_cosine",
]
