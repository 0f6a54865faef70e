"""rlt.train pure pieces: config parsing, schedule, layer decay, multi-view averaging, samplers, export."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import pytest
import torch

from rlt.train import (
    ConfigError, RunConfig, ShardBatchSampler, TrainBatchSampler, WarmupCosine, average_views, layer_id,
    load_config, param_groups, rank_share, save_config, to_dict, topk_correct, warmup_cosine,
)
from rlt.train.evaluation import EvalRecords, summarize

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


# -- config --------------------------------------------------------------------------------------------------
def test_overrides_land_in_their_sections():
    c = load_config(None, ["model.name=vit-s", "model.depth=4", "model.length_embed=true", "data.batch_size=3",
                           "train.reducer.name=rlt", "train.reducer.tau=0.05", "eval.reducer.name=none",
                           "train.optim.lr=1e-3", "trainer.devices=2", "out_dir=x"])
    assert c.model.name == "vit-s" and c.model.vit == {"depth": 4, "length_embed": True}
    assert c.data.batch_size == 3 and c.trainer.devices == 2 and c.out_dir == "x"
    assert (c.train.reducer.name, c.train.reducer.options) == ("rlt", {"tau": 0.05})
    assert c.train.optim.lr == 1e-3  # "1e-3" is a string to YAML 1.1; float fields accept it


@pytest.mark.parametrize("override, named", [
    ("data.batchsize=3", "data.batchsize"),
    ("model.dpeth=4", "model.dpeth"),
    ("trainer.max_epoch=2", "trainer.max_epoch"),
    ("nonsense=1", "nonsense"),
    ("train.optim.lr=fast", "train.optim.lr"),
    ("data.batch_size=2.5", "data.batch_size"),
    ("eval.spatial_crops=2", "eval.spatial_crops"),
])
def test_bad_keys_and_values_are_named(override, named):
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        load_config(None, [override])


def test_resolved_config_round_trips(tmp_path):
    c = load_config(None, ["model.depth=3", "train.reducer.name=rlt", "train.reducer.tau=0.2", "data.fps=30"])
    path = save_config(c, tmp_path / "c.yaml")
    assert load_config(path) == c
    flat = to_dict(c)
    assert flat["model"]["depth"] == 3 and flat["train"]["reducer"] == {"name": "rlt", "tau": 0.2}


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_configs_load(path):
    config = load_config(path)
    assert isinstance(config, RunConfig)


def test_cli_unknown_key_exits_2(capsys):
    from rlt.cli.main import main

    assert main(["train", "--config", str(CONFIGS / "tiny.yaml"), "data.bach_size=4"]) == 2
    err = capsys.readouterr().err
    assert "data.bach_size" in err and len(err.strip().splitlines()) == 1


def test_cli_unknown_reducer_option_exits_2(capsys):
    from rlt.cli.main import main

    assert main(["eval", "--config", str(CONFIGS / "tiny.yaml"), "eval.reducer.tua=0.1"]) == 2
    assert "tua" in capsys.readouterr().err


# -- schedule ------------------------------------------------------------------------------------------------
def test_warmup_cosine_values():
    got = [warmup_cosine(s, 10, 2, 1.0, 0.0) for s in (0, 1, 2, 3, 6, 10, 12)]
    want = [0.5, 1.0, 1.0, 0.5 * (1 + math.cos(math.pi / 8)), 0.5 * (1 + math.cos(math.pi / 2)), 0.0, 0.0]
    assert got == pytest.approx(want, abs=1e-12)
    assert warmup_cosine(10, 10, 2, 2.0, 0.5) == 0.5


def test_schedule_state_survives_a_scheduler_round_trip():
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.AdamW([param], lr=2.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, WarmupCosine(10, 2, 0.1))
    for _ in range(4):
        opt.step()
        sched.step()
    state = sched.state_dict()
    opt2 = torch.optim.AdamW([param], lr=2.0)
    sched2 = torch.optim.lr_scheduler.LambdaLR(opt2, WarmupCosine(1, 0, 0.0))
    sched2.load_state_dict(state)
    assert sched2.lr_lambdas[0] == WarmupCosine(10, 2, 0.1)
    assert opt.param_groups[0]["lr"] == pytest.approx(2.0 * warmup_cosine(4, 10, 2, 1.0, 0.1))


# -- layer decay ---------------------------------------------------------------------------------------------
def test_layer_ids_and_group_scales():
    from rlt.models import create_model

    model = create_model("vit-tiny-test", depth=3)
    assert [layer_id(n, 3) for n in ("patch_embed.proj.weight", "blocks.0.attn.qkv.weight",
                                     "blocks.2.mlp.fc1.bias", "fc_norm.weight", "head.weight")] == [0, 1, 3, 4, 4]
    groups = param_groups(model, weight_decay=0.05, layer_decay=0.5, depth=3)
    scale = {name: g["lr_scale"] for g in groups for name in g["names"]}
    decay = {name: g["weight_decay"] for g in groups for name in g["names"]}
    assert scale["head.weight"] == 1.0 and scale["blocks.2.attn.qkv.weight"] == 0.5
    assert scale["blocks.0.attn.qkv.weight"] == 0.125 and scale["patch_embed.proj.weight"] == 0.0625
    assert decay["blocks.0.attn.qkv.weight"] == 0.05 and decay["blocks.0.norm1.weight"] == 0.0
    assert decay["head.bias"] == 0.0 and decay["blocks.0.attn.q_bias"] == 0.0
    assert sum(len(g["params"]) for g in groups) == len(list(model.parameters()))


# -- multi-view ----------------------------------------------------------------------------------------------
def test_average_views_is_the_mean_softmax_per_video():
    ln3 = math.log(3.0)
    logits = torch.tensor([[0.0, 0.0], [ln3, 0.0],      # video 0, views 0 and 1
                           [0.0, ln3], [0.0, ln3]])     # video 1
    torch.testing.assert_close(average_views(logits, 2), torch.tensor([[0.625, 0.375], [0.25, 0.75]]))
    torch.testing.assert_close(average_views(logits, 1), logits.softmax(-1))
    with pytest.raises(ValueError, match="V=3"):
        average_views(logits, 3)


def test_topk_and_summary_on_hand_made_scores():
    scores = torch.tensor([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3], [0.2, 0.3, 0.5]])
    hits = topk_correct(scores, torch.tensor([1, 2, 0]), (1, 2))
    assert hits[1].tolist() == [True, False, False] and hits[2].tolist() == [True, True, False]
    a, b = EvalRecords(), EvalRecords()
    a.add(torch.tensor([0, 2]), torch.tensor([1, 0]), scores[[0, 2]], torch.tensor([10.0, 20.0]))
    b.add(torch.tensor([1]), torch.tensor([2]), scores[[1]], torch.tensor([30.0]))
    a.clips, a.forward_s, b.clips, b.forward_s = 6, 2.0, 3, 1.0
    out = summarize([a, b], views=3)
    assert out["videos"] == 3 and out["clips"] == 9 and out["views"] == 3
    assert out["top1"] == pytest.approx(100 / 3) and out["top5"] == 100.0
    assert out["tokens_per_clip"] == 20.0 and out["clips_per_s"] == 6.0
    assert out["loss"] == pytest.approx(-(math.log(0.6) + math.log(0.2) + math.log(0.3)) / 3, rel=1e-6)
    b.add(torch.tensor([0]), torch.tensor([1]), scores[[0]], torch.tensor([1.0]))
    with pytest.raises(RuntimeError, match="more than once"):
        summarize([a, b], views=3)


# -- samplers ------------------------------------------------------------------------------------------------
def test_rank_share_pads_by_wrapping():
    assert rank_share([4, 0, 3, 1, 2], 0, 2) == [4, 3, 2] and rank_share([4, 0, 3, 1, 2], 1, 2) == [0, 1, 4]


def test_train_sampler_resume_skips_exactly_the_consumed_batches():
    data = list(range(23))
    full = TrainBatchSampler(data, 4, seed=3, rank=1, world=2)
    full.set_epoch(2)
    batches = list(full)
    assert len(batches) == len(full) == 3 and sum(map(len, batches)) == 12
    resumed = TrainBatchSampler(data, 4, seed=3, rank=1, world=2)
    resumed.resume(2, 2)
    assert list(resumed) == batches[2:]
    assert list(resumed) == batches  # the offset applies once
    other = TrainBatchSampler(data, 4, seed=3, rank=1, world=2)
    other.set_epoch(3)
    assert list(other) != batches


def test_ranks_run_the_same_number_of_batches():
    for n in (1, 5, 8, 9):
        lengths = {len(list(TrainBatchSampler(list(range(n)), 2, rank=r, world=3))) for r in range(3)}
        assert len(lengths) == 1


def test_shard_sampler_sees_every_item_exactly_once():
    seen = [i for r in range(3) for batch in ShardBatchSampler(7, 2, rank=r, world=3) for i in batch]
    assert sorted(seen) == list(range(7))


# -- model building and export -------------------------------------------------------------------------------
def test_export_loads_back_with_from_pretrained_and_load_checkpoint(tmp_path, caplog):
    from rlt.models import create_model, from_pretrained, load_checkpoint
    from rlt.train.build import build_model
    from rlt.train.export import export_model

    torch.manual_seed(0)
    model = create_model("vit-tiny-test", num_classes=5, patch_size=8, length_embed=True).eval()
    path = export_model(model, tmp_path / "model", classes=list("abcde"))
    video = torch.randn(2, 3, 4, 32, 32)
    back = from_pretrained(path)
    torch.testing.assert_close(back(video), model(video), rtol=0, atol=0)
    fresh = create_model("vit-tiny-test", num_classes=5, patch_size=8, length_embed=True).eval()
    load_checkpoint(fresh, path)
    torch.testing.assert_close(fresh(video), model(video), rtol=0, atol=0)
    # Fine-tuning from it with another class count drops the head, with a log line saying so.
    (tmp_path / "run" / "model").mkdir(parents=True)
    for f in (tmp_path / "model").iterdir():
        (tmp_path / "run" / "model" / f.name).write_bytes(f.read_bytes())
    config = load_config(None, ["model.name=vit-tiny-test", f"model.checkpoint={tmp_path / 'run'}",
                                "model.num_classes=3"])
    with caplog.at_level(logging.WARNING, logger="rlt.train.build"):
        tuned = build_model(config)
    assert "dropping the checkpoint's 5-class head" in caplog.text
    assert tuned.head.out_features == 3
    torch.testing.assert_close(tuned.blocks[0].attn.qkv.weight, model.blocks[0].attn.qkv.weight)
    with pytest.raises(ValueError, match="5-class head"):
        build_model(config, for_eval=True)


def test_cli_missing_list_exits_2(tmp_path, capsys):
    from rlt.cli.main import main

    code = main(["train", "--config", str(CONFIGS / "tiny.yaml"), "data.synthetic=0",
                 f"data.train_list={tmp_path / 'nope.txt'}"])
    assert code == 2 and "data.train_list" in capsys.readouterr().err


def test_plan_on_clean_applies_the_clean_plan_to_the_augmented_pixels():
    from rlt.models import create_model
    from rlt.reducers import create
    from rlt.train.reducer import forward_reduced

    torch.manual_seed(0)
    model = create_model("vit-tiny-test", patch_size=8, length_embed=True).eval()
    clean = torch.zeros(2, 3, 4, 32, 32)
    clean[:, :, 2:, :8, :8] = 3.0  # one patch changes at the second tubelet: RLT keeps 16 + 1 tokens per clip
    seen = clean.clone()
    seen[:, :, :, 8:, 8:] = torch.randn(2, 3, 4, 24, 24)  # "augmentation" that moves elsewhere
    red = create("rlt", tau=0.1)
    logits, tokens, _ = forward_reduced(model, seen, red, plan_from=clean)
    assert tokens.tolist() == [17, 17]
    plan = red.pack(clean, tubelet_size=2, patch_size=8)
    from rlt.ops import gather_tubelets

    expected = model(plan.with_tokens(gather_tubelets(seen, plan.keep, 2, 8)))
    torch.testing.assert_close(logits, expected)
    # Default: the plan of what the model sees, which keeps the moving region too.
    logits2, tokens2, _ = forward_reduced(model, seen, red)
    assert (tokens2 > 17).all()
    torch.testing.assert_close(logits2, model(seen, reducer=create("rlt", tau=0.1)))
