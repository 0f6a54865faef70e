"""rlt.bench harness: paired ratios, interleaving, memory, clips, and a full run on the tiny preset.

The harness is tested, never the speed: no assertion here depends on a timing's value.
"""

from __future__ import annotations

import pytest
import torch

import rlt.attention.dispatch as dispatch
from rlt.bench import BenchConfig, load_clips, paired, run_bench, spread, synthetic_clips
from rlt.bench.memory import peak_memory_mb
from rlt.bench.pairing import paired_ratios
from rlt.bench.reducer_api import available
from rlt.bench.timing import interleaved_orders
from rlt.models import create_model
from rlt.stats import StatsConfig


pytestmark = pytest.mark.usefixtures("one_thread")


def test_paired_ratios_pair_each_repeat():
    # Repeat 2 ran under load for both: pairing cancels it, unpaired medians would not (3/2 = 1.5).
    dense, fast = [2.0, 6.0, 2.2], [1.0, 3.0, 1.0]
    assert paired_ratios(dense, fast) == [2.0, 2.0, 2.2]
    s = paired(dense, fast)
    assert (s.median, s.low, s.high, s.n) == (2.0, 2.0, 2.2, 3)
    assert s.scaled(0.5).to_dict() == {"median": 1.0, "low": 1.0, "high": 1.1, "n": 3}
    assert spread([3.0, 1.0]).median == 2.0
    with pytest.raises(ValueError, match="one value per repeat"):
        paired([1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="at least one"):
        spread([])


def test_interleaved_orders_are_fresh_permutations():
    names = ["none", "rlt", "random", "tome", "sta", "rlt+random"]
    orders = interleaved_orders(names, 6, seed=1)
    assert all(sorted(o) == sorted(names) for o in orders)
    assert len({tuple(o) for o in orders}) > 1  # not the same order every repeat
    assert orders == interleaved_orders(names, 6, seed=1)
    assert orders != interleaved_orders(names, 6, seed=2)


def test_peak_memory_sees_a_step_that_allocates():
    def step():
        x = torch.ones(16, 2**20)  # 64 MiB of float32, touched
        return float(x.sum())

    mb, how = peak_memory_mb(step, torch.device("cpu"))
    assert how == "rss_growth" and 60 <= mb < 128


def test_load_clips_round_robin_over_videos(sample_videos):
    paths = [str(sample_videos[n]) for n in ("bikes.mp4", "carphone_pristine.mp4")]
    cfg = StatsConfig(num_frames=4, interval=4, size=32)
    clips = load_clips(paths, cfg, 4)
    assert clips.frames.shape == (4, 4, 32, 32, 3) and clips.frames.dtype == torch.uint8
    assert [s.rsplit("@", 1) for s in clips.sources] == [[paths[0], "0"], [paths[1], "0"], [paths[0], "16"],
                                                          [paths[1], "16"]]
    assert clips.batch(6).shape[0] == 6 and clips.order(6) == [0, 1, 2, 3, 0, 1]


def _tiny_config(**kw) -> BenchConfig:
    defaults = dict(reducers=available(), modes=("infer", "train"), batch_sizes=(2,), repeats=2, warmup=0)
    return BenchConfig(**{**defaults, **kw})


def test_every_reducer_both_modes_on_the_tiny_preset():
    model = create_model("vit-tiny-test", num_frames=4, img_size=32)
    clips = synthetic_clips(2, 4, 32)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    rows = run_bench(model, clips, _tiny_config())
    assert [(r["mode"], r["reducer"]) for r in rows] == [(m, n) for m in ("infer", "train") for n in available()]
    for r in rows:
        assert r["batch_size"] == 2 and r["attention"] == "sdpa_loop" and r["attention_requested"] == "auto"
        assert r["clips_per_s"] > 0 and r["speedup_spread"]["n"] == 2
        assert r["efficiency"] == pytest.approx(r["speedup"] / r["ideal_speedup"])
        assert 0 < r["tokenizer_share"] and r["peak_mem_mb"] is not None
        assert r["tokens_per_clip"]["grid"] == 8 and 0 < r["tokens_per_clip"]["last"] <= r["tokens_per_clip"]["first"]
    none = [r for r in rows if r["reducer"] == "none"]
    assert all(r["speedup"] == 1.0 and r["ideal_speedup"] == 1.0 for r in none)  # paired with itself
    torch.testing.assert_close(model.state_dict(), before)  # training steps do not leak out


def test_reported_backend_is_the_one_the_dispatch_selected(monkeypatch):
    seen = []
    real = dispatch.select_backend

    def spy(*args, **kwargs):
        name = real(*args, **kwargs)
        seen.append(name)
        return name

    monkeypatch.setattr(dispatch, "select_backend", spy)
    monkeypatch.setenv("RLT_ATTENTION", "math")
    model = create_model("vit-tiny-test", num_frames=4, img_size=32)
    rows = run_bench(model, synthetic_clips(2, 4, 32), _tiny_config(reducers=("none", "rlt"), repeats=1))
    assert set(seen) == {"math"}
    assert {r["attention"] for r in rows} == {"math"} and {r["attention_requested"] for r in rows} == {"auto"}

    monkeypatch.delenv("RLT_ATTENTION")
    seen.clear()
    rows = run_bench(model, synthetic_clips(2, 4, 32), _tiny_config(reducers=("none",), attentions=("auto", "math"),
                                                                     modes=("infer",), repeats=1))
    assert [(r["attention_requested"], r["attention"]) for r in rows] == [("auto", "sdpa_loop"), ("math", "math")]
    assert set(seen) == {"sdpa_loop", "math"}


def test_bench_config_checks_and_adds_the_baseline():
    assert BenchConfig(reducers=("rlt",)).reducers == ("none", "rlt")
    with pytest.raises(ValueError, match="modes"):
        BenchConfig(modes=("eval",))
    with pytest.raises(ValueError, match="batch sizes"):
        BenchConfig(batch_sizes=(0,))
    with pytest.raises(ValueError, match="not run: tome"):
        BenchConfig(reducers=("rlt",), reducer_options={"tome": {"r": 2}})


def test_in_model_reducers_time_their_merging_apart():
    model = create_model("vit-tiny-test", num_frames=4, img_size=32)
    rows = run_bench(model, synthetic_clips(2, 4, 32), _tiny_config(reducers=("tome",), modes=("infer",),
                                                                     reducer_options={"tome": {"r": 2}}))
    tome = next(r for r in rows if r["reducer"] == "tome")
    none = next(r for r in rows if r["reducer"] == "none")
    assert tome["in_model_share"] > 0 and none["in_model_share"] == 0
    assert tome["tokenizer_share"] > tome["in_model_share"]  # normalise + pack, plus the merging
    assert tome["tokens_per_clip"] == {"first": 8.0, "last": 4.0, "grid": 8}  # r = 2 per block, 2 blocks


def test_matched_settings_follow_rlt_on_the_same_clips(sample_videos):
    from rlt.bench.flops import clip_flops
    from rlt.bench.matching import layer_tokens, matched_options
    from rlt.ops import normalize
    from rlt.reducers import create

    model = create_model("vit-tiny-test", num_frames=8, img_size=64, depth=4)
    cfg = StatsConfig(num_frames=8, interval=2, size=64)
    clips = load_clips([str(sample_videos[n]) for n in ("bikes.mp4", "carphone_pristine.mp4")], cfg, 2)
    video = normalize(clips.frames, channels_last=True)
    opts = matched_options(model, video, ("none", "rlt", "random", "tome"), {"rlt": {"tau": 0.1}})
    kept = create("rlt", tau=0.1).pack(video, tubelet_size=2, patch_size=16).seqlens
    assert opts["random"] == {"keep": kept.sum().item() / (2 * 64)}
    target = sum(clip_flops(model, kept[None].expand(5, -1)))

    def cost(r):
        red = create("tome", r=r)
        with torch.inference_mode():
            model.eval()(video, reducer=red)  # the real model, not the proxy
        return sum(clip_flops(model, red.layer_tokens))

    r = opts["tome"]["r"]
    assert abs(cost(r) - target) <= min(abs(cost(r - 1) - target), abs(cost(r + 1) - target))
    red = create("tome", r=r)
    assert torch.equal(layer_tokens(model, video, red), red.layer_tokens)  # the proxy counts as the model does
    with torch.inference_mode():
        model(video, reducer=red)
    assert torch.equal(layer_tokens(model, video, create("tome", r=r)), red.layer_tokens)
    assert matched_options(model, video, ("none", "rlt", "random"), {"random": {"keep": 0.5}}) == {}


def test_settings_are_matched_on_the_batch_that_runs():
    # Batch 3 from 2 distinct clips: the repeated clip counts in RLT's kept fraction, so random matches the batch.
    model = create_model("vit-tiny-test", num_frames=8, img_size=64)
    clips = synthetic_clips(2, 8, 64)
    rows = run_bench(model, clips, _tiny_config(reducers=("rlt", "random"), modes=("infer",), batch_sizes=(3,),
                                                repeats=1))
    tokens = {r["reducer"]: r["tokens_per_clip"]["first"] for r in rows}
    assert tokens["rlt"] < tokens["none"] and abs(tokens["random"] - tokens["rlt"]) <= 0.5
    keep = next(r["reducer_options"]["keep"] for r in rows if r["reducer"] == "random")
    assert keep == pytest.approx(3 * tokens["rlt"] / (3 * tokens["none"]))


def test_load_clip_cuts_as_cut_clips_does(sample_videos):
    from rlt.bench.clips import load_clip
    from rlt.data import cut_clips
    from rlt.ops import normalize

    path = str(sample_videos["bikes.mp4"])
    clip = load_clip(path, num_frames=4, interval=4, size=48)
    assert clip.shape == (1, 3, 4, 48, 48) and clip.dtype == torch.float32
    first = next(cut_clips(path, StatsConfig(num_frames=4, interval=4, size=48).cut))
    torch.testing.assert_close(clip, normalize(first.pixels[None], channels_last=True), rtol=0, atol=0)
