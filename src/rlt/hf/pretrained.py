"""Loading a model saved after ``rlt.patch``: HF's ``from_pretrained``, then the patch and its length table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torch import nn

from .embed import LENGTH_TABLE
from .patch import _videomae_classes, patch


def from_pretrained(
    path: str | Path, *, model_class: type | None = None, hf_kwargs: dict[str, Any] | None = None, **patch_options: Any
) -> nn.Module:
    """``model_class.from_pretrained(path, **hf_kwargs)`` patched with ``patch_options``.

    ``model_class`` defaults to ``VideoMAEForVideoClassification``. A run-length table
    saved by a patched model (``rlt_length_embeddings``, which plain HF skips as an
    unexpected key) is found in the local folder ``path``, loaded, and turns
    ``length_embed`` on. A hub name cannot be searched for it: then an error
    says to download the folder first, rather than dropping the trained table.
    """
    model_class = model_class or _videomae_classes()[1]
    model, info = model_class.from_pretrained(path, output_loading_info=True, **(hf_kwargs or {}))
    table_keys = [k for k in info.get("unexpected_keys", []) if k.endswith(LENGTH_TABLE)]
    if not table_keys:
        return patch(model, **patch_options)
    if not Path(path).is_dir():
        raise ValueError(
            f"{path} holds a run-length table ({table_keys[0]}) that can only be read from a local folder; "
            "download it (huggingface_hub.snapshot_download) and pass the folder"
        )
    from rlt.models.checkpoint_files import read_checkpoint

    table = read_checkpoint(path).state_dict[table_keys[0]]
    if patch_options.get("length_embed") is False:
        raise ValueError(f"{path} holds a trained run-length table; drop length_embed=False to use it")
    patch(model, **{**patch_options, "length_embed": True})
    base = model.videomae if hasattr(model, "videomae") else model
    param = getattr(base.embeddings, LENGTH_TABLE)
    if param.shape != table.shape:
        raise ValueError(
            f"run-length table in {path} has shape {tuple(table.shape)}, the model needs {tuple(param.shape)}"
        )
    param.data.copy_(table)
    return model
