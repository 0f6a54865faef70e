"""Reading checkpoint files: HF folders, safetensors, ``.bin`` / ``.pth`` pickles; unwrapping."""

from __future__ import annotations

import argparse
import json
import pickle
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

# Folder layouts, in the order they are tried (what save_pretrained writes).
_FOLDER_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)
# Keys that training scripts wrap the weights in, most specific first.
_WRAPPERS = ("model", "module", "state_dict")


@dataclass
class RawCheckpoint:
    """Tensors exactly as stored (after unwrapping), plus the HF ``config.json`` if there is one."""

    path: str  # the file or folder that was read
    state_dict: dict[str, torch.Tensor]  # name -> tensor, names as in the file
    hf_config: dict[str, Any] | None  # parsed config.json of a VideoMAE folder, else None


def read_checkpoint(path: str | Path, *, trust_pickle: bool = False) -> RawCheckpoint:
    """Read a checkpoint from a HF VideoMAE folder or a single file.

    A folder holds ``config.json`` and ``model.safetensors`` or ``pytorch_model.bin``
    (or their sharded ``*.index.json``). A file is ``.safetensors`` or a
    ``torch.save`` pickle (``.bin``, ``.pth``, ``.pt``); a ``config.json`` beside it
    is used when it describes a VideoMAE model. Pickles load with
    ``weights_only=True`` unless ``trust_pickle`` (only for files you trust).
    """
    path = Path(path)
    if path.is_dir():
        config = _read_hf_config(path / "config.json")
        for name in _FOLDER_FILES:
            if (path / name).is_file():
                return RawCheckpoint(str(path), _read_weights(path / name, trust_pickle), config)
        contents = sorted(p.name for p in path.iterdir())
        raise FileNotFoundError(f"{path} has none of {', '.join(_FOLDER_FILES)}; it holds {contents}")
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    config = _read_hf_config(path.parent / "config.json")
    return RawCheckpoint(str(path), _read_weights(path, trust_pickle), config)


def _read_hf_config(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    with open(path) as f:
        config = json.load(f)
    return config if config.get("model_type") == "videomae" else None


def _read_weights(path: Path, trust_pickle: bool) -> dict[str, torch.Tensor]:
    if path.name.endswith(".index.json"):
        with open(path) as f:
            shards = sorted(set(json.load(f)["weight_map"].values()))
        merged: dict[str, torch.Tensor] = {}
        for shard in shards:
            merged.update(_read_weights(path.parent / shard, trust_pickle))
        return merged
    if path.suffix == ".safetensors":
        try:
            from safetensors.torch import load_file
        except ImportError as err:
            raise ImportError(
                f"reading {path} needs the safetensors package: pip install safetensors (or rlt-video[all])"
            ) from err
        return load_file(str(path))
    return unwrap_state_dict(_load_pickle(path, trust_pickle), str(path))


def _load_pickle(path: Path, trust_pickle: bool) -> Any:
    if trust_pickle:
        return torch.load(path, map_location="cpu", weights_only=False)
    try:
        # Training scripts (VideoMAE's included) often store their argparse namespace beside the weights.
        with torch.serialization.safe_globals([argparse.Namespace]):
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        reason = str(err).strip().splitlines()[0]
        raise ValueError(
            f"{path} holds objects other than tensors and cannot be read with weights_only=True ({reason}); "
            "if you trust the file, pass trust_pickle=True"
        ) from err


def unwrap_state_dict(obj: Any, source: str = "checkpoint") -> dict[str, torch.Tensor]:
    """Find the weights inside ``{"model": ...}`` / ``{"module": ...}`` / ``{"state_dict": ...}`` wrappers.

    Example: ``{"epoch": 3, "model": {"head.weight": t}}`` -> ``{"head.weight": t}``.
    Raises ``ValueError`` naming the first entry that is not a tensor.
    """
    while isinstance(obj, Mapping):
        inner = next((obj[k] for k in _WRAPPERS if isinstance(obj.get(k), Mapping)), None)
        if inner is None:
            break
        obj = inner
    if not isinstance(obj, Mapping):
        raise ValueError(f"{source} does not contain a state dict (found {type(obj).__name__})")
    for key, value in obj.items():
        if not isinstance(value, torch.Tensor):
            raise ValueError(
                f"{source}: entry {key!r} is a {type(value).__name__}, not a tensor; "
                f"expected a state dict, optionally wrapped in one of {_WRAPPERS}"
            )
    return dict(obj)
