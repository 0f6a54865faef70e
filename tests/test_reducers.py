"""rlt.reducers: the names, the exact cases of the reducers issue, and packing invariance."""

from __future__ import annotations

import re

import pytest
import torch
from torch.testing import assert_close

import rlt
from rlt.models import VideoViT, ViTConfig
from rlt.ops import PackedBatch, Segments, run_lengths_grid, static_keep
from rlt.reducers import available, create
from rlt.reducers.masking import keep_count, random_keep
from rlt.reducers.merge import bipartite_plan, merge_counts, merge_weighted
from rlt.reducers.sta_score import prune_rows, temporal_accumulation
from rlt.ops import Grid

NAMES = ("none", "rlt", "random", "rlt+random", "tome", "sta")


def small_model(**overrides) -> VideoViT:
    """8 frames of 32x32 with 8-pixel patches: a 4 x 4 x 4 grid of 64 tokens per clip."""
    torch.manual_seed(0)
    cfg = dict(width=32, depth=4, heads=2, num_frames=8, img_size=32, patch_size=8, num_classes=5)
    cfg.update(overrides)
    return VideoViT(ViTConfig(**cfg)).eval()


def clips(b: int = 3, static: tuple[float, ...] = (0.8, 0.4, 0.0)) -> torch.Tensor:
    """Clips whose fraction of static tubelets differs: clip ``k`` repeats its first frame over
    the first ``static[k]`` of its area, so RLT keeps a different count per clip."""
    g = torch.Generator().manual_seed(1)
    video = torch.randn(b, 3, 8, 32, 32, generator=g)
    for k in range(b):
        rows = int(round(static[k % len(static)] * 4)) * 8
        video[k, :, :, :rows] = video[k, :, :1, :rows]
    return video


def test_available_lists_every_name() -> None:
    assert set(NAMES) <= set(available())


@pytest.mark.parametrize(
    "name, options, message",
    [
        ("nope", {}, "unknown reducer 'nope'"),
        ("random", {"kep": 0.5}, "unknown option 'kep'"),
        ("random", {"keep": 0.0}, "keep must be in (0.0, 1.0]"),
        ("random", {"keep": 1.5}, "keep must be in"),
        ("random", {"seed": -1}, "seed must be an integer"),
        ("rlt", {"tau": -1}, "tau must be in [0.0, inf)"),
        ("rlt", {"tau": "0.1"}, "tau must be a finite number"),
        ("rlt", {"tau": True}, "tau must be a finite number"),
        ("rlt", {"mode": "next"}, "mode must be one of"),
        ("tome", {"r": -1}, "r must be an integer >= 0"),
        ("tome", {"r": 1.5}, "r must be an integer"),
        ("tome", {"r": [1, "a"]}, "r[1] must be an integer"),
        ("sta", {"keep": 2}, "keep must be in"),
        ("rlt+tome", {"tau": 0.1, "x": 1}, "unknown option 'x'"),
        ("none", {"tau": 0.1}, "expected no options"),
    ],
)
def test_bad_names_and_options_raise_value_error_naming_them(name, options, message) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        create(name, **options)


def test_options_are_resolved_and_json_able() -> None:
    import json

    for name in available():
        red = create(name)
        assert json.loads(json.dumps(red.options)) == red.options
        assert red.name == name
    assert create("rlt+random", tau=0.2).options == {
        "tau": 0.2, "mode": "previous", "norm": "l1", "keep": 0.5, "seed": 0,
    }


@pytest.mark.parametrize("name, options", [("none", {}), ("tome", {"r": 0}), ("random", {"keep": 1.0}),
                                           ("rlt", {"tau": 0.1}), ("sta", {"keep": 1.0})])
def test_reducers_that_keep_everything_give_the_dense_logits(name, options) -> None:
    model = small_model()
    video = torch.randn(2, 3, 8, 32, 32)  # noise: every tubelet changes by far more than tau
    red = create(name, **options)
    with torch.no_grad():
        dense = model(video)
        out = model(video, reducer=red)
    assert_close(out, dense, atol=1e-5, rtol=1e-5)
    assert red.layer_tokens.tolist() == [[64, 64]] * 5
    if name in ("none", "tome"):
        assert torch.equal(out, dense)  # the same code path: bit-identical


def test_no_reducer_and_packed_input_keep_working() -> None:
    model = small_model()
    video = clips()
    with torch.no_grad():
        assert_close(model(rlt.tokenize(video, tau=0.1, patch_size=8)), model(video, reducer=create("rlt")))
        for name in ("random", "rlt", "rlt+tome"):
            with pytest.raises(ValueError, match="needs the clip"):
                model(rlt.tokenize(video, patch_size=8), reducer=create(name))
        packed = rlt.tokenize(video, tau=0.1, patch_size=8)
        assert_close(model(packed, reducer=create("tome", r=3)), model(video, reducer=create("rlt+tome", r=3)))
        assert_close(model(packed, reducer=create("none")), model(packed))


def test_layer_tokens_shape_and_rlt_counts() -> None:
    model = small_model()
    video = clips()
    red = create("rlt", tau=0.1)
    with torch.no_grad():
        model(video, reducer=red)
    kept = static_keep(video, tau=0.1, patch_size=8).flatten(1).sum(1)
    assert red.layer_tokens.shape == (5, 3) and red.layer_tokens.dtype == torch.long
    assert all(torch.equal(row, kept) for row in red.layer_tokens)
    assert len(set(kept.tolist())) == 3  # the clips really differ in length


def test_tome_merges_exactly_r_per_block_until_a_clip_is_too_short() -> None:
    model = small_model(depth=6)
    video = clips()
    red = create("rlt+tome", tau=0.1, r=8)
    with torch.no_grad():
        feats = model.forward_features(video, reducer=red)
    counts = red.layer_tokens.tolist()
    for before, after in zip(counts[:-1], counts[1:]):
        assert after == [n - min(8, n // 2) for n in before]
    assert counts[-1] != counts[0]
    # sizes are per merged row and always sum to the tokens that entered
    assert feats.merged
    per_clip = torch.zeros(3).index_add_(0, feats.sequence_ids, feats.sizes)
    assert per_clip.tolist() == [float(n) for n in counts[0]]
    with pytest.raises(ValueError, match="merged"):
        feats.unpack()
    with pytest.raises(ValueError, match="merged"):
        feats.expand_runs()


def test_tome_per_block_schedule_and_wrong_length() -> None:
    model = small_model(depth=4)
    red = create("tome", r=[0, 4, 0, 2])
    with torch.no_grad():
        model(torch.randn(1, 3, 8, 32, 32), reducer=red)
    assert red.layer_tokens[:, 0].tolist() == [64, 64, 60, 60, 58]
    with pytest.raises(ValueError, match="r has 3 entries but the model has 4 blocks"):
        model(torch.randn(1, 3, 8, 32, 32), reducer=create("tome", r=[1, 2, 3]))


def test_random_keeps_exactly_round_keep_n0_and_is_seeded() -> None:
    video = clips()
    red = create("random", keep=0.3, seed=7)
    keep = red.plan(video, patch_size=8)
    assert keep.shape == (3, 4, 4, 4)
    assert keep.flatten(1).sum(1).tolist() == [round(0.3 * 64)] * 3
    assert torch.equal(create("random", keep=0.3, seed=7).plan(video, patch_size=8), keep)
    assert not torch.equal(create("random", keep=0.3, seed=8).plan(video, patch_size=8), keep)
    packed = create("random", keep=0.3, seed=7).pack(video, patch_size=8)
    assert packed.lengths.tolist() == [1] * packed.num_tokens  # random: every token stands alone
    assert not bool(keep[:, 0].all())  # t = 0 tokens may be dropped, and it still packs


def test_keep_count_rounds_like_python_and_keeps_one() -> None:
    assert keep_count(0.5, 1569) == round(784.5) == 784
    assert keep_count(0.01, 8) == 1


def test_rlt_random_is_a_subset_of_rlt_capped_at_keep_of_the_original() -> None:
    video = clips()
    rlt_keep = static_keep(video, tau=0.1, patch_size=8)
    red = create("rlt+random", tau=0.1, keep=0.5, seed=3)
    packed = red.pack(video, patch_size=8)
    keep = packed.keep
    assert not bool((keep & ~rlt_keep).any())
    expected = rlt_keep.flatten(1).sum(1).clamp(max=32)
    assert torch.equal(keep.flatten(1).sum(1), expected)
    runs = run_lengths_grid(rlt_keep).flatten(1)[keep.flatten(1)]
    assert torch.equal(packed.lengths, runs)  # survivors keep their RLT run lengths


def test_sta_keeps_the_counts_its_schedule_promises() -> None:
    model = small_model(depth=8)
    red = create("sta", keep=0.6)  # default stages: blocks 2, 4, 6
    with torch.no_grad():
        model(clips(), reducer=red)
    counts = red.layer_tokens[:, 0].tolist()
    assert counts == [64, 64, 64, 38, 38, 23, 23, 14, 14]
    red = create("sta", keep=0.5, layers=[1])
    with torch.no_grad():
        model(clips(), reducer=red)
    assert red.layer_tokens[:, 0].tolist() == [64, 64, 32, 32, 32, 32, 32, 32, 32]
    with pytest.raises(ValueError, match="past the last block"):
        model(clips(), reducer=create("sta", layers=[8]))


@pytest.mark.parametrize("name", [*NAMES, "rlt+tome", "rlt+sta"])
def test_every_reducer_runs_forward_and_backward(name) -> None:
    model = small_model().train()
    options = {"r": 4} if "tome" in name else {}
    logits = model(clips(), reducer=create(name, **options))
    logits.sum().backward()
    assert logits.shape == (3, 5)
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)


@pytest.mark.parametrize("name", ["none", "rlt", "tome", "sta", "rlt+tome", "rlt+sta"])
def test_packed_batch_gives_each_clip_its_own_logits(name) -> None:
    model = small_model()
    video = clips()
    options = {"r": 6} if "tome" in name else {}
    with torch.no_grad():
        batch = model(video, reducer=create(name, **options))
        alone = torch.cat([model(video[k : k + 1], reducer=create(name, **options)) for k in range(3)])
    assert_close(batch, alone, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", ["random", "rlt+random"])
def test_random_plans_pack_each_clip_alone_the_same(name) -> None:
    model = small_model()
    packed = create(name, keep=0.4).pack(clips(), patch_size=8)
    with torch.no_grad():
        batch = model(packed)
        alone = []
        for k in range(3):
            rows = packed.sequence_ids == k
            one = PackedBatch.from_keep(packed.keep[k : k + 1], packed.tokens[rows], lengths=packed.lengths[rows],
                                        patch_size=8)
            alone.append(model(one))
    assert_close(batch, torch.cat(alone), atol=1e-5, rtol=1e-5)


def test_gradient_checkpointing_with_an_in_model_reducer_matches() -> None:
    model = small_model().train()
    video = clips()
    plain = model(video, reducer=create("rlt+tome", r=4))
    plain.sum().backward()
    grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    model.set_grad_checkpointing(True)
    ckpt = model(video, reducer=create("rlt+tome", r=4))
    ckpt.sum().backward()
    assert_close(ckpt, plain)
    for g, p in zip(grads, model.parameters()):
        assert_close(p.grad, g, atol=1e-5, rtol=1e-4)


def test_pooling_first_refuses_a_merged_batch() -> None:
    model = small_model(pooling="first")
    with pytest.raises(ValueError, match="pooling 'first'"):
        model(clips(), reducer=create("tome", r=2))


# --- pure pieces, on hand-made tensors -------------------------------------------------


def test_random_keep_hand_example() -> None:
    keep = random_keep(torch.tensor([[1, 1, 0, 1]]).bool(), torch.tensor([2]), torch.tensor([[0.9, 0.1, 0.0, 0.5]]))
    assert keep.tolist() == [[False, True, False, True]]


def test_from_keep_needs_lengths_for_plans_that_are_not_rlt() -> None:
    keep = torch.tensor([[[[False, True]], [[True, True]]]])  # (1, 2, 1, 2): t = 0 token dropped
    tokens = torch.randn(3, 4)
    with pytest.raises(ValueError):
        PackedBatch.from_keep(keep, tokens)
    packed = PackedBatch.from_keep(keep, tokens, lengths=torch.ones(3, dtype=torch.long))
    assert packed.positions.tolist() == [1, 2, 3]
    assert "tokens=3 of 4" in repr(packed) and "tensor(" not in repr(packed)


def test_bipartite_plan_hand_example() -> None:
    # One clip of 4 rows: sources are rows 0 and 2, destinations rows 1 and 3.
    metric = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.1]])
    seg = Segments.from_seqlens(torch.tensor([4]))
    plan = bipartite_plan(metric, seg, r=1)
    # row 2 matches row 1 exactly (similarity 1.0 > row 0's 0.995 to row 3): 2 merges into 1
    assert plan.rows.tolist() == [0, 1, 3]
    assert plan.target.tolist() == [0, 1, 1, 2]
    assert plan.host_seqlens == (3,)
    x = torch.tensor([[1.0], [2.0], [4.0], [8.0]])
    merged, sizes = merge_weighted(x, torch.tensor([1.0, 3.0, 1.0, 1.0]), plan)
    assert merged.tolist() == [[1.0], [2.5], [8.0]]  # (3 * 2 + 1 * 4) / 4
    assert sizes.tolist() == [1.0, 4.0, 1.0]


def test_bipartite_plan_merges_within_each_clip_only() -> None:
    metric = torch.randn(11, 8)
    seg = Segments.from_seqlens(torch.tensor([6, 1, 4]))
    plan = bipartite_plan(metric, seg, r=2)
    assert merge_counts(seg.host_seqlens, 2) == (2, 0, 2)
    assert plan.host_seqlens == (4, 1, 2)
    new_ids = torch.repeat_interleave(torch.arange(3), torch.tensor(plan.host_seqlens))
    assert torch.equal(new_ids[plan.target], seg.ids)  # every row lands in its own clip


def test_temporal_accumulation_grows_while_a_region_stays_the_same() -> None:
    grid = Grid(3, 1, 2)
    metric = torch.tensor([[1.0, 0.0], [0.0, 1.0]] * 3)  # the same two tokens at t = 0, 1, 2
    positions = torch.arange(6)
    acc = temporal_accumulation(metric, positions, torch.zeros(6, dtype=torch.long), 1, grid)
    assert acc.tolist() == [0.0, 0.0, 1.0, 1.0, 2.0, 2.0]


def test_prune_rows_keeps_the_lowest_scores_per_clip() -> None:
    seg = Segments.from_seqlens(torch.tensor([3, 2]))
    rows = prune_rows(torch.tensor([0.5, 0.1, 0.9, 0.3, 0.2]), seg, (2, 1))
    assert rows.tolist() == [0, 1, 4]
