"""``rlt.patch`` / ``rlt.unpatch``: RLT inside a Hugging Face VideoMAE model, in place.

As ToMe patches timm: the forwards of the modules that must change are swapped
(``VideoMAEModel`` and, for a classifier, ``VideoMAEForVideoClassification``), the
state lives in one attribute, ``model.rlt``, and no parameter is renamed or replaced,
so ``save_pretrained`` writes plain HF weights. The optional run-length table is the
one addition: a new parameter ``[videomae.]embeddings.rlt_length_embeddings``.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import torch
from torch import nn

from rlt.attention import BACKENDS
from rlt.optional import install_hint
from rlt.reducers import option_names

from .embed import LENGTH_TABLE
from .forward import classification_forward, videomae_forward
from .plan import current_reducer
from .settings import RLTSettings

# Submodules each HF VideoMAELayer must have for the packed forward to reproduce it.
_LAYER_PARTS = (
    "layernorm_before", "layernorm_after", "attention.attention.query", "attention.attention.key",
    "attention.attention.value", "attention.output", "intermediate", "output",
)


def _videomae_classes() -> tuple[type, type, type]:
    try:
        from transformers import VideoMAEForPreTraining, VideoMAEForVideoClassification, VideoMAEModel
    except ImportError as err:  # pragma: no cover - the model passed in came from transformers
        raise ImportError(f"rlt.patch needs Hugging Face transformers; install it with `{install_hint('hf')}`") from err
    return VideoMAEModel, VideoMAEForVideoClassification, VideoMAEForPreTraining


def _parts(model: nn.Module) -> tuple[nn.Module, nn.Module | None]:
    """``(VideoMAEModel, classifier or None)``; a clear error for anything else."""
    base_cls, cls_cls, pretrain_cls = _videomae_classes()
    if isinstance(model, cls_cls):
        base, head = model.videomae, model
    elif isinstance(model, base_cls):
        base, head = model, None
    elif isinstance(model, pretrain_cls):
        raise TypeError(
            "rlt.patch does not support VideoMAEForPreTraining (MAE masking plus a decoder); patch a "
            "VideoMAEModel or VideoMAEForVideoClassification"
        )
    else:
        raise TypeError(
            "rlt.patch supports Hugging Face VideoMAEModel and VideoMAEForVideoClassification, "
            f"got {type(model).__module__}.{type(model).__name__}"
        )
    patch_size = base.embeddings.patch_embeddings.patch_size
    if len(set(patch_size)) != 1:
        raise ValueError(f"rlt.patch needs square patches, the model has patch_size={tuple(patch_size)}")
    for i, layer in enumerate(base.encoder.layer):
        for part in _LAYER_PARTS:
            try:
                layer.get_submodule(part)
            except AttributeError as err:
                raise TypeError(
                    f"encoder.layer.{i} has no {part}: this transformers version's VideoMAE layout is not one "
                    "rlt.patch knows (tested with transformers 5.x)"
                ) from err
    return base, head


def is_patched(model: nn.Module) -> bool:
    """True if ``rlt.patch`` was applied to ``model`` (and not undone)."""
    return isinstance(model.__dict__.get("rlt"), RLTSettings)


def patch(
    model: nn.Module,
    tau: float | None = None,
    *,
    reducer: str = "rlt",
    length_embed: bool = False,
    attention_backend: str = "auto",
    **options: Any,
) -> nn.Module:
    """Make a HF ``VideoMAEModel`` / ``VideoMAEForVideoClassification`` run on the tokens a reducer keeps.

    In place; returns ``model``. ``tau`` is RLT's threshold in ImageNet-normalised
    units (None: the reducer's default, 0.1); ``reducer`` names an input reducer of
    ``rlt.reducers`` and ``options`` are its options (``rlt.patch(model, reducer="random",
    keep=0.5)``). ``length_embed=True`` adds a zero-initialised, trainable run-length
    table (pretrained VideoMAE has none). Settings live in ``model.rlt`` and may be
    changed later (``model.rlt.tau = 0.05``); :func:`unpatch` undoes everything.

    The call stays ``model(pixel_values (B, T, C, H, W))``; ``logits`` keep their
    shape and meaning; hidden states come back packed (see :mod:`rlt.hf.outputs`).
    """
    base, head = _parts(model)
    if is_patched(model) or is_patched(base):
        raise ValueError("the model is already patched: change model.rlt's fields, or rlt.unpatch(model) first")
    settings = RLTSettings(reducer, tau, dict(options), bool(length_embed), attention_backend)
    if tau is not None and isinstance(reducer, str) and "tau" not in option_names(reducer):
        raise ValueError(f"reducer {reducer!r} takes no tau; its options are {option_names(reducer) or 'none'}")
    current_reducer(settings)  # a bad name, option or value fails here, not at the first forward
    if attention_backend != "auto" and attention_backend not in BACKENDS:
        names = ", ".join(BACKENDS)
        raise ValueError(f"unknown attention_backend {attention_backend!r}; expected 'auto' or one of {names}")
    if length_embed:
        _add_length_table(base)
    swaps = [("base", base, videomae_forward)] + ([("head", head, classification_forward)] if head is not None else [])
    for key, module, fn in swaps:
        if "forward" in module.__dict__:  # an instance-level forward (e.g. accelerate's hooks): keep it for unpatch
            settings.saved_forwards[key] = module.__dict__["forward"]
        module.forward = partial(fn, module, model)
    model.rlt = settings
    return model


def unpatch(model: nn.Module) -> nn.Module:
    """Undo :func:`patch`: HF's forwards come back and the run-length table (if any) is removed."""
    if not is_patched(model):
        raise ValueError("the model is not patched by rlt.patch")
    base, head = _parts(model)
    settings: RLTSettings = model.__dict__["rlt"]
    for key, module in (("base", base), ("head", head)):
        if module is None:
            continue
        del module.forward
        if key in settings.saved_forwards:
            module.forward = settings.saved_forwards[key]
    if LENGTH_TABLE in base.embeddings._parameters:
        delattr(base.embeddings, LENGTH_TABLE)
    del model.rlt
    return model


def _add_length_table(base: nn.Module) -> None:
    config = base.config
    rows = int(config.num_frames) // int(config.tubelet_size)  # T': the longest run
    proj = base.embeddings.patch_embeddings.projection.weight
    if LENGTH_TABLE not in base.embeddings._parameters:
        # Zero rows: the patched model starts from the pretrained model's outputs.
        table = torch.zeros(rows, config.hidden_size, dtype=proj.dtype, device=proj.device)
        base.embeddings.register_parameter(LENGTH_TABLE, nn.Parameter(table))
