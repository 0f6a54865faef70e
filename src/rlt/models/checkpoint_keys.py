"""Renaming checkpoint tensors to ``VideoViT`` names (the original VideoMAE layout).

Two source layouts:

- ``"hf"``: Hugging Face ``VideoMAEModel`` / ``VideoMAEForVideoClassification``
  (``videomae.encoder.layer.{i}.attention.attention.query.weight`` ...). Separate
  query/key/value are fused into ``qkv``; the query/value biases are stored as
  ``q_bias`` / ``v_bias`` (files written by ``save_pretrained``) or
  ``query.bias`` / ``value.bias`` (an in-memory ``state_dict()``); there is no key bias.
- ``"videomae"``: original VideoMAE / VideoMAEv2 ``.pth`` (``blocks.{i}.attn.qkv.weight``,
  ``q_bias``, ``v_bias``, ``fc_norm``, ``head``), possibly under ``module.``,
  ``model.``, ``encoder.`` or ``backbone.`` prefixes.

Keys that match no rule keep their name, so the loader reports them as unexpected.
"""

from __future__ import annotations

import re

import torch

FORMATS = ("hf", "videomae")

_HF_MARKERS = ("encoder.layer.", "embeddings.patch_embeddings.")
_WRAPPER_PREFIXES = ("module.", "model.")
_VIDEOMAE_PREFIXES = ("module.", "model.", "encoder.", "backbone.")
_HF_LAYER = r"^encoder\.layer\.(\d+)\."
_HF_RULES = [
    (re.compile(r"^embeddings\.patch_embeddings\.projection\."), "patch_embed.proj."),
    (re.compile(r"^embeddings\.position_embeddings$"), "pos_embed"),
    (re.compile(_HF_LAYER + r"layernorm_before\."), r"blocks.\1.norm1."),
    (re.compile(_HF_LAYER + r"layernorm_after\."), r"blocks.\1.norm2."),
    (re.compile(_HF_LAYER + r"attention\.attention\.(?:q_bias|query\.bias)$"), r"blocks.\1.attn.q_bias"),
    (re.compile(_HF_LAYER + r"attention\.attention\.(?:v_bias|value\.bias)$"), r"blocks.\1.attn.v_bias"),
    (re.compile(_HF_LAYER + r"attention\.attention\.key\.bias$"), r"blocks.\1.attn.k_bias"),
    (re.compile(_HF_LAYER + r"attention\.output\.dense\."), r"blocks.\1.attn.proj."),
    (re.compile(_HF_LAYER + r"intermediate\.dense\."), r"blocks.\1.mlp.fc1."),
    (re.compile(_HF_LAYER + r"output\.dense\."), r"blocks.\1.mlp.fc2."),
    (re.compile(r"^layernorm\."), "norm."),
    (re.compile(r"^classifier\."), "head."),
]
_HF_QKV = re.compile(_HF_LAYER + r"attention\.attention\.(query|key|value)\.weight$")


def detect_format(keys: list[str] | tuple[str, ...]) -> str:
    """``"hf"`` if any key has HF VideoMAE's module names, else ``"videomae"``."""
    return "hf" if any(marker in key for key in keys for marker in _HF_MARKERS) else "videomae"


def _strip(key: str, prefixes: tuple[str, ...]) -> str:
    stripped = True
    while stripped:
        stripped = False
        for prefix in prefixes:
            if key.startswith(prefix):
                key, stripped = key[len(prefix) :], True
    return key


def convert_hf(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """HF VideoMAE names -> ``VideoViT`` names, fusing query/key/value into ``qkv``."""
    out: dict[str, torch.Tensor] = {}
    qkv: dict[str, dict[str, torch.Tensor]] = {}
    for key, value in state_dict.items():
        name = _strip(key, _WRAPPER_PREFIXES)
        name = name[len("videomae.") :] if name.startswith("videomae.") else name
        match = _HF_QKV.match(name)
        if match:
            qkv.setdefault(match.group(1), {})[match.group(2)] = value
            continue
        for pattern, repl in _HF_RULES:
            if pattern.match(name):
                name = pattern.sub(repl, name)
                break
        out[name] = value
    for layer, parts in qkv.items():
        if set(parts) == {"query", "key", "value"}:
            out[f"blocks.{layer}.attn.qkv.weight"] = torch.cat([parts["query"], parts["key"], parts["value"]])
        else:  # incomplete: keep the pieces under their HF names so they are reported
            for part, value in parts.items():
                out[f"encoder.layer.{layer}.attention.attention.{part}.weight"] = value
    return _drop_zero_key_bias(out)


def convert_videomae(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Original VideoMAE / VideoMAEv2 names -> ``VideoViT`` names (prefixes stripped, full qkv bias split)."""
    out: dict[str, torch.Tensor] = {}
    for key, value in state_dict.items():
        name = _strip(key, _VIDEOMAE_PREFIXES)
        if name.endswith(".attn.qkv.bias"):  # timm-style full bias: split into q / k / v parts
            base = name[: -len("qkv.bias")]
            q, k, v = value.chunk(3)
            out[base + "q_bias"], out[base + "k_bias"], out[base + "v_bias"] = q, k, v
            continue
        out[name] = value
    return _drop_zero_key_bias(out)


def _drop_zero_key_bias(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    # A zero key bias is what the model assumes; a non-zero one stays and is reported as unexpected.
    return {k: v for k, v in state_dict.items() if not (k.endswith(".attn.k_bias") and not v.any())}


def to_model_keys(state_dict: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], str]:
    """Detect the layout and rename: ``-> (converted state dict, format)``.

    ``pos_embed`` is reshaped to ``(1, L, D)`` whichever way it was stored.
    """
    fmt = detect_format(list(state_dict))
    out = convert_hf(state_dict) if fmt == "hf" else convert_videomae(state_dict)
    if "pos_embed" in out and out["pos_embed"].dim() == 2:
        out["pos_embed"] = out["pos_embed"][None]
    return out, fmt
