"""Checkpoint loading: HF VideoMAE and original VideoMAE(v2) .pth give HF's own logits; strictness."""

from __future__ import annotations

import argparse
import json
import logging

import pytest
import torch

from rlt.models import CheckpointError, create_model, from_pretrained, load_checkpoint, sinusoid_table

transformers = pytest.importorskip("transformers")

DEPTH = 2


def make_hf(**config) -> torch.nn.Module:
    """A tiny random HF VideoMAE classifier with every parameter perturbed (biases and norms non-trivial)."""
    settings = dict(image_size=32, patch_size=16, num_frames=4, tubelet_size=2, hidden_size=64, num_hidden_layers=DEPTH,
                    num_attention_heads=2, intermediate_size=128, num_labels=5)
    settings.update(config)
    torch.manual_seed(0)
    hf = transformers.VideoMAEForVideoClassification(transformers.VideoMAEConfig(**settings)).eval()
    with torch.no_grad():
        for p in hf.parameters():
            p.add_(0.1 * torch.randn_like(p))
    return hf


def hf_logits(hf: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return hf(pixel_values=x.permute(0, 2, 1, 3, 4)).logits  # HF wants (B, T, C, H, W)


def clips(frames: int = 4, size: int = 32) -> torch.Tensor:
    return torch.randn(2, 3, frames, size, size, generator=torch.Generator().manual_seed(1))


def our_logits(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model(x)


def to_original_layout(hf_state: dict[str, torch.Tensor], prefix: str = "") -> dict[str, torch.Tensor]:
    """HF names -> original VideoMAE names, written out by hand (fused qkv, q_bias / v_bias)."""
    s = {k.removeprefix("videomae."): v for k, v in hf_state.items()}
    out = {
        "patch_embed.proj.weight": s["embeddings.patch_embeddings.projection.weight"],
        "patch_embed.proj.bias": s["embeddings.patch_embeddings.projection.bias"],
        "fc_norm.weight": s["fc_norm.weight"], "fc_norm.bias": s["fc_norm.bias"],
        "head.weight": s["classifier.weight"], "head.bias": s["classifier.bias"],
    }
    for i in range(DEPTH):
        h, b = f"encoder.layer.{i}.", f"blocks.{i}."
        att = h + "attention.attention."
        out[b + "attn.qkv.weight"] = torch.cat([s[att + n + ".weight"] for n in ("query", "key", "value")])
        out[b + "attn.q_bias"], out[b + "attn.v_bias"] = s[att + "query.bias"], s[att + "value.bias"]
        pairs = {"norm1": "layernorm_before", "norm2": "layernorm_after", "attn.proj": "attention.output.dense",
                 "mlp.fc1": "intermediate.dense", "mlp.fc2": "output.dense"}
        for ours, theirs in pairs.items():
            for kind in ("weight", "bias"):
                out[f"{b}{ours}.{kind}"] = s[f"{h}{theirs}.{kind}"]
    return {prefix + k: v for k, v in out.items()}


def test_hf_safetensors_folder_gives_hf_logits(tmp_path):
    hf = make_hf()
    hf.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").is_file()
    model = from_pretrained(tmp_path)
    assert (model.config.width, model.config.depth, model.config.heads, model.config.num_classes) == (64, 2, 2, 5)
    assert (model.config.norm_eps, model.config.fc_norm_eps) == (1e-12, 1e-5)  # HF's eps, not ours
    x = clips()
    assert (our_logits(model, x) - hf_logits(hf, x)).abs().max() <= 1e-4


def test_hf_pytorch_model_bin_gives_hf_logits(tmp_path):
    # In-memory HF names (query.bias / value.bias), as a pytorch_model.bin beside config.json.
    hf = make_hf()
    hf.config.to_json_file(tmp_path / "config.json")
    torch.save(hf.state_dict(), tmp_path / "pytorch_model.bin")
    x = clips()
    for path in (tmp_path, tmp_path / "pytorch_model.bin"):
        assert (our_logits(from_pretrained(path), x) - hf_logits(hf, x)).abs().max() <= 1e-4


def test_hf_without_mean_pooling_uses_final_norm_and_first_token(tmp_path):
    hf = make_hf(use_mean_pooling=False, layer_norm_eps=1e-6)
    hf.save_pretrained(tmp_path)
    model = from_pretrained(tmp_path)
    assert model.config.pooling == "first"
    x = clips()
    assert (our_logits(model, x) - hf_logits(hf, x)).abs().max() <= 1e-4


def test_load_checkpoint_into_a_preset_sets_eps_from_the_format(tmp_path):
    hf = make_hf(hidden_size=64, intermediate_size=256, num_labels=10)  # the vit-tiny-test shape
    hf.save_pretrained(tmp_path)
    model = create_model("vit-tiny-test").eval()
    report = load_checkpoint(model, tmp_path)
    assert report.clean and report.format == "hf"
    assert model.blocks[0].norm1.eps == 1e-12 and model.fc_norm.eps == 1e-5
    x = clips()
    assert (our_logits(model, x) - hf_logits(hf, x)).abs().max() <= 1e-4


@pytest.mark.parametrize("wrapper, prefix", [("module", "encoder."), ("model", "module."), ("state_dict", "backbone.")])
def test_original_pth_gives_hf_logits(tmp_path, wrapper, prefix):
    hf = make_hf(hidden_size=128, intermediate_size=256, layer_norm_eps=1e-6)
    path = tmp_path / "videomae.pth"
    state = to_original_layout(hf.state_dict(), prefix)
    torch.save({wrapper: state, "epoch": 3, "args": argparse.Namespace(lr=1e-3)}, path)
    model = from_pretrained(path, heads=2)  # width 128 is no VideoMAE preset: heads must be given
    assert (model.config.width, model.config.heads, model.config.mlp_dim, model.config.num_classes) == (128, 2, 256, 5)
    assert (model.config.norm_eps, model.config.fc_norm_eps) == (1e-6, 1e-6)
    x = clips()
    assert (our_logits(model, x) - hf_logits(hf, x)).abs().max() <= 1e-4


def test_own_state_dict_round_trips_with_layer_scale_and_length_embedding(tmp_path):
    torch.manual_seed(0)
    source = create_model("vit-tiny-test", init_values=0.1, length_embed=True, num_frames=8).eval()
    with torch.no_grad():
        for p in source.parameters():
            p.add_(0.05 * torch.randn_like(p))
    torch.save(source.state_dict(), tmp_path / "own.pth")
    loaded = from_pretrained(tmp_path / "own.pth", heads=2)
    assert loaded.config.init_values > 0 and loaded.config.length_embed and loaded.config.num_frames == 8
    x = clips(frames=8)
    assert torch.equal(our_logits(loaded, x), our_logits(source, x))


def test_sinusoid_pos_embed_in_the_file_is_accepted_and_a_learned_one_needs_the_flag(tmp_path):
    hf = make_hf(layer_norm_eps=1e-6)
    state = to_original_layout(hf.state_dict())
    state["pos_embed"] = sinusoid_table(8, 64)[None]  # VideoMAE's fixed table, saved anyway
    torch.save(state, tmp_path / "fixed.pth")
    assert load_checkpoint(create_model("vit-tiny-test", num_classes=5, mlp_dim=128), tmp_path / "fixed.pth").clean

    state["pos_embed"] = torch.randn(1, 8, 64)
    torch.save(state, tmp_path / "learned.pth")
    with pytest.raises(CheckpointError, match="learned_pos_embed=True"):
        load_checkpoint(create_model("vit-tiny-test", num_classes=5, mlp_dim=128), tmp_path / "learned.pth")
    # A .pth does not say its frame size; a learned table only fits the grid it was trained for.
    model = from_pretrained(tmp_path / "learned.pth", heads=2, num_frames=4, img_size=32)
    assert model.config.learned_pos_embed
    assert torch.equal(model.pos_embed, state["pos_embed"])


def test_strict_load_lists_missing_unexpected_and_mismatched_and_loads_nothing(tmp_path):
    hf = make_hf()
    state = hf.state_dict()
    del state["videomae.encoder.layer.1.output.dense.bias"]
    state["videomae.decoder_extra.weight"] = torch.zeros(3)
    hf.config.to_json_file(tmp_path / "config.json")
    torch.save(state, tmp_path / "pytorch_model.bin")
    model = create_model("vit-tiny-test", num_classes=7)  # head 7 vs checkpoint 5; MLP 256 vs 128
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(model, tmp_path)
    message = str(err.value)
    assert "blocks.1.mlp.fc2.bias" in message and "missing" in message
    assert "decoder_extra.weight" in message and "unexpected" in message
    assert "head.weight: checkpoint [5, 64] vs model [7, 64]" in message
    assert "blocks.0.mlp.fc1.weight: checkpoint [128, 64] vs model [256, 64]" in message
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())


def test_partial_load_with_a_new_head_logs_what_it_skipped(tmp_path, caplog):
    hf = make_hf(intermediate_size=256)
    hf.save_pretrained(tmp_path)
    model = create_model("vit-tiny-test", num_classes=7)
    head_before = model.head.weight.clone()
    with caplog.at_level(logging.WARNING, logger="rlt.models"):
        report = load_checkpoint(model, tmp_path, strict=False)
    assert {k for k, _, _ in report.mismatched} == {"head.weight", "head.bias"}
    assert not report.missing and not report.unexpected
    assert "head.weight" in caplog.text and "head.bias" in caplog.text
    assert torch.equal(model.head.weight, head_before)  # new head kept
    qkv = torch.cat([hf.state_dict()[f"videomae.encoder.layer.0.attention.attention.{n}.weight"]
                     for n in ("query", "key", "value")])
    assert torch.equal(model.blocks[0].attn.qkv.weight, qkv)


def test_nonzero_key_bias_is_reported(tmp_path):
    hf = make_hf(layer_norm_eps=1e-6)
    state = to_original_layout(hf.state_dict())
    q, v = state.pop("blocks.0.attn.q_bias"), state.pop("blocks.0.attn.v_bias")
    state["blocks.0.attn.qkv.bias"] = torch.cat([q, torch.ones_like(q), v])  # timm-style full bias, k != 0
    torch.save(state, tmp_path / "kbias.pth")
    with pytest.raises(CheckpointError, match="non-zero key bias"):
        load_checkpoint(create_model("vit-tiny-test", num_classes=5, mlp_dim=128), tmp_path / "kbias.pth")
    state["blocks.0.attn.qkv.bias"] = torch.cat([q, torch.zeros_like(q), v])  # zero k bias: fine
    torch.save(state, tmp_path / "zero.pth")
    model = create_model("vit-tiny-test", num_classes=5, mlp_dim=128)
    assert load_checkpoint(model, tmp_path / "zero.pth").clean
    assert torch.equal(model.blocks[0].attn.q_bias, q)


class _Opaque:
    pass


def test_pickles_with_foreign_objects_need_trust_pickle(tmp_path):
    state = create_model("vit-tiny-test").state_dict()
    torch.save({"model": state, "extra": _Opaque()}, tmp_path / "odd.pth")
    with pytest.raises(ValueError, match="trust_pickle=True"):
        load_checkpoint(create_model("vit-tiny-test"), tmp_path / "odd.pth")
    assert load_checkpoint(create_model("vit-tiny-test"), tmp_path / "odd.pth", trust_pickle=True).clean


def test_unreadable_inputs_name_the_problem(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "videomae"}))
    with pytest.raises(CheckpointError, match="model.safetensors"):
        from_pretrained(tmp_path)
    with pytest.raises(CheckpointError, match="nope.pth does not exist"):
        from_pretrained(tmp_path / "nope.pth")
    torch.save({"model": {"head.weight": torch.zeros(2, 2), "step": 3}}, tmp_path / "bad.pth")
    with pytest.raises(ValueError, match="'step'"):
        from_pretrained(tmp_path / "bad.pth")
