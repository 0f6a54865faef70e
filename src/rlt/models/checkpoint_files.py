"""Reading checkpoint files: HF folders, safetensors, ``.bin`` / ``.pth`` pickles; unwrapping."""

from __future__ import annotations

import argparse
import json
import pickle
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from .checkpoint_integrity import describe_kind, file_kind, safetensors_problem, zip_problem

# Folder layouts, in the order they are tried (what save_pretrained writes).
_FOLDER_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)
# Keys that training scripts wrap the weights in, most specific first.
_WRAPPERS = ("model", "module", "state_dict")


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; the message reads ``checkpoint <path> <reason>``.

    Raised for a missing, empty, text, truncated or corrupted file, a folder
    without weights or with a foreign ``config.json``, and a config that
    contradicts the weights, each with a one-line reason. ``CheckpointError(report)``
    with a :class:`~rlt.models.LoadReport` is a strict load that does not match the
    model: ``report`` lists every missing, unexpected and mismatched tensor.
    """

    def __init__(self, path: Any, reason: str | None = None, report: Any = None) -> None:
        if reason is None and hasattr(path, "describe"):  # CheckpointError(report)
            report, path = path, path.path
            reason = (
                f"({report.format} layout) does not match the model:\n{report.describe()}\n"
                "pass strict=False to load the matching tensors and skip (and log) the rest"
            )
        self.path = str(path)  # the file or folder at fault
        self.reason = str(reason)  # why, as a verb phrase without the path ("is empty (0 bytes)")
        self.report = report  # LoadReport of a strict load that did not match, else None
        super().__init__(f"checkpoint {self.path} {self.reason}")

    def __reduce__(self) -> tuple[Any, ...]:  # picklable across worker processes
        return type(self), (self.path, self.reason, self.report)


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

    Every file is verified before it is read (zip CRCs of ``torch.save`` files,
    safetensors header and sizes; see :mod:`rlt.models.checkpoint_integrity`).
    Raises :class:`CheckpointError` naming the file for anything that is not a
    sound checkpoint: missing, empty, text, truncated, corrupted, unreadable.
    """
    path = Path(path)
    if path.is_dir():
        config = _read_hf_config(path / "config.json", folder=True)
        for name in _FOLDER_FILES:
            if (path / name).is_file():
                return RawCheckpoint(str(path), _read_weights(path / name, trust_pickle), config)
        contents = sorted(p.name for p in path.iterdir())
        raise CheckpointError(path, f"has none of {', '.join(_FOLDER_FILES)}; the folder holds {contents}")
    if not path.exists():
        what = "is a broken symbolic link" if path.is_symlink() else "does not exist"
        raise CheckpointError(path, what)
    if not path.is_file():
        raise CheckpointError(path, "is not a regular file or folder")
    config = _read_hf_config(path.parent / "config.json", folder=False)
    return RawCheckpoint(str(path), _read_weights(path, trust_pickle), config)


def _read_hf_config(path: Path, *, folder: bool) -> dict[str, Any] | None:
    """A VideoMAE ``config.json``, or ``None`` when there is none.

    In a folder a config of another model type is an error (the weights belong to
    that model); beside a single file it is ignored (it may describe something else).
    """
    if not path.is_file():
        return None
    try:
        with open(path, encoding="utf-8") as f:
            config = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CheckpointError(path, f"cannot be read as JSON ({err})") from err
    if not isinstance(config, dict):
        raise CheckpointError(path, f"holds a JSON {type(config).__name__}, not a config object")
    model_type = config.get("model_type")
    if model_type == "videomae":
        return config
    if folder:
        raise CheckpointError(
            path.parent,
            f"holds a config.json of model_type {model_type!r}, not 'videomae'; only VideoMAE folders can be loaded",
        )
    return None


def _read_weights(path: Path, trust_pickle: bool) -> dict[str, torch.Tensor]:
    if path.name.endswith(".index.json"):
        return _read_shards(path, trust_pickle)
    try:
        with open(path, "rb") as f:
            head = f.read(512)
        size = path.stat().st_size
    except OSError as err:
        raise CheckpointError(path, f"cannot be read ({err.strerror or err})") from err
    if path.suffix == ".safetensors":
        return _read_safetensors(path)
    kind = file_kind(head, size)
    if kind not in ("zip", "pickle"):
        raise CheckpointError(path, describe_kind(kind, head))
    problem = zip_problem(path) if kind == "zip" else None
    if problem:
        raise CheckpointError(path, problem)
    state, problem = _unwrap(_load_pickle(path, trust_pickle))
    if problem:
        raise CheckpointError(path, problem)
    return state


def _read_shards(path: Path, trust_pickle: bool) -> dict[str, torch.Tensor]:
    try:
        with open(path, encoding="utf-8") as f:
            shards = sorted(set(json.load(f)["weight_map"].values()))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, AttributeError) as err:
        raise CheckpointError(path, f"is not a shard index with a 'weight_map' ({type(err).__name__}: {err})") from err
    merged: dict[str, torch.Tensor] = {}
    for shard in shards:
        if not (path.parent / shard).is_file():
            raise CheckpointError(path, f"lists shard {shard!r}, which is missing")
        merged.update(_read_weights(path.parent / shard, trust_pickle))
    return merged


def _read_safetensors(path: Path) -> dict[str, torch.Tensor]:
    try:
        from safetensors import SafetensorError
        from safetensors.torch import load_file
    except ImportError as err:
        raise ImportError(
            f"reading {path} needs the safetensors package: pip install safetensors (or rlt-video[all])"
        ) from err
    problem = safetensors_problem(path)
    if problem:
        raise CheckpointError(path, problem)
    try:
        return load_file(str(path))
    except SafetensorError as err:
        raise CheckpointError(path, f"is not a valid safetensors file ({err})") from err


def _load_pickle(path: Path, trust_pickle: bool) -> Any:
    try:
        if trust_pickle:
            return torch.load(path, map_location="cpu", weights_only=False)
        # Training scripts (VideoMAE's included) often store their argparse namespace beside the weights.
        with torch.serialization.safe_globals([argparse.Namespace]):
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        reason = str(err).strip().splitlines()[0]
        if not trust_pickle and reason.startswith("Weights only load failed"):
            detail = _weights_only_detail(str(err))
            raise CheckpointError(
                path,
                f"holds objects other than tensors ({detail}) and cannot be read with weights_only=True; "
                "if you trust the file, pass trust_pickle=True",
            ) from err
        raise CheckpointError(path, f"is corrupted: its pickle cannot be read ({reason})") from err
    except (EOFError, RuntimeError, KeyError, IndexError, TypeError, ValueError, AttributeError, ImportError,
            struct.error) as err:
        # A legacy pickle cut short (no checksum to catch it earlier), or a zip whose records disagree.
        reason = f"is truncated or corrupted: {type(err).__name__}: {err or 'unexpected end'}"
        raise CheckpointError(path, reason) from err


def _weights_only_detail(message: str) -> str:
    """The line of torch's weights_only error that names the refused global, if there is one."""
    for line in message.splitlines():
        line = line.strip()
        if line.startswith("WeightsUnpickler error:"):
            return line.removeprefix("WeightsUnpickler error:").strip()
    return "a non-tensor object"


def unwrap_state_dict(obj: Any, source: str = "checkpoint") -> dict[str, torch.Tensor]:
    """Find the weights inside ``{"model": ...}`` / ``{"module": ...}`` / ``{"state_dict": ...}`` wrappers.

    Example: ``{"epoch": 3, "model": {"head.weight": t}}`` -> ``{"head.weight": t}``.
    Raises ``ValueError`` naming ``source`` and the first entry that is not a tensor.
    """
    state, problem = _unwrap(obj)
    if problem:
        raise ValueError(f"{source}: {problem}")
    return state


def _unwrap(obj: Any) -> tuple[dict[str, torch.Tensor], str | None]:
    """``(state dict, None)``, or ``({}, why obj holds none)``."""
    while isinstance(obj, Mapping):
        inner = next((obj[k] for k in _WRAPPERS if isinstance(obj.get(k), Mapping)), None)
        if inner is None:
            break
        obj = inner
    if not isinstance(obj, Mapping):
        return {}, f"does not contain a state dict (found {type(obj).__name__})"
    for key, value in obj.items():
        if not isinstance(value, torch.Tensor):
            return {}, (
                f"entry {key!r} is a {type(value).__name__}, not a tensor; "
                f"expected a state dict, optionally wrapped in one of {_WRAPPERS}"
            )
    return dict(obj), None
