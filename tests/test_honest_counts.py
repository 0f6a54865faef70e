"""Savings are counted on real content only (issue 13, defect 12): padded and duplicated frames apart.

Noise videos make the point exactly: every patch of every real frame differs, so at
``tau = 0`` RLT keeps 100% of the real tokens. Before the fix, padding (a video
shorter than one clip) and duplicates (``--fps`` above the source rate) were
counted as dropped tokens and the same videos reported 50% and 67% kept.
"""

from __future__ import annotations

import json

import jsonschema
import numpy as np
import pytest
import torch

from rlt.cli.main import main
from rlt.data import CutConfig, cut_clips
from rlt.data.cut import synthetic_frames
from rlt.stats import StatsConfig, plan_clip, video_stats
from rlt.stats.schemas import stats_schema, sweep_schema
from video_factory import write_video

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def noise_videos(tmp_path_factory):
    """``short``: 3 noise frames (lossless, 24 fps); ``long``: 8 noise frames at 24 fps. 32x32 pixels."""
    pytest.importorskip("av")
    root = tmp_path_factory.mktemp("noise")
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, size=(8, 32, 32, 3), dtype=np.uint8)
    return {"short": write_video(root / "short.mkv", frames[:3], fps=24, codec="ffv1"),
            "long": write_video(root / "long.mkv", frames, fps=24, codec="ffv1")}


def test_synthetic_frames_marks_padding_and_repeats():
    assert synthetic_frames([0, 0, 1, 2, 2, 2], padded=2).tolist() == [False, True, False, False, True, True]
    assert synthetic_frames([4, 5, 6], padded=0).tolist() == [False, False, False]


def test_plan_counts_only_real_tubelets():
    pixels = torch.randint(0, 256, (8, 32, 32, 3), dtype=torch.uint8)
    pixels[5:] = pixels[4]  # frames 5..7 pad frame 4
    config = StatsConfig(tau=0.0, num_frames=8, interval=1, size=32, patch_size=16)
    plan = plan_clip(pixels, config, synthetic=synthetic_frames([0, 1, 2, 3, 4, 4, 4, 4], padded=3), padded=3)
    assert plan.real_tubelets.tolist() == [True, True, True, False]  # tubelet 2 = frames 4, 5: frame 4 is real
    assert (plan.tokens_total, plan.tokens_kept, plan.tokens_synthetic) == (12, 12, 4)
    assert plan.tubelet_labels() == [None, None, None, "padding"]
    everything = plan_clip(pixels, config)  # without the marks every tubelet counts, as before the fix
    assert (everything.tokens_total, everything.tokens_kept) == (16, 12)


def test_short_video_padding_is_neither_kept_nor_dropped(noise_videos):
    result = video_stats(noise_videos["short"], StatsConfig(tau=0.0, num_frames=8, interval=1, size=32))
    row = result.row()
    assert row["padded_frames"] == 5 and row["duplicated_frames"] == 0
    assert row["kept_fraction"] == 1.0  # was 0.5: 2 padded tubelets counted as dropped
    assert row["tokens_total"] == 2 * 4  # tubelets 0 and 1 (frames 0-1, 2-3: frame 2 is real), 4 patches each


def test_fps_above_the_source_rate_counts_duplicates_apart(noise_videos):
    clips = list(cut_clips(noise_videos["long"], CutConfig(num_frames=8, fps=96, interval=None, size=32)))
    first = clips[0]
    assert first.indices[:4] == [0, 0, 0, 0] and first.source_fps == pytest.approx(24, rel=0.01) and first.padded == 0
    assert first.duplicated == len(first.indices) - len(set(first.indices)) >= 5  # ~4 samples per source frame
    result = video_stats(noise_videos["long"], StatsConfig(tau=0.0, num_frames=8, fps=96, interval=None, size=32))
    assert result.row()["kept_fraction"] == 1.0  # was 0.67: tubelets of repeated frames counted as dropped
    assert result.row()["duplicated_frames"] == sum(c.duplicated for c in clips)


def test_stats_json_and_table_report_padding_and_duplicates(noise_videos, tmp_path, capsys):
    out = tmp_path / "s.json"
    assert main(["stats", str(noise_videos["short"]), str(noise_videos["long"]), "--fps", "48", "--tau", "0",
                 "--num-frames", "8", "--size", "32", "--json", str(out), "--progress", "lines"]) == 0
    data = json.loads(out.read_text())
    jsonschema.validate(data, stats_schema())
    summary = data["summary"]
    assert summary["kept_fraction"] == 1.0
    assert summary["padded_frames"] == sum(r["padded_frames"] for r in data["videos"]) > 0
    assert summary["duplicated_frames"] == sum(r["duplicated_frames"] for r in data["videos"]) > 0
    captured = capsys.readouterr()
    assert "warning: frames are sampled above the frame rate" in captured.err
    assert "fps), so frames repeat" in captured.err
    assert captured.err.count("warning") == 1  # once per run, not per video
    assert "duplicated frames (neither kept nor dropped)" in captured.out


def test_no_warning_below_the_source_rate(noise_videos, capsys):
    assert main(["stats", str(noise_videos["long"]), "--fps", "20", "--num-frames", "8", "--size", "32",
                 "--progress", "none"]) == 0
    assert "warning" not in capsys.readouterr().err


def test_sweep_points_count_real_tokens(noise_videos, tmp_path):
    out = tmp_path / "w.json"
    assert main(["sweep", str(noise_videos["long"]), "--taus", "0,0.1", "--fps", "96,20", "--num-frames", "8",
                 "--size", "32", "--json", str(out), "--progress", "none"]) == 0
    data = json.loads(out.read_text())
    jsonschema.validate(data, sweep_schema())
    at_zero = {p["fps"]: p for p in data["summary"]["points"] if p["tau"] == 0}
    assert at_zero[96]["kept_fraction"] == at_zero[20]["kept_fraction"] == 1.0
    assert at_zero[96]["duplicated_frames"] > 0 and at_zero[20]["duplicated_frames"] == 0


def test_viz_labels_padded_tubelets(noise_videos, tmp_path, capsys):
    pytest.importorskip("PIL")
    from PIL import Image

    out = tmp_path / "v.png"
    assert main(["viz", str(noise_videos["short"]), "--out", str(out), "--num-frames", "8", "--interval", "1",
                 "--size", "32", "--tau", "0"]) == 0
    printed = capsys.readouterr().out
    assert "kept 8/8 tokens (100.0%)" in printed and "2 tubelets of padding or repeated frames not counted" in printed
    labelled = np.asarray(Image.open(out).convert("RGB"))
    assert main(["viz", str(noise_videos["long"]), "--out", str(out), "--num-frames", "8", "--interval", "1",
                 "--size", "32"]) == 0
    plain = np.asarray(Image.open(out).convert("RGB"))
    assert labelled.shape == plain.shape and (labelled != plain).any()


def test_still_picture_writes_the_label_on_the_rlt_tile():
    pytest.importorskip("PIL")
    from rlt.viz import still_picture

    pixels = torch.zeros(4, 32, 32, 3, dtype=torch.uint8)
    keep = torch.ones(2, 2, 2, dtype=torch.bool)
    plain, layout = still_picture(pixels, keep, tubelet_size=2, patch_size=16, tau=0.1)
    marked, _ = still_picture(pixels, keep, tubelet_size=2, patch_size=16, tau=0.1, tubelet_labels=[None, "padding"])
    for side, k in ((0, 0), (0, 1), (1, 0)):  # only the RLT tile of tubelet 1 changes
        y, x = layout.origin(side, k)
        np.testing.assert_array_equal(marked[y : y + 32, x : x + 32], plain[y : y + 32, x : x + 32])
    y, x = layout.origin(1, 1)
    assert (marked[y : y + 32, x : x + 32] != plain[y : y + 32, x : x + 32]).any()
    with pytest.raises(ValueError, match="one entry per tubelet"):
        still_picture(pixels, keep, tubelet_size=2, patch_size=16, tau=0.1, tubelet_labels=["padding"])
