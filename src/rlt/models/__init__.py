"""VideoMAE-compatible video ViT on packed batches, its presets and checkpoint loading.

``create_model("vit-b")`` builds a preset; ``from_pretrained(path)`` builds the model a
HF VideoMAE folder or an original VideoMAE(v2) ``.pth`` describes and loads it;
``load_checkpoint(model, path)`` loads into an existing model, strictly by default.
"""

from .checkpoint_load import CheckpointError, LoadReport, from_pretrained, from_state_dict, load_checkpoint
from .config import ViTConfig
from .length_embed import LengthEmbedding
from .pooling import POOLINGS, pool_packed
from .presets import PRESETS, create_model, preset_config
from .sincos import sinusoid_table
from .vit import VideoViT

__all__ = [
    "CheckpointError", "LoadReport", "from_pretrained", "from_state_dict", "load_checkpoint", "ViTConfig",
    "LengthEmbedding", "POOLINGS", "pool_packed", "PRESETS", "create_model", "preset_config", "sinusoid_table", "VideoViT",
]
