"""``rlt demo``: end to end on the real sample video, on your own file, and its failure messages."""

from __future__ import annotations

import json
import sys

import pytest
from PIL import Image

from rlt.cli.main import main


@pytest.mark.slow
def test_demo_runs_end_to_end_on_the_sample_video(sample_videos, tmp_path, capsys):
    out = tmp_path / "demo"
    # The default command with one timed clip and one repeat, to stay well under a minute in CI.
    assert main(["demo", "--out", str(out), "--clips", "1", "--repeats", "1", "--warmup", "0"]) == 0
    text = capsys.readouterr().out
    for step in ("[1/4]", "[2/4]", "[3/4]", "[4/4]"):
        assert step in text
    assert "carphone_pristine.mp4" in text and "measured speedup" in text and "ideal FLOP ratio" in text
    result = json.loads((out / "demo.json").read_text())
    assert result["clips"] == 3 and 0 < result["kept_fraction"] < 1  # 120 frames, every 2nd: 3 clips of 16
    bench = result["bench"]
    assert bench["tokens_kept"] < bench["tokens_total"] and bench["ideal_speedup"] > 1
    with Image.open(out / "viz.png") as png, Image.open(out / "viz.gif") as gif:
        assert png.size == (1848, 490) and gif.n_frames == 16


def test_demo_on_your_own_video_without_timing(synthetic_videos, tmp_path, capsys):
    out = tmp_path / "mine"
    argv = ["demo", "--video", str(synthetic_videos.files["h264.mp4"]), "--out", str(out), "--no-bench",
            "--size", "32", "--num-frames", "8", "--interval", "1"]
    assert main(argv) == 0
    result = json.loads((out / "demo.json").read_text())
    assert result["clips"] == 3 and "bench" not in result
    assert (out / "viz.png").stat().st_size > 0 and (out / "viz.gif").stat().st_size > 0
    assert "timing skipped" in capsys.readouterr().out


def test_demo_reports_bad_inputs(synthetic_videos, tmp_path, capsys, monkeypatch):
    assert main(["demo", "--video", str(synthetic_videos.empty), "--out", str(tmp_path / "d")]) == 1
    assert "empty" in capsys.readouterr().err
    assert main(["demo", "--model", "vit-xxl", "--out", str(tmp_path / "d")]) == 2
    assert "vit-s" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "PIL", None)  # as if pillow were not installed
    assert main(["demo", "--video", str(synthetic_videos.files["h264.mp4"]), "--out", str(tmp_path / "d")]) == 2
    assert 'pip install -e ".[viz]"' in capsys.readouterr().err  # the hint comes from rlt.optional
