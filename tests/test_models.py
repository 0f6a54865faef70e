"""rlt.models: packing invariance, no-drop equivalence, pooling, run-length embedding, checkpointing."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

import rlt
from rlt.models import PRESETS, ViTConfig, VideoViT, create_model, pool_packed, sinusoid_table
from rlt.models.drop_path import drop_path
from rlt.ops import PackedBatch


def static_patch_clips(num_static: list[int], frames: int = 4, size: int = 32, seed: int = 0) -> torch.Tensor:
    """Noise clips ``(B, 3, T, S, S)``; clip b has its first ``num_static[b]`` patches (row-major) frozen in time.

    On noise every moving tubelet differs from its predecessor by ~1.1 in l1, so
    with tau=0.1 clip b keeps exactly ``T'*H'*W' - num_static[b]*(T'-1)`` tokens.
    """
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(len(num_static), 3, frames, size, size, generator=g)
    side = size // 16
    for b, k in enumerate(num_static):
        for n in range(k):
            i, j = divmod(n, side)
            patch = x[b, :, :1, i * 16 : (i + 1) * 16, j * 16 : (j + 1) * 16]
            x[b, :, :, i * 16 : (i + 1) * 16, j * 16 : (j + 1) * 16] = patch
    return x


def tiny(**overrides) -> VideoViT:
    torch.manual_seed(0)
    model = create_model("vit-tiny-test", **overrides).eval()
    with torch.no_grad():  # non-trivial biases and norms, so a misplaced one shows
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
    return model


def padded_logits(model: VideoViT, packed: PackedBatch) -> torch.Tensor:
    """Reference: the same weights on a zero-padded (B, L, D) batch with a key-padding mask, plain mean pooling."""
    x = model.embed_tokens(packed)  # (N, D)
    b, length, d = packed.batch_size, packed.max_seqlen, x.shape[1]
    ids = packed.sequence_ids
    slot = torch.arange(packed.num_tokens) - packed.cu_seqlens[:-1].long()[ids]
    h = x.new_zeros(b, length, d)
    mask = torch.zeros(b, length, dtype=torch.bool)
    h[ids, slot], mask[ids, slot] = x, True
    for blk in model.blocks:
        a = blk.attn
        bias = torch.cat([a.q_bias, torch.zeros_like(a.q_bias), a.v_bias])
        qkv = F.linear(blk.norm1(h), a.qkv.weight, bias).view(b, length, 3, a.heads, a.head_dim)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)  # each (B, heads, L, hd)
        o = F.scaled_dot_product_attention(q, k, v, attn_mask=mask[:, None, None, :])
        h = h + a.proj(o.transpose(1, 2).reshape(b, length, d))
        h = h + blk.mlp(blk.norm2(h))
    pooled = (h * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
    return model.head(model.fc_norm(pooled))


def test_presets_have_the_published_sizes():
    expected = {"vit-s": (384, 12, 6, 1536), "vit-b": (768, 12, 12, 3072), "vit-l": (1024, 24, 16, 4096),
                "vit-h": (1280, 32, 16, 5120), "vit-g": (1408, 40, 16, 6144)}
    for name, (width, depth, heads, mlp) in expected.items():
        c = PRESETS[name]
        assert (c.width, c.depth, c.heads, c.hidden_dim) == (width, depth, heads, mlp), name
    model = create_model("vit-s", num_classes=0)
    # tubelet embed 384*1536+384, 12 blocks of (2 norms, qkv, q/v bias, proj, fc1, fc2), fc_norm:
    per_block = 2 * 768 + 384 * 1152 + 768 + (384 * 384 + 384) + (384 * 1536 + 1536) + (1536 * 384 + 384)
    assert sum(p.numel() for p in model.parameters()) == (384 * 1536 + 384) + 12 * per_block + 768 == 21_879_936


def test_create_model_rejects_unknown_names_and_fields():
    with pytest.raises(ValueError, match="vit-xl"):
        create_model("vit-xl")
    with pytest.raises(ValueError, match="depht"):
        create_model("vit-tiny-test", depht=3)
    with pytest.raises(ValueError, match="heads=5"):
        create_model("vit-tiny-test", heads=5)


def test_sinusoid_table_matches_hf_videomae():
    videomae = pytest.importorskip("transformers.models.videomae.modeling_videomae")
    get_sinusoid_encoding_table = videomae.get_sinusoid_encoding_table

    assert_close(sinusoid_table(40, 64), get_sinusoid_encoding_table(40, 64)[0], rtol=0, atol=1e-6)


def test_no_drop_packed_equals_dense():
    model = tiny()
    x = static_patch_clips([0, 0])
    packed = rlt.tokenize(x, tau=0.0)
    assert packed.num_tokens == 2 * 8  # every token of both clips
    with torch.no_grad():
        assert_close(model(packed), model(x), rtol=0, atol=1e-6)


@pytest.mark.parametrize("pooling", ["mean", "run_weighted", "first"])
def test_packed_batch_equals_each_clip_alone(pooling):
    model = tiny(pooling=pooling)
    x = static_patch_clips([0, 3, 1, 4])
    packed = rlt.tokenize(x, tau=0.1)
    assert packed.seqlens.tolist() == [8, 5, 7, 4]
    with torch.no_grad():
        together = model(packed)
        alone = torch.cat([model(rlt.tokenize(x[b : b + 1], tau=0.1)) for b in range(4)])
    assert_close(together, alone, rtol=0, atol=1e-5)


def test_packed_batch_equals_padded_masked_reference():
    model = tiny(pooling="mean")
    packed = rlt.tokenize(static_patch_clips([2, 0, 4]), tau=0.1)
    assert len(set(packed.seqlens.tolist())) == 3
    with torch.no_grad():
        assert_close(model(packed), padded_logits(model, packed), rtol=0, atol=1e-5)


def test_pooling_exact_small_case():
    # One clip, T'=2, one spatial position: kept at t=0 only -> a single token with run length 2;
    # second clip keeps both tubelets (lengths 1, 1).
    keep = torch.tensor([[True, False], [True, True]]).view(2, 2, 1, 1)
    x = torch.tensor([[1.0, 2.0], [3.0, 5.0], [7.0, 11.0]])  # (N=3, D=2)
    packed = PackedBatch.from_keep(keep, x)
    assert_close(pool_packed(x, packed, "mean"), torch.tensor([[1.0, 2.0], [5.0, 8.0]]))
    assert_close(pool_packed(x, packed, "first"), torch.tensor([[1.0, 2.0], [3.0, 5.0]]))
    assert_close(pool_packed(x, packed, "run_weighted"), torch.tensor([[1.0, 2.0], [5.0, 8.0]]))


def test_run_weighted_pooling_is_the_mean_over_the_run_expanded_grid():
    packed = rlt.tokenize(static_patch_clips([3, 1, 0], frames=8, size=48), tau=0.1)
    x = torch.randn(packed.num_tokens, 5)
    full = packed.expand_runs(x)  # (B, T'*H'*W', 5): every dropped token copies its run's token
    assert_close(pool_packed(x, packed, "run_weighted"), full.mean(1))
    assert not torch.allclose(pool_packed(x, packed, "mean"), full.mean(1))


def test_length_embedding_lands_on_each_tokens_own_run():
    # keep over t at the four positions (i, j): (0,0) t=0 only; (0,1) every t; (1,0) t=0,2; (1,1) t=0,1,3.
    keep = torch.zeros(1, 4, 2, 2, dtype=torch.bool)
    keep[0, 0] = True
    keep[0, :, 0, 1] = True
    keep[0, 2, 1, 0] = True
    keep[0, [1, 3], 1, 1] = True
    # (t, i, j) token order; the (i, j, t) order of the public reference code would give 4,1,1,1,1,2,2,1,2,1.
    expected = torch.tensor([4, 1, 2, 1, 1, 2, 1, 2, 1, 1])
    model = tiny(num_frames=8, length_embed=True)
    packed = PackedBatch.from_keep(keep, torch.randn(10, model.config.token_dim))
    assert torch.equal(packed.lengths, expected)
    with torch.no_grad():
        model.length_embed.weight.normal_()
        with_len = model.embed_tokens(packed)
        table = model.length_embed.weight.clone()
        model.length_embed.weight.zero_()
        without = model.embed_tokens(packed)
    assert_close(with_len - without, table[expected - 1])


def test_length_embedding_acts_only_through_present_lengths():
    model = tiny(num_frames=8, length_embed=True)
    keep = torch.ones(2, 4, 2, 2, dtype=torch.bool)
    keep[1, 1:, 0, 0] = False  # clip 1: position (0,0) is one run of length 4; all other runs have length 1
    packed = PackedBatch.from_keep(keep, torch.randn(int(keep.sum()), model.config.token_dim))
    assert set(packed.lengths.tolist()) == {1, 4}
    with torch.no_grad():
        model.length_embed.weight.normal_()
        before = model(packed)
        # Random shifts: a constant one would vanish in LayerNorm even on a token that has the length.
        model.length_embed.weight[[1, 2]] += 3.0 * torch.randn(2, 64)  # lengths 2 and 3: no token has them
        assert torch.equal(model(packed), before)
        model.length_embed.weight[3] += 3.0 * torch.randn(64)  # length 4: only in clip 1
        after = model(packed)
    assert torch.equal(after[0], before[0])
    assert (after[1] - before[1]).abs().max() > 1e-3


def test_length_embedding_is_off_by_default_and_rejects_longer_clips():
    assert create_model("vit-tiny-test").length_embed is None
    model = tiny(length_embed=True)  # built for 4 frames: T' = 2
    with pytest.raises(ValueError, match="T'=4"):
        model(torch.randn(1, 3, 8, 32, 32))


def test_sinusoid_positions_extend_to_longer_clips_but_learned_ones_do_not():
    assert tiny()(torch.randn(1, 3, 8, 32, 32)).shape == (1, 10)
    with pytest.raises(ValueError, match="16 tokens"):
        tiny(learned_pos_embed=True)(torch.randn(1, 3, 8, 32, 32))


def test_gradient_checkpointing_gives_the_same_gradients_and_recomputes():
    x = static_patch_clips([0, 2, 3])
    packed = rlt.tokenize(x, tau=0.1)
    grads = []
    for enable in (False, True):
        model = tiny(drop_path_rate=0.3, drop_rate=0.1, attention_backend="math").train()
        model.set_grad_checkpointing(enable)
        calls = []
        model.blocks[0].register_forward_pre_hook(lambda *_: calls.append(1))
        torch.manual_seed(1)
        model(packed).square().sum().backward()
        assert len(calls) == (2 if enable else 1)  # checkpointing re-runs the block in backward
        grads.append({n: p.grad.clone() for n, p in model.named_parameters()})
    for name in grads[0]:
        assert_close(grads[1][name], grads[0][name], rtol=1e-6, atol=1e-7, msg=name)


def test_drop_path_drops_whole_clips():
    ids = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2, 2])
    torch.manual_seed(0)
    out = drop_path(torch.ones(9, 4), 0.5, True, ids, 3)
    for b in range(3):
        assert out[ids == b].unique().numel() == 1  # one decision per clip
    assert set(out.unique().tolist()) <= {0.0, 2.0}
    assert torch.equal(drop_path(torch.ones(9, 4), 0.5, False, ids, 3), torch.ones(9, 4))


def test_forward_features_keeps_the_plan_and_head_pools_it():
    model = tiny()
    packed = rlt.tokenize(static_patch_clips([1, 3]), tau=0.1)
    with torch.no_grad():
        feats = model.forward_features(packed)
        assert feats.tokens.shape == (packed.num_tokens, 64)
        assert torch.equal(feats.positions, packed.positions)
        assert model.forward_head(feats, pre_logits=True).shape == (2, 64)
        assert_close(model.forward_head(feats), model(packed))


def test_inputs_are_checked_against_the_config():
    model = tiny()
    with pytest.raises(ValueError, match="got shape"):
        model(torch.randn(1, 1, 4, 32, 32))
    with pytest.raises(ValueError, match="tubelet_size=1"):
        model(rlt.tokenize(torch.randn(1, 3, 4, 32, 32), tubelet_size=1))
    with pytest.raises(TypeError, match="list"):
        model([1, 2])
    with pytest.raises(ValueError, match="pooling 'max'"):
        ViTConfig(pooling="max")
