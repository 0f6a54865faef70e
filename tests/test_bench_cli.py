"""``rlt bench``: the JSON/Markdown it writes, its stamps, and a one-line answer to every bad input."""

from __future__ import annotations

import json

import pytest
import torch

from rlt.bench import DEFAULT_REDUCERS
from rlt.cli.main import main
from rlt.models import create_model

TINY = ["--model", "vit-tiny-test", "--num-frames", "4", "--size", "32", "--repeats", "1", "--warmup", "0"]
RESULT_KEYS = {"reducer", "mode", "batch_size", "attention", "tokens_per_clip", "gflops_per_clip", "clips_per_s",
               "ideal_speedup", "speedup", "efficiency", "tokenizer_share", "peak_mem_mb"}

pytestmark = pytest.mark.usefixtures("one_thread")



def test_json_and_markdown_follow_the_schema(tmp_path, capsys):
    out, md = tmp_path / "sub" / "bench.json", tmp_path / "bench.md"
    argv = ["bench", *TINY, "--synthetic", "--mode", "infer,train", "--batch-size", "2,3",
            "--json", str(out), "--md", str(md)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "speedup (median [min-max])" in printed and "tokenizer share" in printed
    doc = json.loads(out.read_text())
    assert set(doc) >= {"config", "machine", "results"}
    assert doc["config"]["command"].startswith("rlt bench") and "--batch-size 2,3" in doc["config"]["command"]
    assert doc["config"]["model"]["width"] == 64 and doc["config"]["clips"]["tau"] == 0.1
    m = doc["machine"]
    assert m["torch"] == torch.__version__ and m["device"] == "cpu" and m["dtype"] == "float32"
    assert m["threads"] == torch.get_num_threads() and m["cpu"]
    rows = doc["results"]
    assert len(rows) == 2 * 2 * len(DEFAULT_REDUCERS)  # batch sizes x modes x reducers
    for r in rows:
        assert RESULT_KEYS <= set(r)
        assert set(r["tokens_per_clip"]) == {"first", "last", "grid"}
        for key in ("gflops_per_clip", "clips_per_s", "ideal_speedup", "speedup", "efficiency", "tokenizer_share",
                    "peak_mem_mb"):
            assert isinstance(r[key], float), key
        assert isinstance(r["batch_size"], int) and isinstance(r["attention"], str)
    text = md.read_text()
    assert "Command: `rlt bench" in text and "| mode | batch |" in text and text.count("\n| infer") == 2 * len(DEFAULT_REDUCERS)


def test_flops_only_reports_tokens_and_gflops_without_timing(tmp_path, sample_videos):
    out = tmp_path / "f.json"
    argv = ["bench", *TINY, str(sample_videos["carphone_pristine.mp4"]), "--flops-only", "--json", str(out)]
    assert main(argv) == 0
    rows = {r["reducer"]: r for r in json.loads(out.read_text())["results"]}
    assert rows["none"]["tokens_per_clip"]["first"] == 8 and rows["none"]["ideal_speedup"] == 1.0
    assert rows["rlt"]["tokens_per_clip"]["first"] < 8 and rows["rlt"]["ideal_speedup"] > 1
    assert rows["rlt"]["speedup"] is None and rows["rlt"]["clips_per_s"] is None


def test_real_videos_with_the_loader_and_a_file_it_cannot_read(tmp_path, sample_videos):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    out = tmp_path / "bench.json"
    argv = ["bench", *TINY, str(sample_videos["bikes.mp4"]), str(broken), "--reducers", "rlt", "--with-loader",
            "--json", str(out)]
    assert main(argv) == 1  # results written, the failure listed
    doc = json.loads(out.read_text())
    assert [f["path"] for f in doc["failed"]] == [str(broken)]
    assert doc["config"]["clip_shape"] == [4, 4, 32, 32]  # 4 consecutive clips of bikes.mp4 fill the batch
    assert all(0 < r["loader_share"] < 1 for r in doc["results"])


def test_checkpoint_builds_the_model_it_describes(tmp_path):
    # A published VideoMAE width (ViT-S's 384), so the head count (6) follows from the weights.
    torch.save({"model": create_model("vit-tiny-test", width=384, heads=6, num_classes=3).state_dict()},
               tmp_path / "ckpt.pth")
    out = tmp_path / "bench.json"
    argv = ["bench", *TINY, "--checkpoint", str(tmp_path / "ckpt.pth"), "--synthetic", "--reducers", "rlt",
            "--json", str(out)]
    assert main(argv) == 0
    model = json.loads(out.read_text())["config"]["model"]
    assert (model["width"], model["heads"], model["depth"], model["num_classes"]) == (384, 6, 2, 3)


def test_heads_names_what_an_unpublished_width_cannot_prove(tmp_path, capsys):
    torch.save({"model": create_model("vit-tiny-test", width=64, heads=4, num_classes=3).state_dict()},
               tmp_path / "ckpt.pth")
    argv = ["bench", *TINY, "--checkpoint", str(tmp_path / "ckpt.pth"), "--synthetic", "--reducers", "rlt",
            "--json", str(tmp_path / "bench.json")]
    assert main(argv) == 1
    assert "heads" in capsys.readouterr().err
    assert main([*argv, "--heads", "4"]) == 0
    assert json.loads((tmp_path / "bench.json").read_text())["config"]["model"]["heads"] == 4


@pytest.fixture
def bad_checkpoints(tmp_path):
    good = tmp_path / "good.pth"
    torch.save({"model": create_model("vit-tiny-test").state_dict()}, good)
    (tmp_path / "empty.pth").write_bytes(b"")
    (tmp_path / "text.pth").write_text("this is not a checkpoint\n")
    (tmp_path / "truncated.pth").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    return tmp_path


@pytest.mark.parametrize("name, words, status", [
    ("missing.pth", "no such file", 2), ("empty.pth", "empty", 2),  # checked up front, as the option's value
    ("text.pth", "cannot be loaded", 1), ("truncated.pth", "cannot be loaded", 1),  # the file fails to load
])
def test_bad_checkpoints_get_one_line(bad_checkpoints, capsys, name, words, status):
    path = str(bad_checkpoints / name)
    assert main(["bench", *TINY, "--synthetic", "--checkpoint", path]) == status
    err = capsys.readouterr().err
    assert words in err and path in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def _exit_status(argv: list[str]) -> int:
    """``main``'s return value, or the status argparse exits with on a malformed option."""
    try:
        return main(argv)
    except SystemExit as exit:
        return exit.code


@pytest.mark.parametrize("args, words", [
    (["--tau", "-1"], "--tau"),
    (["--repeats", "0"], "--repeats"),
    (["--batch-size", "4,0"], "--batch-size"),
    (["--mode", "eval"], "modes must be among infer, train"),
    (["--device", "cuda"], "no CUDA device"),
    (["--device", "potato"], "not a torch device"),
    (["--reducers", "rlt,nonsense"], "nonsense"),
    (["--reducer-opt", "tome"], "NAME.KEY=VALUE"),
    (["--reducer-opt", "rlt.tau=x"], "tau"),
    (["--attention", "nonsense"], "nonsense"),
    (["--model", "vit-xxl"], "vit-s"),
    (["--num-frames", "5"], "tubelet_size"),
])
def test_bad_options_get_one_line_and_exit_2(capsys, monkeypatch, args, words):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # a CPU build, wherever the test runs
    assert _exit_status(["bench", *TINY, "--synthetic", *args]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_output_paths_are_checked_before_any_work(tmp_path, capsys):
    assert main(["bench", *TINY, "--synthetic", "--json", str(tmp_path)]) == 2
    assert "--json" in capsys.readouterr().err
