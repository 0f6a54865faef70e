"""The forwards ``rlt.patch`` puts on HF ``VideoMAEModel`` and ``VideoMAEForVideoClassification``.

Same arguments and output classes as HF's (see :mod:`rlt.hf.outputs` for the packed
hidden states). ``root`` is the patched model holding the settings ``root.rlt``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from rlt.models.pooling import pool_packed
from rlt.ops import PackedBatch

from .embed import embed_packed
from .layer import packed_layer
from .outputs import PackedClassifierOutput, PackedModelOutput
from .plan import pack_clips
from .settings import RLTSettings


def _settings(root: nn.Module) -> RLTSettings:
    settings = root.__dict__.get("rlt")
    if not isinstance(settings, RLTSettings):
        raise RuntimeError(
            f"model.rlt is {settings!r}, not the RLTSettings rlt.patch set; change its fields instead of replacing "
            "it, or call rlt.unpatch(model)"
        )
    return settings


def _flags(config: Any, output_attentions: bool | None, output_hidden_states: bool | None) -> bool:
    """Resolve HF's output flags against the config; returns whether hidden states are wanted."""
    if output_attentions is None:
        output_attentions = getattr(config, "output_attentions", False)
    if output_attentions:
        raise ValueError(
            "output_attentions=True is not supported by rlt.patch: packed attention never forms the attention "
            "matrix. Call rlt.unpatch(model) to get HF's dense attention weights"
        )
    if output_hidden_states is None:
        output_hidden_states = getattr(config, "output_hidden_states", False)
    if not isinstance(output_hidden_states, bool):
        raise ValueError(
            f"output_hidden_states={output_hidden_states!r}: rlt.patch supports True or False (all or no layers)"
        )
    return output_hidden_states


def _check_pixels(config: Any, pixel_values: torch.Tensor) -> torch.Tensor:
    """``(B, T, C, H, W)`` -> the normalised clip ``(B, C, T, H, W)`` the reducers take (a view)."""
    if not isinstance(pixel_values, torch.Tensor) or pixel_values.dim() != 5:
        shape = tuple(pixel_values.shape) if isinstance(pixel_values, torch.Tensor) else type(pixel_values).__name__
        raise ValueError(f"pixel_values must be (batch, frames, channels, height, width), got {shape}")
    _, _, c, h, w = pixel_values.shape
    size = config.image_size if isinstance(config.image_size, (list, tuple)) else (config.image_size,) * 2
    if c != config.num_channels:
        raise ValueError(f"pixel_values have {c} channels, the model expects config.num_channels={config.num_channels}")
    if (h, w) != tuple(size):
        raise ValueError(f"input frame size ({h}*{w}) doesn't match the model ({size[0]}*{size[1]})")
    return pixel_values.permute(0, 2, 1, 3, 4)  # (B, C, T, H, W)


def encode(model: nn.Module, settings: RLTSettings, pixel_values: torch.Tensor, want_states: bool) -> tuple:
    """Plan, embed the kept tubelets and run every layer: ``-> (packed plan, final (N, D), states or None)``."""
    config = model.config
    video = _check_pixels(config, pixel_values)
    packed = pack_clips(settings, video, int(config.tubelet_size), int(model.embeddings.patch_embeddings.patch_size[0]))
    h = embed_packed(model.embeddings, packed, length_embed=settings.length_embed)  # (N, D)
    states = [h] if want_states else None
    cu, max_len = packed.cu_seqlens, packed.max_seqlen
    opts = {
        "heads": config.num_attention_heads,
        "dropout_p": config.attention_probs_dropout_prob if model.training else 0.0,
        "backend": settings.attention_backend,
        "host_seqlens": packed.segments.host_seqlens,  # read once per forward, not once per layer
    }
    encoder_flag = getattr(model.encoder, "gradient_checkpointing", False)  # transformers 4.x sets it here
    for layer in model.encoder.layer:
        recompute = getattr(layer, "gradient_checkpointing", False) or encoder_flag
        if recompute and model.training and torch.is_grad_enabled():
            h = checkpoint(lambda x, layer=layer: packed_layer(layer, x, cu, max_len, **opts), h, use_reentrant=False)
        else:
            h = packed_layer(layer, h, cu, max_len, **opts)  # (N, D)
        if states is not None:
            states.append(h)
    if model.layernorm is not None:  # use_mean_pooling=False: HF's final norm before taking token 0
        h = model.layernorm(h)
    return packed, h, states


def videomae_forward(
    model: nn.Module,
    root: nn.Module,
    pixel_values: torch.Tensor,
    bool_masked_pos: torch.Tensor | None = None,
    output_attentions: bool | None = None,
    output_hidden_states: bool | None = None,
    return_dict: bool | None = None,
    **kwargs: Any,
) -> PackedModelOutput | tuple:
    """Patched ``VideoMAEModel.forward``: ``last_hidden_state (1, N, D)`` packed, plus ``packed`` (the plan)."""
    if bool_masked_pos is not None:
        raise ValueError(
            "bool_masked_pos (MAE pre-training masks) is not supported by rlt.patch; the reducer decides which "
            "tokens enter. Call rlt.unpatch(model) for masked pre-training"
        )
    want_states = _flags(model.config, output_attentions, output_hidden_states)
    packed, h, states = encode(model, _settings(root), pixel_values, want_states)
    out = PackedModelOutput(
        last_hidden_state=h[None],
        hidden_states=tuple(s[None] for s in states) if states is not None else None,
        packed=packed.with_tokens(h),
    )
    return out if _return_dict(model.config, return_dict) else out.to_tuple()


def classification_forward(
    model: nn.Module,
    root: nn.Module,
    pixel_values: torch.Tensor | None = None,
    labels: torch.Tensor | None = None,
    output_attentions: bool | None = None,
    output_hidden_states: bool | None = None,
    return_dict: bool | None = None,
    **kwargs: Any,
) -> PackedClassifierOutput | tuple:
    """Patched ``VideoMAEForVideoClassification.forward``: per-clip pooling of the packed tokens, then HF's head."""
    if pixel_values is None:
        raise ValueError("pixel_values (batch, frames, channels, height, width) are required")
    want_states = _flags(model.config, output_attentions, output_hidden_states)
    packed, h, states = encode(model.videomae, _settings(root), pixel_values, want_states)
    features = packed.with_tokens(h)
    logits = model.classifier(_pool(model, features))  # (B, labels)
    loss = model.loss_function(labels, logits, model.config, **kwargs) if labels is not None else None
    out = PackedClassifierOutput(
        loss=loss,
        logits=logits,
        hidden_states=tuple(s[None] for s in states) if states is not None else None,
        packed=features,
    )
    return out if _return_dict(model.config, return_dict) else out.to_tuple()


def _pool(model: nn.Module, features: PackedBatch) -> torch.Tensor:
    """HF's pooling per clip: mean of the clip's tokens then ``fc_norm``, or token 0 without mean pooling."""
    if model.fc_norm is not None:
        return model.fc_norm(pool_packed(features.tokens, features, "mean"))  # (B, D)
    # use_mean_pooling=False reads token (0, 0, 0): fine only if the reducer kept it in every clip.
    if not bool(features.keep.flatten(1)[:, 0].all()):
        raise ValueError(
            "this model pools token 0 (use_mean_pooling=False) but the reducer dropped it in some clip; "
            "use a reducer that keeps the first frame (rlt, none)"
        )
    return pool_packed(features.tokens, features, "first")  # (B, D)


def _return_dict(config: Any, return_dict: bool | None) -> bool:
    if return_dict is not None:
        return return_dict
    if hasattr(config, "return_dict"):
        return bool(config.return_dict)
    return bool(getattr(config, "use_return_dict", True))  # transformers 4.x
