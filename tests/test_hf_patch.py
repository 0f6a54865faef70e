"""rlt.patch on Hugging Face VideoMAE: exact when nothing is dropped, equal to rlt.models under RLT,
undone exactly by rlt.unpatch, trainable, saved as plain HF, and clear about what it does not support."""

from __future__ import annotations

import pytest
import torch

import rlt
import rlt.hf
from rlt.models import from_state_dict
from rlt.reducers import create

transformers = pytest.importorskip("transformers")

FRAMES, SIZE, PATCH = 8, 32, 8  # T' x H' x W' = 4 x 4 x 4 = 64 tokens per clip


def make_hf(cls=None, **config) -> torch.nn.Module:
    """A tiny random HF VideoMAE with every parameter perturbed, so biases and norms are not trivial."""
    settings = dict(image_size=SIZE, patch_size=PATCH, num_frames=FRAMES, tubelet_size=2, hidden_size=64,
                    num_hidden_layers=2, num_attention_heads=4, intermediate_size=96, num_labels=5)
    settings.update(config)
    torch.manual_seed(0)
    cls = cls or transformers.VideoMAEForVideoClassification
    model = cls(transformers.VideoMAEConfig(**settings)).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    return model


@pytest.fixture(scope="module")
def real_clips(sample_videos) -> torch.Tensor:
    """The three sample videos, 8 frames at stride 4, 32x32, normalised: HF layout ``(3, T, C, H, W)``."""
    from rlt.cli.bench import load_clip

    clips = torch.cat([load_clip(str(path), FRAMES, 4, SIZE) for path in sample_videos.values()])  # (B, C, T, H, W)
    return clips.permute(0, 2, 1, 3, 4).contiguous()


def noise(batch: int = 2) -> torch.Tensor:
    """Random clips: no tubelet repeats its predecessor, so RLT keeps every token at any small tau."""
    return torch.randn(batch, FRAMES, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(1))


def test_nothing_dropped_gives_hf_outputs_and_the_packed_layout_is_documented():
    model, x = make_hf(), noise(3)
    with torch.no_grad():
        ref = model(x, output_hidden_states=True)
        for kwargs in ({"reducer": "none"}, {"tau": 0.0}):
            rlt.patch(model, **kwargs)
            out = model(x, output_hidden_states=True)
            assert int(out.packed.seqlens.sum()) == 3 * 64
            torch.testing.assert_close(out.logits, ref.logits, rtol=0, atol=1e-5)
            assert len(out.hidden_states) == len(ref.hidden_states) == 3  # embeddings + one per layer
            for ours, theirs in zip(out.hidden_states, ref.hidden_states):
                assert ours.shape == (1, 3 * 64, 64)  # packed: clip after clip, (t, i, j) order
                torch.testing.assert_close(ours[0], theirs.reshape(-1, 64), rtol=0, atol=1e-5)
                torch.testing.assert_close(out.packed.unpack(ours[0]), theirs, rtol=0, atol=1e-5)
            rlt.unpatch(model)


def test_base_model_last_hidden_state_is_packed_and_unpacks_onto_the_grid():
    model, x = make_hf(transformers.VideoMAEModel), noise(2)
    with torch.no_grad():
        ref = model(x).last_hidden_state  # (2, 64, D)
        rlt.patch(model, reducer="none")
        out = model(x)
        assert type(out).__name__ == "PackedModelOutput"
        torch.testing.assert_close(out.packed.unpack(), ref, rtol=0, atol=1e-5)
        torch.testing.assert_close(out.last_hidden_state[0], out.packed.tokens, rtol=0, atol=0)
        as_tuple = model(x, return_dict=False)
        torch.testing.assert_close(as_tuple[0], out.last_hidden_state, rtol=0, atol=0)


@pytest.mark.parametrize("length_embed", [False, True])
def test_rlt_gives_the_logits_of_rlt_models_on_real_clips(real_clips, length_embed, tmp_path):
    model = make_hf()
    rlt.patch(model, tau=0.1, length_embed=length_embed)
    if length_embed:
        with torch.no_grad():  # a "trained" table, so the test sees whether rows land on the right tokens
            model.videomae.embeddings.rlt_length_embeddings.normal_()
    ours = from_state_dict(model.state_dict(), model.config)
    assert ours.length_embed is not None if length_embed else ours.length_embed is None
    video = real_clips.permute(0, 2, 1, 3, 4)  # (B, C, T, H, W)
    with torch.no_grad():
        out = model(real_clips)
        expected = ours(rlt.tokenize(video, tau=0.1, tubelet_size=2, patch_size=PATCH))
    kept = out.packed.seqlens
    assert kept.tolist() == rlt.tokenize(video, tau=0.1, patch_size=PATCH).seqlens.tolist()
    assert int(kept.sum()) < 3 * 64  # real footage: RLT dropped tokens
    torch.testing.assert_close(out.logits, expected, rtol=0, atol=1e-5)
    if not length_embed:  # the same through a saved folder and rlt.models.from_pretrained
        model.save_pretrained(tmp_path)
        with torch.no_grad():
            loaded = rlt.models.from_pretrained(tmp_path)(rlt.tokenize(video, tau=0.1, patch_size=PATCH))
        torch.testing.assert_close(out.logits, loaded, rtol=0, atol=1e-5)


@pytest.mark.parametrize(("name", "options"), [("random", {"keep": 0.5, "seed": 3}),
                                               ("rlt+random", {"tau": 0.1, "keep": 0.5, "seed": 3})])
def test_every_input_reducer_gives_the_logits_of_rlt_models_and_fresh_draws_each_batch(real_clips, name, options):
    model = rlt.patch(make_hf(), reducer=name, **options)
    ours = from_state_dict(model.state_dict(), model.config)
    video = real_clips.permute(0, 2, 1, 3, 4)  # (B, C, T, H, W)
    with torch.no_grad():
        first, second = model(real_clips), model(real_clips)
        expected = ours(video, reducer=create(name, **options))  # a fresh reducer: the same first draw
    assert int(first.packed.seqlens.sum()) < 3 * 64
    torch.testing.assert_close(first.logits, expected, rtol=0, atol=1e-5)
    assert not torch.equal(first.packed.keep, second.packed.keep)  # the generator moved on: a new mask


def test_unpatch_restores_the_original_model_exactly(real_clips):
    model = make_hf()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        ref = model(real_clips).logits
        rlt.patch(model, tau=0.1, length_embed=True)
        assert "videomae.embeddings.rlt_length_embeddings" in model.state_dict()
        assert not torch.equal(model(real_clips).logits, ref)  # tokens were dropped: the output changed
        assert rlt.unpatch(model) is model
        torch.testing.assert_close(model(real_clips).logits, ref, rtol=0, atol=0)
    assert not hasattr(model, "rlt") and "forward" not in model.__dict__ and "forward" not in model.videomae.__dict__
    assert model.state_dict().keys() == before.keys()
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())
    assert not rlt.hf.is_patched(model)


def test_unpatch_puts_back_a_forward_that_was_on_the_instance():
    model, x = make_hf(), noise()
    calls = []
    original = model.forward

    def hooked(*args, **kwargs):  # as accelerate's hooks do: a forward set on the instance
        calls.append(1)
        return original(*args, **kwargs)

    model.forward = hooked
    rlt.patch(model)
    rlt.unpatch(model)
    assert model.forward is hooked
    model(x)
    assert calls == [1]


@pytest.mark.parametrize("length_embed", [False, True])
def test_a_training_step_updates_the_hf_parameters(real_clips, length_embed):
    model = make_hf(hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1)
    rlt.patch(model, tau=0.1, length_embed=length_embed).train()
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    out = model(real_clips, labels=torch.tensor([0, 1, 2]))
    assert out.loss.shape == () and torch.isfinite(out.loss)
    out.loss.backward()
    optimizer.step()
    names = set(before)
    assert ("videomae.embeddings.rlt_length_embeddings" in names) == length_embed
    unchanged = [n for n, p in model.named_parameters() if torch.equal(p.detach(), before[n])]
    assert unchanged == []  # every HF parameter (and the length table) got a gradient and moved


def test_gradient_checkpointing_recomputes_layers_and_gives_the_same_gradients(real_clips, monkeypatch):
    import rlt.hf.forward as patched_forward

    calls = []
    layer_forward = patched_forward.packed_layer
    monkeypatch.setattr(patched_forward, "packed_layer", lambda *a, **k: calls.append(1) or layer_forward(*a, **k))
    grads, layer_calls = [], []
    for checkpointing in (False, True):
        model = make_hf()
        rlt.patch(model, tau=0.1).train()
        if checkpointing:  # transformers 5 renamed gradient_checkpointing_enable
            (getattr(model, "activation_checkpointing_enable", None) or model.gradient_checkpointing_enable)()
        calls.clear()
        model(real_clips, labels=torch.tensor([0, 1, 2])).loss.backward()
        layer_calls.append(len(calls))
        grads.append({n: p.grad for n, p in model.named_parameters()})
    assert layer_calls == [2, 4]  # with checkpointing, backward runs each of the 2 layers again
    for name, grad in grads[0].items():
        torch.testing.assert_close(grads[1][name], grad, rtol=0, atol=1e-6)


def test_saved_after_patching_loads_into_plain_hf_and_back_into_a_patched_model(tmp_path, real_clips):
    model = make_hf()
    with torch.no_grad():
        dense = model(real_clips).logits
        rlt.patch(model, tau=0.1, length_embed=True)
        model.videomae.embeddings.rlt_length_embeddings.normal_()
        patched = model(real_clips).logits
    model.save_pretrained(tmp_path)
    plain = transformers.VideoMAEForVideoClassification.from_pretrained(tmp_path).eval()
    again = rlt.hf.from_pretrained(tmp_path, tau=0.1).eval()
    assert again.rlt.length_embed and again.rlt.tau == 0.1
    with torch.no_grad():
        torch.testing.assert_close(plain(real_clips).logits, dense, rtol=0, atol=1e-6)
        torch.testing.assert_close(again(real_clips).logits, patched, rtol=0, atol=1e-6)


def test_settings_changed_after_patching_take_effect(real_clips):
    model = rlt.patch(make_hf(), tau=0.1)
    with torch.no_grad():
        at_01 = model(real_clips).packed.seqlens
        model.rlt.tau = 0.5
        at_05 = model(real_clips).packed.seqlens
        model.rlt.reducer = "none"  # tau stays 0.5: only reducers that take a tau read it
        every = model(real_clips).packed.seqlens
    assert (at_05 <= at_01).all() and int(at_05.sum()) < int(at_01.sum())
    assert every.tolist() == [64, 64, 64]
    with pytest.raises(AttributeError):
        model.rlt.tua = 0.05  # a misspelt setting is an error, not a silent no-op
    model.rlt.reducer, model.rlt.tau = "rlt", -1.0
    with pytest.raises(ValueError, match=r"tau must be in \[0.0, inf\), got -1.0"):
        model(real_clips)
    model.rlt.tau, model.rlt.length_embed = 0.1, True
    with pytest.raises(ValueError, match="length_embed=True"):
        model(real_clips)


def test_cls_pooling_reads_token_zero_which_rlt_always_keeps(real_clips):
    model = make_hf(use_mean_pooling=False)
    with torch.no_grad():
        ref = model(noise()).logits
        rlt.patch(model, tau=0.0)
        torch.testing.assert_close(model(noise()).logits, ref, rtol=0, atol=1e-5)
        model.rlt.tau = 0.1
        out = model(real_clips)
        expected = from_state_dict(model.state_dict(), model.config)(
            rlt.tokenize(real_clips.permute(0, 2, 1, 3, 4), tau=0.1, patch_size=PATCH)
        )
    torch.testing.assert_close(out.logits, expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_half_precision_model_runs_and_stays_close_to_float32(real_clips, dtype):
    model = rlt.patch(make_hf(), tau=0.1)
    with torch.no_grad():
        full = model(real_clips).logits
        model.to(dtype)  # what model.half() / model.bfloat16() do
        half = model(real_clips.to(dtype))
    assert half.logits.dtype == dtype
    torch.testing.assert_close(half.logits.float(), full, rtol=0, atol=0.1)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_model_moved_to_cuda_gives_the_cpu_logits(real_clips):
    model = rlt.patch(make_hf(), tau=0.1)
    with torch.no_grad():
        cpu = model(real_clips).logits
        model.to("cuda")
        gpu = model(real_clips.cuda()).logits
    torch.testing.assert_close(gpu.cpu(), cpu, rtol=0, atol=1e-4)


@pytest.mark.slow
def test_torch_compile_gives_the_eager_logits(real_clips):
    model = rlt.patch(make_hf(), tau=0.1)
    compiled = torch.compile(model, backend="aot_eager")  # dynamo + AOT tracing; inductor takes minutes on 2 cores
    with torch.no_grad():
        torch.testing.assert_close(compiled(real_clips).logits, model(real_clips).logits, rtol=0, atol=1e-6)


def test_unsupported_models_and_calls_raise_clear_errors(real_clips):
    vit = transformers.ViTModel(transformers.ViTConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                                       intermediate_size=64, image_size=32, patch_size=16))
    with pytest.raises(TypeError, match="VideoMAEModel and VideoMAEForVideoClassification, got .*ViTModel"):
        rlt.patch(vit)
    with pytest.raises(TypeError, match="VideoMAEForPreTraining"):
        rlt.patch(make_hf(transformers.VideoMAEForPreTraining))
    with pytest.raises(ValueError, match="unknown reducer 'nope'"):
        rlt.patch(make_hf(), reducer="nope")
    with pytest.raises(ValueError, match=r"reducer 'random' takes no tau; its options are \['keep', 'seed'\]"):
        rlt.patch(make_hf(), tau=0.1, reducer="random")
    for in_model in ("tome", "sta"):
        with pytest.raises(ValueError, match=f"reducer '{in_model}' merges or prunes tokens between blocks"):
            rlt.patch(make_hf(), reducer=in_model)
    with pytest.raises(ValueError, match="unknown attention_backend 'fast'"):
        rlt.patch(make_hf(), attention_backend="fast")
    with pytest.raises(ValueError, match="not patched"):
        rlt.unpatch(make_hf())
    model = rlt.patch(make_hf(), tau=0.1)
    with pytest.raises(ValueError, match="already patched"):
        rlt.patch(model)
    with pytest.raises(ValueError, match="output_attentions=True is not supported"):
        model(real_clips, output_attentions=True)
    with pytest.raises(ValueError, match="bool_masked_pos"):
        model.videomae(real_clips, bool_masked_pos=torch.zeros(3, 64, dtype=torch.bool))
    with pytest.raises(ValueError, match="position table has 64"):
        model(real_clips[:, :4])  # 4 frames, the model is built for 8
    with pytest.raises(ValueError, match="doesn't match the model"):
        model(torch.zeros(1, FRAMES, 3, 64, 64))


def test_a_deep_copy_of_a_patched_model_has_its_own_settings():
    import copy

    model = rlt.patch(make_hf(), tau=0.1)
    twin = copy.deepcopy(model)
    twin.rlt.reducer = "none"
    with torch.no_grad():
        assert int(twin(noise()).packed.seqlens.sum()) == 2 * 64
    assert model.rlt.reducer == "rlt"
    rlt.unpatch(twin)
    assert rlt.hf.is_patched(model) and not rlt.hf.is_patched(twin)
