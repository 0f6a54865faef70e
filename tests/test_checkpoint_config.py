"""from_pretrained infers only what the weights prove (issue 13, defect 9).

Real HF folders written by ``save_pretrained``, then with ``config.json`` deleted
or edited the way a user's copy ends up.
"""

from __future__ import annotations

import json

import pytest
import torch

from rlt.models import CheckpointError, from_pretrained

transformers = pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def hf_folder(tmp_path_factory):
    """A tiny HF VideoMAE classifier (width 64, 2 heads: 1 head would give other logits) and its folder."""
    torch.manual_seed(0)
    config = transformers.VideoMAEConfig(
        image_size=32, patch_size=16, num_frames=4, tubelet_size=2, hidden_size=64, num_hidden_layers=2,
        num_attention_heads=2, intermediate_size=128, num_labels=5,
    )
    hf = transformers.VideoMAEForVideoClassification(config).eval()
    with torch.no_grad():
        for p in hf.parameters():
            p.add_(0.1 * torch.randn_like(p))
    folder = tmp_path_factory.mktemp("hf")
    hf.save_pretrained(folder)
    return hf, folder


def copy_of(folder, tmp_path, edit=None):
    """The folder's weights in ``tmp_path``, with its config.json edited by ``edit`` (or dropped if ``None``)."""
    (tmp_path / "model.safetensors").write_bytes((folder / "model.safetensors").read_bytes())
    if edit is not None:
        config = json.loads((folder / "config.json").read_text())
        edit(config)
        (tmp_path / "config.json").write_text(json.dumps(config))
    return tmp_path


def logits(model, hf=None):
    x = torch.randn(2, 3, 4, 32, 32, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        return hf(pixel_values=x.permute(0, 2, 1, 3, 4)).logits if hf is not None else model(x)


def test_without_config_json_heads_must_be_given(hf_folder, tmp_path):
    # Before: heads silently became 64 // 64 = 1 and the logits were wrong.
    hf, folder = hf_folder
    path = copy_of(folder, tmp_path)
    with pytest.raises(CheckpointError) as err:
        from_pretrained(path)
    message = str(err.value)
    assert str(path) in message and "attention heads" in message and "config.json" in message
    assert "heads=..." in message
    model = from_pretrained(path, heads=2)  # what the weights prove, plus the one missing fact
    assert (model.config.width, model.config.depth, model.config.mlp_dim, model.config.num_classes) == (64, 2, 128, 5)
    assert (logits(model) - logits(None, hf)).abs().max() <= 1e-4


def test_single_file_with_a_foreign_config_beside_it_needs_heads(hf_folder, tmp_path):
    _, folder = hf_folder
    path = copy_of(folder, tmp_path, edit=lambda c: c.update(model_type="bert"))
    with pytest.raises(CheckpointError, match="attention heads"):
        from_pretrained(path / "model.safetensors")


def test_folder_with_another_model_type_is_refused(hf_folder, tmp_path):
    _, folder = hf_folder
    path = copy_of(folder, tmp_path, edit=lambda c: c.update(model_type="vit"))
    with pytest.raises(CheckpointError, match="model_type 'vit', not 'videomae'"):
        from_pretrained(path)


@pytest.mark.parametrize(
    "field, value, match",
    [
        ("hidden_size", 128, r"hidden_size=128 but the weights have 64"),
        ("num_hidden_layers", 3, r"num_hidden_layers=3 but the weights have 2"),
        ("intermediate_size", 256, r"intermediate_size=256 but the weights have 128"),
        ("patch_size", 8, r"patch_size=8 but the weights have 16"),
        ("num_attention_heads", 3, r"num_attention_heads=3, which does not divide the weights' width 64"),
        ("id2label", {"0": "a", "1": "b"}, r"lists 2 labels but the classifier has 5 outputs"),
        ("num_attention_heads", None, r"config.json without num_attention_heads"),
    ],
)
def test_config_that_contradicts_the_weights_is_refused(hf_folder, tmp_path, field, value, match):
    _, folder = hf_folder
    edit = (lambda c: c.pop(field)) if value is None else (lambda c: c.update({field: value}))
    path = copy_of(folder, tmp_path, edit=edit)
    with pytest.raises(CheckpointError, match=match) as err:
        from_pretrained(path)
    assert "\n" not in str(err.value) and str(path) in str(err.value)


def test_matching_config_still_loads_to_hf_logits(hf_folder, tmp_path):
    hf, folder = hf_folder
    model = from_pretrained(copy_of(folder, tmp_path, edit=lambda c: None))
    assert model.config.heads == 2
    assert (logits(model) - logits(None, hf)).abs().max() <= 1e-4


def test_videomae_pth_of_an_unpublished_width_needs_heads(tmp_path):
    from rlt.models import create_model

    torch.save(create_model("vit-tiny-test").state_dict(), tmp_path / "own.pth")
    with pytest.raises(CheckpointError, match=r"width 64 is not one of VideoMAE's published widths.*heads="):
        from_pretrained(tmp_path / "own.pth")
    assert from_pretrained(tmp_path / "own.pth", heads=2).config.heads == 2
