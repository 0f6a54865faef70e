"""The tau sweep: monotone kept fraction, agreement with ``rlt stats``, JSON schema, the plot."""

from __future__ import annotations

import json

import jsonschema
import pytest
from PIL import Image

from rlt.cli.main import main
from rlt.stats import StatsConfig, Sampling, SweepJob, SweepSummary, VideoSweep, video_stats
from rlt.stats.schemas import sweep_schema
from rlt.viz.sweep_plot import SweepSeries, plot_sweep

TAUS = (0.0, 0.02, 0.05, 0.1, 0.2, 0.4, 1.0)


pytestmark = pytest.mark.usefixtures("one_thread")


def test_kept_fraction_does_not_increase_with_tau(synthetic_videos, sample_videos):
    config = StatsConfig(num_frames=8, size=64)
    job = SweepJob(config, TAUS, (Sampling(interval=1), Sampling(interval=4)))
    videos = [synthetic_videos.files["h264.mp4"], sample_videos["carphone_pristine.mp4"]]
    for path in videos:
        result = job(path)
        assert isinstance(result, VideoSweep)
        for sampling in job.samplings:
            kept = [result.tallies[sampling, tau].tokens_kept for tau in TAUS]
            assert kept == sorted(kept, reverse=True), (path, sampling, kept)
            assert kept[0] > kept[-1]  # the sweep is not flat: tau matters on these videos


def test_sweep_points_equal_stats_at_each_tau(synthetic_videos):
    path = synthetic_videos.files["mpeg4.avi"]
    base = StatsConfig(num_frames=8, interval=2, size=32)
    result = SweepJob(base, (0.05, 0.3), (Sampling(interval=2),))(path)
    for tau in (0.05, 0.3):
        expected = video_stats(path, StatsConfig(tau=tau, num_frames=8, interval=2, size=32)).tally
        assert result.tallies[Sampling(interval=2), tau] == expected


def test_summary_pools_videos():
    from rlt.stats import ClipTally

    s = Sampling(interval=4)
    summary = SweepSummary((0.1,), (s,))
    for kept in (10, 30):
        tally = ClipTally()
        tally.add(100, kept, 30.0)
        summary.add(VideoSweep(f"{kept}.mp4", {(s, 0.1): tally}))
    point = summary.to_json()["points"][0]
    assert (point["tokens_kept"], point["tokens_total"], point["kept_fraction"], point["psnr"]) == (40, 200, 0.2, 30.0)


def test_cli_sweep_json_csv_and_plot(synthetic_videos, tmp_path, capsys):
    out_json, out_png, out_csv = tmp_path / "s.json", tmp_path / "s.png", tmp_path / "s.csv"
    code = main(["sweep", str(synthetic_videos.files["h264.mp4"]), str(synthetic_videos.empty),
                 "--taus", "0.2,0,0.1", "--interval", "4,1", "--num-frames", "4", "--size", "32",
                 "--json", str(out_json), "--out", str(out_png), "--csv", str(out_csv), "--progress", "none"])
    assert code == 1  # the empty file failed, and is listed
    data = json.loads(out_json.read_text())
    jsonschema.validate(data, sweep_schema())
    assert data["config"]["taus"] == [0.0, 0.1, 0.2]
    assert [f["path"] for f in data["summary"]["failed"]] == [str(synthetic_videos.empty)]
    points = data["summary"]["points"]
    assert [(p["interval"], p["tau"]) for p in points] == [(4, 0.0), (4, 0.1), (4, 0.2), (1, 0.0), (1, 0.1), (1, 0.2)]
    for interval in (4, 1):
        kept = [p["kept_fraction"] for p in points if p["interval"] == interval]
        assert kept == sorted(kept, reverse=True)
    assert len(out_csv.read_text().strip().splitlines()) == 1 + 6 + 1  # header, 6 points, 1 failure
    with Image.open(out_png) as image:
        assert image.size == (1000, 400)
    assert "interval 1" in capsys.readouterr().out


def test_cli_sweep_rejects_bad_taus(synthetic_videos):
    for taus in ("0,-0.1", "a,b", ","):
        with pytest.raises(SystemExit) as exc:
            main(["sweep", str(synthetic_videos.files["h264.mp4"]), "--taus", taus])
        assert exc.value.code == 2


def test_plot_sweep_draws_a_png(tmp_path):
    series = [SweepSeries("interval 4", (0.0, 0.1, 0.2), (0.9, 0.5, 0.3), (None, 35.0, 30.0))]
    plot_sweep(series, tmp_path / "curve.png", title="t")
    with Image.open(tmp_path / "curve.png") as image:
        assert image.size == (1000, 400)
    with pytest.raises(ValueError):
        plot_sweep([], tmp_path / "none.png")


def test_committed_sweep_benchmark_follows_the_schema():
    """benchmarks/sweep_samples.json (the README's table) is what `rlt sweep --json` writes today."""
    import json
    from pathlib import Path

    import jsonschema

    from rlt.stats.schemas import sweep_schema

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "sweep_samples.json"
    jsonschema.validate(json.loads(path.read_text()), sweep_schema())
