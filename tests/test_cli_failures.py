"""Every bad input gets a clean answer: one line and the documented exit status, never a lost run.

Regression tests for issue 13 (defects 1, 3, 6, 7, 8, 13, 14 on the CLI side),
plus the bad-input corpus of ``tests/bad_inputs.py`` run through ``stats``,
``sweep``, ``viz`` and the dataset API.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest
import torch

from bad_inputs import NON_UTF8, write_bad_corpus
from crashing_job import CRASH_MARK, SegfaultingVideoJob, square_or_segfault
from rlt.cli.main import main
from rlt.stats.parallel import CRASH_REASON, ordered_map
from rlt.stats.schemas import stats_schema, sweep_schema

SMALL = ["--num-frames", "8", "--interval", "1", "--size", "32", "--progress", "none"]
SRC = str(Path(__file__).resolve().parents[1] / "src")

pytestmark = pytest.mark.usefixtures("one_thread")


def rlt_process(*argv: str, **kwargs) -> subprocess.Popen:
    """``python -m rlt.cli.main ARGV`` in a child process running this checkout."""
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen([sys.executable, "-m", "rlt.cli.main", *argv], env=env, stderr=subprocess.PIPE,
                            text=True, **kwargs)


@pytest.fixture(scope="module")
def corpus(synthetic_videos, tmp_path_factory):
    pytest.importorskip("PIL")
    return write_bad_corpus(tmp_path_factory.mktemp("corpus") / "bad", synthetic_videos)


def _name(path: str) -> str:
    return path.rsplit("/", 1)[1]


# --- the bad-input corpus through every dataset-wide entry point -----------------------------------------------


def test_corpus_through_stats_accounts_for_every_input(corpus, tmp_path, capsys):
    out_json, out_csv = tmp_path / "s.json", tmp_path / "s.csv"
    code = main(["stats", str(corpus.root), str(corpus.missing), "--json", str(out_json), "--csv", str(out_csv),
                 *SMALL])
    captured = capsys.readouterr()
    assert code == 1 and "Traceback" not in captured.err
    data = json.loads(out_json.read_text())
    jsonschema.validate(data, stats_schema())
    assert {_name(r["path"]) for r in data["videos"]} == corpus.expected_ok
    failed = {_name(f["path"]): f["error"] for f in data["summary"]["failed"]}
    assert set(failed) == set(corpus.expected_failed) | {"not_here.mp4"}
    for name, words in corpus.expected_failed.items():
        assert words in failed[name], (name, failed[name])
    assert failed["not_here.mp4"] == "no such file or folder"
    with open(out_csv, newline="", encoding="utf-8", errors="surrogateescape") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == corpus.inputs + 1


def test_corpus_through_sweep_accounts_for_every_input(corpus, tmp_path, capsys):
    out_json, out_csv = tmp_path / "w.json", tmp_path / "w.csv"
    code = main(["sweep", str(corpus.root), "--taus", "0,0.1", "--json", str(out_json), "--csv", str(out_csv), *SMALL])
    assert code == 1 and "Traceback" not in capsys.readouterr().err
    data = json.loads(out_json.read_text())
    jsonschema.validate(data, sweep_schema())
    assert {_name(r["path"]) for r in data["videos"]} == corpus.expected_ok
    assert {_name(f["path"]) for f in data["summary"]["failed"]} == set(corpus.expected_failed)


def test_corpus_through_viz_one_line_each(corpus, tmp_path, capsys):
    for name in sorted(corpus.expected_ok):
        assert main(["viz", str(corpus.root / name), "--out", str(tmp_path / "v.png"), *SMALL[:-2]]) == 0, name
    for name, words in sorted(corpus.expected_failed.items()):
        assert main(["viz", str(corpus.root / name), "--out", str(tmp_path / "v.png"), *SMALL[:-2]]) == 1, name
        err = capsys.readouterr().err
        assert "Traceback" not in err and words in err and err.count("\n") == 1, (name, err)


def test_corpus_through_the_dataset_api(corpus):
    from rlt.data import ClipConfig, FailureReport, VideoClipDataset, VideoRecord

    names = sorted(corpus.expected_ok) + sorted(corpus.expected_failed)
    records = [VideoRecord(str(corpus.root / n), k) for k, n in enumerate(names)]
    ds = VideoClipDataset(records, ClipConfig(split="val", num_frames=4, interval=1, size=32, short_side=32))
    report, served = FailureReport(), set()
    for k in range(len(ds)):
        item = ds[k]
        report.update(item["failures"])
        served.add(_name(item["path"]))
    assert served <= corpus.expected_ok
    failed = {_name(p): reason for p, reason in report.by_path().items()}
    assert set(failed) <= set(corpus.expected_failed)
    strict = VideoClipDataset(records, ClipConfig(split="val", num_frames=4, interval=1, size=32, short_side=32,
                                                  on_error="raise"))
    from rlt.data import VideoDecodeError

    for k, name in enumerate(names):  # every input either loads or raises the one documented error, with a reason
        if name in corpus.expected_ok:
            assert strict[k]["video"].shape == (4, 32, 32, 3)
        else:
            with pytest.raises(VideoDecodeError, match=corpus.expected_failed[name]):
                strict[k]


# --- defect 1: file names that are not UTF-8 ---------------------------------------------------------------------


def test_non_utf8_file_names_round_trip_in_json_and_csv(synthetic_videos, tmp_path):
    folder = tmp_path / "names"
    folder.mkdir()
    raw = os.path.join(os.fsencode(folder), NON_UTF8)
    shutil.copy(synthetic_videos.files["h264.mp4"], raw)
    for command, extra in (("stats", []), ("sweep", ["--taus", "0,0.1"])):
        out_json, out_csv = tmp_path / f"{command}.json", tmp_path / f"{command}.csv"
        assert main([command, str(folder), "--json", str(out_json), "--csv", str(out_csv), *extra, *SMALL]) == 0
        row = json.loads(out_json.read_text())["videos"][0]
        assert os.fsencode(row["path"]) == raw  # the real bytes come back
        with open(out_csv, newline="", encoding="utf-8", errors="surrogateescape") as f:
            assert {os.fsencode(r["path"]) for r in csv.DictReader(f)} == {raw}


# --- defect 3: a worker that dies costs one row -------------------------------------------------------------------


def test_ordered_map_survives_a_segfaulting_worker():
    results = list(ordered_map(square_or_segfault, range(8), workers=2, on_crash=lambda item, why: ("crashed", item)))
    assert results == [0, 1, 4, ("crashed", 3), 16, 25, 36, 49]


def test_ordered_map_without_on_crash_raises():
    from concurrent.futures.process import BrokenProcessPool

    with pytest.raises(BrokenProcessPool):
        list(ordered_map(square_or_segfault, range(5), workers=2))


def test_stats_workers_list_a_crashed_worker_as_one_failed_row(synthetic_videos, tmp_path, monkeypatch):
    import rlt.stats

    folder = tmp_path / "crash"
    folder.mkdir()
    for name in ("a.mp4", f"{CRASH_MARK}.mp4", "c.mp4"):
        shutil.copy(synthetic_videos.files["h264.mp4"], folder / name)
    monkeypatch.setattr(rlt.stats, "VideoJob", SegfaultingVideoJob)  # the command builds its job from here
    out = tmp_path / "s.json"
    assert main(["stats", str(folder), "--workers", "2", "--json", str(out), *SMALL]) == 1
    data = json.loads(out.read_text())
    jsonschema.validate(data, stats_schema())
    assert sorted(_name(r["path"]) for r in data["videos"]) == ["a.mp4", "c.mp4"]
    assert data["summary"]["failed"] == [{"path": str(folder / f"{CRASH_MARK}.mp4"), "error": CRASH_REASON}]


# --- defect 6: output paths are checked before the work --------------------------------------------------------


def test_missing_output_folders_are_created(synthetic_videos, tmp_path):
    out_json, out_csv = tmp_path / "a" / "b" / "s.json", tmp_path / "c" / "s.csv"
    assert main(["stats", str(synthetic_videos.files["h264.mp4"]), "--json", str(out_json), "--csv", str(out_csv),
                 *SMALL]) == 0
    assert json.loads(out_json.read_text())["summary"]["videos"] == 1 and out_csv.stat().st_size > 0


@pytest.mark.parametrize("command", ["stats", "sweep", "viz"])
def test_unwritable_outputs_exit_2_before_any_work(command, synthetic_videos, tmp_path, capsys, monkeypatch):
    import rlt.data.cut

    def no_work(*args, **kwargs):
        raise AssertionError("a video was decoded before the output paths were checked")

    monkeypatch.setattr(rlt.data.cut, "cut_clips", no_work)
    video = str(synthetic_videos.files["h264.mp4"])
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    option = "--out" if command == "viz" else "--json"
    for bad, words in ((tmp_path, "is a folder"), (a_file / "x.png", "is a file, not a folder")):
        assert main([command, video, option, str(bad), *SMALL[:-2]]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and option in err and words in err, err


def test_a_full_disk_is_one_line_and_exit_1(synthetic_videos, capsys):
    if not os.path.exists("/dev/full"):
        pytest.skip("needs /dev/full (Linux) to simulate a full disk")
    assert main(["stats", str(synthetic_videos.files["h264.mp4"]), "--json", "/dev/full", *SMALL]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "/dev/full" in err and "No space left" in err


# --- defect 7: the general rule in main, and rlt tokenize ----------------------------------------------------------


@pytest.mark.parametrize("content,words", [
    (b"just text\n", "not a file written by torch.save"),
    (b"", "not a file written by torch.save"),
])
def test_tokenize_a_file_that_is_not_a_tensor(content, words, tmp_path, capsys):
    path = tmp_path / "clip.pt"
    path.write_bytes(content)
    assert main(["tokenize", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err and str(path) in err


@pytest.mark.parametrize("value,words", [
    ({"a": 1}, "holds a dict"),
    (torch.zeros(1, 16, 32, 32, 4), "channels-last (B, T, H, W, 4)"),
    (torch.zeros(1, 3, 4, 32, 32, dtype=torch.uint8), "rlt.ops.normalize"),
    (torch.zeros(3, 4, 32, 32), "4-D tensor"),
])
def test_tokenize_a_tensor_of_the_wrong_kind(value, words, tmp_path, capsys):
    path = tmp_path / "clip.pt"
    torch.save(value, path)
    assert main(["tokenize", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err


@pytest.mark.parametrize("argv", [["--tau", "-1"], ["--tau", "nan"], ["--patch-size", "0"], ["--mode", "next"]])
def test_tokenize_options_are_range_checked(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["tokenize", *argv])
    assert exc.value.code == 2
    assert ("--" + argv[0][2:]) in capsys.readouterr().err


def test_tokenize_missing_file_is_one_line(tmp_path, capsys):
    assert main(["tokenize", str(tmp_path / "nope.pt")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No such file" in err


def test_a_bug_prints_its_traceback_and_says_it_is_a_bug(monkeypatch, capsys):
    import rlt.cli.tokenize

    def broken(args):
        return {}["missing key"]  # a programming error, not a user's

    monkeypatch.setattr(rlt.cli.tokenize, "run", broken)
    assert main(["tokenize"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "KeyError" in err and "this is a bug in rlt" in err


def test_a_bug_inside_stats_is_not_a_failed_row(synthetic_videos, monkeypatch, capsys, tmp_path):
    import rlt.stats.video

    def broken(*args, **kwargs):
        raise TypeError("a programming error")

    monkeypatch.setattr(rlt.stats.video, "plan_cut_clip", broken)
    assert main(["stats", str(synthetic_videos.files["h264.mp4"]), *SMALL]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "this is a bug in rlt" in err


# --- defect 13: messages that say what is wrong ------------------------------------------------------------------


@pytest.mark.parametrize("taus", ["0.1,,0.2", "0.1,", ",", ""])
def test_empty_items_in_taus_are_rejected_naming_the_option(taus, synthetic_videos, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["sweep", str(synthetic_videos.files["h264.mp4"]), "--taus", taus])
    assert exc.value.code == 2 and "--taus" in capsys.readouterr().err


def test_explicit_link_loop_and_dangling_link_say_so(tmp_path, capsys):
    os.symlink(tmp_path / "b.mp4", tmp_path / "a.mp4")
    os.symlink(tmp_path / "a.mp4", tmp_path / "b.mp4")
    os.symlink(tmp_path / "gone.mp4", tmp_path / "dangling.mp4")
    out = tmp_path / "s.json"
    assert main(["stats", str(tmp_path / "a.mp4"), str(tmp_path / "dangling.mp4"), "--json", str(out), *SMALL]) == 1
    failed = json.loads(out.read_text())["summary"]["failed"]
    assert "symbolic link loop" in failed[0]["error"]
    assert "broken symbolic link" in failed[1]["error"]


# --- defect 14: a closed pipe and Ctrl-C -------------------------------------------------------------------------


def test_stdout_closed_early_is_not_an_error(synthetic_videos):
    process = rlt_process("stats", str(synthetic_videos.files["h264.mp4"]), *SMALL, stdout=subprocess.PIPE)
    process.stdout.close()  # as `| head -0` does: the reader is gone before anything is printed
    err = process.stderr.read()
    assert process.wait(timeout=120) == 141
    assert "Traceback" not in err and "BrokenPipeError" not in err


@pytest.mark.slow
def test_ctrl_c_with_workers_exits_promptly(synthetic_videos, tmp_path):
    """The first input is short, the rest long: at Ctrl-C, long videos are queued and running in the workers.

    Before the fix the command waited for them (about 11 s here); now the workers are
    stopped at once. Timed to the "interrupted" line, which is printed once the workers
    are gone; the interpreter's own exit (about 1.5 s with torch loaded) is not ours.
    """
    from video_factory import moving_square_frames, write_video

    short = synthetic_videos.files["h264.mp4"]
    long = write_video(tmp_path / "long.mp4", moving_square_frames(200, 48, 64), codec="libx264")
    paths = [str(short)] + [str(shutil.copy(long, tmp_path / f"long{k}.mp4")) for k in range(6)]
    process = rlt_process("stats", *paths, "--workers", "2", "--size", "224", "--interval", "1",
                          "--num-frames", "2", "--progress", "lines", stdout=subprocess.DEVNULL,
                          start_new_session=True)
    line = process.stderr.readline()  # the short video finished: long ones are in flight
    assert line.startswith("[1/7]"), line
    sent = time.monotonic()
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does: the whole process group gets SIGINT
    rest = []
    for line in process.stderr:
        rest.append(line)
        if "interrupted" in line:
            break
    stopped = time.monotonic() - sent
    rest += process.stderr.readlines()
    assert process.wait(timeout=60) == 130
    assert stopped < 3.0, stopped
    assert not any("Traceback" in line for line in rest)


def test_cuda_on_a_machine_without_it_is_a_usage_error(monkeypatch, capsys):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    import rlt.cli.tokenize

    monkeypatch.setattr(rlt.cli.tokenize, "run", lambda args: torch.zeros(1, device="cuda"))
    assert main(["tokenize"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot use CUDA" in err and "Traceback" not in err


def test_a_missing_extra_names_the_install_command(synthetic_videos, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "av", None)  # as if PyAV were not installed
    assert main(["stats", str(synthetic_videos.files["h264.mp4"]), *SMALL]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and 'pip install -e ".[video]"' in err
