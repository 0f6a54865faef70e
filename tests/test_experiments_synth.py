"""The generated motion dataset: motion patterns, determinism, balance, decodable files, parseable lists."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
import torch

pytest.importorskip("skimage")
pytest.importorskip("av")

from rlt.cli.main import main  # noqa: E402
from rlt.data import ClipConfig, VideoClipDataset, probe, read_frames, read_video_list  # noqa: E402
from rlt.experiments import CLASS_NAMES, SynthConfig, preset  # noqa: E402
from rlt.experiments.clip import clip_spec, labels_of, render  # noqa: E402
from rlt.experiments.motion import FAST, MARGIN, TRAVEL, object_path, wander_path  # noqa: E402
from rlt.experiments.render import camera_view, shape_mask  # noqa: E402
from rlt.experiments.synth import generate  # noqa: E402

TINY = dict(classes=3, train=6, val=3, test=4, size=32, frames=12)


def frame_hashes(out, split="train") -> list[str]:
    """sha1 of every decoded frame of every clip in ``split``'s list, in list order."""
    records = read_video_list(out / f"{split}.csv", root=out).records
    digests = []
    for r in records:
        frames = read_frames(r.path, range(probe(r.path).num_frames))
        digests.append(hashlib.sha1(frames.numpy().tobytes()).hexdigest())
    return digests


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth") / "tiny"
    result = generate(out, SynthConfig(**TINY), workers=1)
    return out, result


# --- motion patterns: pure functions -------------------------------------------------------------------


@pytest.mark.parametrize("name", CLASS_NAMES)
def test_every_path_stays_inside_the_margins(name):
    for seed in range(20):
        path = object_path(name, 64, np.random.default_rng(seed))
        for coord in (path.x, path.y):
            assert coord.shape == (64,)
            assert coord.min() >= MARGIN - 1e-9 and coord.max() <= 1 - MARGIN + 1e-9


def test_direction_rotation_scale_and_speed_define_the_classes():
    rng = np.random.default_rng(0)
    right, left = object_path("move_right", 64, rng), object_path("move_left", 64, rng)
    assert np.all(np.diff(right.x) > 0) and np.all(np.diff(left.x) < 0)
    torch.testing.assert_close(torch.tensor(np.diff(right.y)), torch.zeros(63, dtype=torch.float64))
    assert TRAVEL * 0.85 <= right.x[-1] - right.x[0] <= TRAVEL * 1.15
    fast = object_path("move_right_fast", 64, rng)
    assert TRAVEL * FAST * 0.85 <= fast.x[-1] - fast.x[0] <= TRAVEL * FAST * 1.15
    assert FAST * 0.85 > 1.15  # jittered speeds of normal and fast never overlap
    cw, ccw = object_path("rotate_clockwise", 64, rng), object_path("rotate_counterclockwise", 64, rng)
    assert np.all(np.diff(cw.angle) < 0) and np.all(np.diff(ccw.angle) > 0)
    assert np.ptp(cw.x) == 0 and np.ptp(cw.y) == 0
    grow, shrink = object_path("grow", 64, rng), object_path("shrink", 64, rng)
    assert np.all(np.diff(grow.scale) > 0) and np.all(np.diff(shrink.scale) < 0)
    # the clip's middle frame has size 1 whichever way it zooms: size alone does not give the class away
    for path in (grow, shrink):
        assert abs(np.log(path.scale[0]) + np.log(path.scale[-1])) < 1e-9


def test_unknown_class_is_named():
    with pytest.raises(ValueError, match="unknown motion class 'jump'"):
        object_path("jump", 8, np.random.default_rng(0))


def test_distractors_wander_without_a_direction():
    # averaged over many distractors, net displacement is about zero in both axes
    moves = np.array([[p.x[-1] - p.x[0], p.y[-1] - p.y[0]]
                      for p in (wander_path(32, np.random.default_rng(s)) for s in range(400))])
    assert np.all(np.abs(moves.mean(axis=0)) < 0.02)
    assert moves.std(axis=0).min() > 0.05


def test_shapes_are_not_rotation_symmetric():
    rng = np.random.default_rng(0)
    for kind in ("rectangle", "ellipse", "triangle"):
        mask = shape_mask(kind, 32, rng)
        assert 0.2 < mask.mean() < 0.9
        assert not np.array_equal(mask, np.rot90(mask))


def test_camera_view_shifts_by_whole_and_half_pixels():
    bg = np.arange(10 * 10 * 3, dtype=np.float32).reshape(10, 10, 3)
    views = camera_view(bg, np.array([[0.0, 0.0], [1.0, 0.0], [0.5, -1.0]]), 6)
    torch.testing.assert_close(torch.from_numpy(views[0]), torch.from_numpy(bg[2:8, 2:8]))
    torch.testing.assert_close(torch.from_numpy(views[1]), torch.from_numpy(bg[2:8, 3:9]))
    torch.testing.assert_close(torch.from_numpy(views[2]), torch.from_numpy((bg[1:7, 2:8] + bg[1:7, 3:9]) / 2))
    with pytest.raises(ValueError, match="leaves the 10px background"):
        camera_view(bg, np.array([[3.0, 0.0]]), 6)


# --- the dataset on disk --------------------------------------------------------------------------------


def test_labels_are_balanced_and_shuffled():
    config = SynthConfig(classes=4, train=10, val=8, test=0, size=32, frames=4)
    train, val = labels_of(config, "train"), labels_of(config, "val")
    assert np.bincount(train, minlength=4).tolist() == [3, 3, 2, 2]
    assert np.bincount(val, minlength=4).tolist() == [2, 2, 2, 2]
    assert train.tolist() != sorted(train.tolist())
    assert labels_of(config, "test").shape == (0,)


def test_files_decode_with_the_promised_frames_and_size(tiny_dataset):
    out, result = tiny_dataset
    assert result.written == 13 and result.failed == [] and result.codec in ("libx264", "mpeg4")
    for split, n in (("train", 6), ("val", 3), ("test", 4)):
        records = read_video_list(out / f"{split}.csv", root=out).records
        assert len(records) == n
        for r in records:
            info = probe(r.path, decode=True)
            assert (info.num_frames, info.width, info.height) == (12, 32, 32)
            assert info.fps == pytest.approx(30.0)
            assert read_frames(r.path, [0, 11]).shape == (2, 32, 32, 3)


def test_lists_metadata_and_classes_agree(tiny_dataset):
    out, _ = tiny_dataset
    meta = json.loads((out / "synth.json").read_text())
    assert meta["complete"] and meta["config"] == SynthConfig(**TINY).to_dict()
    assert json.loads((out / "classes.json").read_text()) == list(CLASS_NAMES[:3])
    assert meta["splits"]["train"]["per_class"] == [2, 2, 2]
    ann = read_video_list(out / "train.csv", root=out)
    by_path = {str(out / c["path"]): c for c in meta["clips"]}
    assert [r.label for r in ann.records] == [by_path[r.path]["label"] for r in ann.records]
    assert sorted(r.label for r in ann.records) == [0, 0, 1, 1, 2, 2]
    item = VideoClipDataset(ann.records, ClipConfig(num_frames=4, interval=2, mode="val", size=32, short_side=32))[0]
    assert item["video"].shape == (4, 32, 32, 3) and item["video"].dtype == torch.uint8
    assert item["label"] == ann.records[0].label and item["padded"] == 0


def test_generation_is_deterministic_and_independent_of_workers(tiny_dataset, tmp_path):
    out, _ = tiny_dataset
    again = tmp_path / "again"
    generate(again, SynthConfig(**TINY), workers=2)
    assert frame_hashes(again) == frame_hashes(out)
    for split in ("train", "val", "test"):  # the files themselves are identical, byte for byte
        for a, b in zip(sorted((out / "videos" / split).iterdir()), sorted((again / "videos" / split).iterdir())):
            assert a.name == b.name and a.read_bytes() == b.read_bytes()
    assert (again / "train.csv").read_text() == (out / "train.csv").read_text()
    a, b = json.loads((out / "synth.json").read_text()), json.loads((again / "synth.json").read_text())
    assert a["clips"] == b["clips"]


def test_another_seed_gives_other_clips():
    config = SynthConfig(**TINY)
    other = SynthConfig(**{**TINY, "seed": 1})
    spec0, spec1 = clip_spec(config, "train", 0, 0, "libx264"), clip_spec(other, "train", 0, 0, "libx264")
    assert not np.array_equal(render(config, spec0), render(other, spec1))
    big, big_other = SynthConfig(**{**TINY, "train": 60}), SynthConfig(**{**TINY, "train": 60, "seed": 1})
    assert labels_of(big, "train").tolist() != labels_of(big_other, "train").tolist()


def test_rerun_resumes_and_other_settings_are_refused(tiny_dataset, tmp_path):
    out = tmp_path / "ds"
    config = SynthConfig(**{**TINY, "train": 3, "val": 0, "test": 0})
    first = generate(out, config)
    (out / "videos/train/train_00001.mp4").unlink()
    second = generate(out, config)
    assert (first.written, second.written, second.reused) == (3, 1, 2)
    with pytest.raises(ValueError, match=r"other settings \(differs in \['seed'\]\)"):
        generate(out, SynthConfig(**{**TINY, "train": 3, "val": 0, "test": 0, "seed": 5}))
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="not empty"):
        generate(tmp_path / "busy", config)


def test_presets_and_bad_settings():
    assert preset("gpu").size == 224 and preset("gpu").classes == 20
    assert preset("small", classes=12).classes == 12
    with pytest.raises(ValueError, match="classes must be in 2..20, got 21"):
        SynthConfig(classes=21)
    with pytest.raises(ValueError, match="size must be an even number"):
        SynthConfig(size=33)
    with pytest.raises(ValueError, match="unknown scale 'huge'"):
        preset("huge")


def test_cli_writes_a_dataset_and_reports_usage_errors(tmp_path, capsys):
    out = tmp_path / "cli"
    argv = ["data", "synth", str(out), "--classes", "2", "--train", "2", "--val", "0", "--test", "2",
            "--size", "32", "--frames", "8", "--workers", "1"]
    assert main(argv) == 0
    assert "wrote 4, reused 0, failed 0" in capsys.readouterr().out
    assert main(argv) == 0
    assert "wrote 0, reused 4" in capsys.readouterr().out
    assert main(["data", "synth", str(tmp_path / "x"), "--classes", "30"]) == 2
    assert "rlt data synth: error: classes must be in 2..20, got 30" in capsys.readouterr().err
    assert main([*argv[:-2], "--seed", "3", "--workers", "1"]) == 2
    assert "other settings" in capsys.readouterr().err
