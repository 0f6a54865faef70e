"""``rlt stats`` end to end: JSON schema, every input accounted for, exit status, CSV, workers, progress."""

from __future__ import annotations

import csv
import io
import json
import shutil
import time
from concurrent.futures import ThreadPoolExecutor

import jsonschema
import pytest

from rlt.cli.main import main
from rlt.stats import StatsConfig, video_stats
from rlt.stats.parallel import ordered_map
from rlt.stats.progress import Progress
from rlt.stats.schemas import stats_schema

ARGS = ["--num-frames", "8", "--interval", "1", "--size", "32", "--progress", "lines"]


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture()
def mixed_folder(synthetic_videos, tmp_path):
    """Three good videos and three broken ones in nested folders, plus a file that is not an input."""
    root = tmp_path / "dataset"
    (root / "sub").mkdir(parents=True)
    shutil.copy(synthetic_videos.files["h264.mp4"], root / "a.mp4")
    shutil.copy(synthetic_videos.files["ffv1.mkv"], root / "sub" / "b.mkv")
    shutil.copy(synthetic_videos.odd, root / "sub" / "odd.mkv")
    shutil.copy(synthetic_videos.empty, root / "empty.mp4")
    shutil.copy(synthetic_videos.not_video, root / "sub" / "not_video.mp4")
    shutil.copy(synthetic_videos.no_frames, root / ("no_frames" + synthetic_videos.no_frames.suffix))
    (root / "README.txt").write_text("not a video, not an input\n")
    return root


def test_stats_lists_every_failure_and_exits_1(mixed_folder, tmp_path, capsys):
    out_json, out_csv = tmp_path / "stats.json", tmp_path / "stats.csv"
    code = main(["stats", str(mixed_folder), "--json", str(out_json), "--csv", str(out_csv), *ARGS])
    assert code == 1
    data = json.loads(out_json.read_text())
    jsonschema.validate(data, stats_schema())
    processed = sorted(r["path"].rsplit("/", 1)[1] for r in data["videos"])
    failed = sorted(f["path"].rsplit("/", 1)[1] for f in data["summary"]["failed"])
    assert processed == ["a.mp4", "b.mkv", "odd.mkv"]
    assert failed == sorted(["empty.mp4", "not_video.mp4", next(mixed_folder.glob("no_frames*")).name])
    assert all(f["error"] for f in data["summary"]["failed"])
    summary = data["summary"]
    assert summary["videos"] == 3
    assert summary["clips"] == sum(r["clips"] for r in data["videos"])
    assert summary["tokens_kept"] == sum(r["tokens_kept"] for r in data["videos"])
    assert summary["kept_fraction"] == summary["tokens_kept"] / summary["tokens_total"]
    with open(out_csv, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 6 and sum(1 for r in rows if r["error"]) == 3
    captured = capsys.readouterr()
    assert captured.err.count("[") >= 6 and "/6]" in captured.err  # one plain line per input, not a bar
    assert "3 processed, 3 failed" in captured.out


def test_stats_rows_equal_the_library_numbers(synthetic_videos, tmp_path):
    path = synthetic_videos.files["h264.mp4"]
    out = tmp_path / "one.json"
    assert main(["stats", str(path), "--json", str(out), "--tau", "0.2", *ARGS]) == 0
    data = json.loads(out.read_text())
    jsonschema.validate(data, stats_schema())
    expected = video_stats(path, StatsConfig(tau=0.2, num_frames=8, interval=1, size=32)).row()
    assert data["videos"] == [expected]
    assert data["summary"]["failed"] == []
    assert data["config"]["tau"] == 0.2 and data["config"]["interval"] == 1


def test_missing_path_is_a_failure_not_a_crash(tmp_path, capsys):
    out = tmp_path / "s.json"
    assert main(["stats", str(tmp_path / "nope.mp4"), "--json", str(out), *ARGS]) == 1
    data = json.loads(out.read_text())
    jsonschema.validate(data, stats_schema())
    assert data["summary"]["failed"] == [{"path": str(tmp_path / "nope.mp4"), "error": "no such file or folder"}]


def test_workers_give_the_same_rows_in_the_same_order(mixed_folder, tmp_path):
    one, two = tmp_path / "w1.json", tmp_path / "w2.json"
    assert main(["stats", str(mixed_folder), "--json", str(one), "--progress", "none", *ARGS[:-2]]) == 1
    assert main(["stats", str(mixed_folder), "--json", str(two), "--workers", "2", "--progress", "none",
                 *ARGS[:-2]]) == 1
    a, b = json.loads(one.read_text()), json.loads(two.read_text())
    assert a["videos"] == b["videos"] and a["summary"] == b["summary"]


@pytest.mark.parametrize("argv", [
    ["--tau", "-0.1"], ["--tau", "nan"], ["--num-frames", "0"], ["--interval", "0"], ["--fps", "0"],
    ["--interval", "2", "--fps", "5"], ["--workers", "-1"], ["--size", "abc"], ["--mode", "next"],
])
def test_out_of_range_arguments_exit_2(argv, synthetic_videos, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["stats", str(synthetic_videos.files["h264.mp4"]), *argv])
    assert exc.value.code == 2
    assert "error" in capsys.readouterr().err


@pytest.mark.parametrize("argv,name", [(["--num-frames", "15"], "num_frames=15"), (["--size", "100"], "size=100"),
                                       (["--patch-size", "10"], "patch_size=10")])
def test_inconsistent_arguments_exit_2_naming_them(argv, name, synthetic_videos, capsys):
    assert main(["stats", str(synthetic_videos.files["h264.mp4"]), *argv]) == 2
    assert name in capsys.readouterr().err


def _slow_first_square(x: int) -> int:
    time.sleep(0.05 if x == 0 else 0.0)  # the first input finishes last
    return x * x


def test_ordered_map_keeps_order_and_bounds_the_work_in_flight(monkeypatch):
    import rlt.stats.parallel as parallel

    # Threads stand in for processes so the scheduling logic is tested without process start-up;
    # test_workers_give_the_same_rows_in_the_same_order runs the real process pool.
    monkeypatch.setattr(parallel, "ProcessPoolExecutor",
                        lambda workers, mp_context, initializer: ThreadPoolExecutor(workers))
    consumed = []

    def items():
        for k in range(12):
            consumed.append(k)
            yield k

    results = ordered_map(_slow_first_square, items(), workers=2, window=3)
    assert next(results) == 0
    assert len(consumed) <= 3  # never more than `window` inputs taken before the first result
    assert [0, *results] == [k * k for k in range(12)]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_on_a_terminal_and_lines_otherwise():
    terminal, log = _Terminal(), io.StringIO()
    with Progress(2, desc="rlt stats", stream=terminal) as bar, Progress(2, stream=log) as lines:
        for k in range(2):
            bar.step(f"v{k}: ok")
            lines.step(f"v{k}: ok")
        bar.step("v2: FAILED: broken", important=True)
    assert "rlt stats" in terminal.getvalue() and "v2: FAILED: broken" in terminal.getvalue()
    assert "v0: ok" not in terminal.getvalue()  # a bar, not a line per item
    assert log.getvalue() == "[1/2] v0: ok\n[2/2] v1: ok\n"


def test_kinetics_style_list_with_a_missing_entry(synthetic_videos, tmp_path):
    shutil.copy(synthetic_videos.files["h264.mp4"], tmp_path / "a.mp4")
    (tmp_path / "val.txt").write_text("a.mp4 3\nmissing.mp4 5\n")
    out = tmp_path / "s.json"
    assert main(["stats", str(tmp_path / "val.txt"), "--json", str(out), *ARGS]) == 1
    data = json.loads(out.read_text())
    jsonschema.validate(data, stats_schema())
    assert [r["path"] for r in data["videos"]] == [str(tmp_path / "a.mp4")]
    assert [f["path"] for f in data["summary"]["failed"]] == [str(tmp_path / "missing.mp4")]


def test_ssv2_json_list_needs_its_labels_file(synthetic_videos, tmp_path):
    shutil.copy(synthetic_videos.files["h264.mp4"], tmp_path / "17.webm")
    (tmp_path / "val.json").write_text(json.dumps([{"id": "17", "template": "Pushing [something]"}]))
    (tmp_path / "labels.json").write_text(json.dumps({"Pushing something": "0"}))
    out = tmp_path / "s.json"
    assert main(["stats", str(tmp_path / "val.json"), "--json", str(out), *ARGS]) == 1
    assert "--ssv2-labels" in json.loads(out.read_text())["summary"]["failed"][0]["error"]
    assert main(["stats", str(tmp_path / "val.json"), "--ssv2-labels", str(tmp_path / "labels.json"),
                 "--json", str(out), *ARGS]) == 0
    assert [r["path"] for r in json.loads(out.read_text())["videos"]] == [str(tmp_path / "17.webm")]
