"""rlt.stats: per-clip and per-video numbers against rlt.tokenize, failures, streaming writers, inputs."""

from __future__ import annotations

import json
import math

import av
import numpy as np
import pytest
import torch

import rlt
from rlt.stats import StatsConfig, ClipTally, StatsSummary, VideoFailure, VideoResult, plan_clip, video_stats
from rlt.stats.inputs import InputItem, count_inputs, iter_inputs
from rlt.stats.json_stream import JsonStream
from video_factory import moving_square_frames, write_video

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


pytestmark = pytest.mark.usefixtures("one_thread")


def decode_all(path) -> np.ndarray:
    """Every frame of ``path`` as (T, H, W, 3) uint8, straight from PyAV (not through rlt.data)."""
    with av.open(str(path)) as container:
        return np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])


def expected_numbers(clips: np.ndarray, tau: float, ts: int = 2, p: int = 16) -> dict:
    """Token counts from rlt.tokenize and PSNR from a hand-written run-length decoder, for (B, T, H, W, 3) uint8."""
    video = torch.from_numpy(((clips / 255.0 - MEAN) / STD).astype(np.float32)).permute(0, 4, 1, 2, 3)
    packed = rlt.tokenize(video, tau=tau, tubelet_size=ts, patch_size=p)
    keep = packed.keep.numpy()
    psnrs = []
    for b in range(clips.shape[0]):
        decoded = clips[b].copy()
        for i in range(keep.shape[2]):
            for j in range(keep.shape[3]):
                source = 0
                for t in range(keep.shape[1]):
                    source = t if keep[b, t, i, j] else source
                    box = (slice(None), slice(i * p, (i + 1) * p), slice(j * p, (j + 1) * p))
                    decoded[t * ts : (t + 1) * ts][box] = clips[b, source * ts : (source + 1) * ts][box]
        mse = np.mean((clips[b].astype(np.float64) - decoded) ** 2)
        psnrs.append(math.inf if mse == 0 else 10 * math.log10(255.0**2 / mse))
    finite = [x for x in psnrs if math.isfinite(x)]
    return {
        "clips": clips.shape[0],
        "tokens_total": keep.size,
        "tokens_kept": int(packed.seqlens.sum()),
        "psnr": sum(finite) / len(finite) if finite else None,
    }


@pytest.mark.parametrize("tau", [0.0, 0.1, 0.5])
def test_video_stats_equal_tokenize_on_the_same_clips(synthetic_videos, tau):
    path = synthetic_videos.files["ffv1.mkv"]  # lossless: 30 frames of 48x64
    frames = decode_all(path)[:, :, 8:56]  # centre crop 48x48 (the short side is already 48)
    clips = np.stack([frames[k * 8 : (k + 1) * 8] for k in range(3)])  # 3 consecutive windows of 8, interval 1
    expected = expected_numbers(clips, tau)
    result = video_stats(path, StatsConfig(tau=tau, num_frames=8, interval=1, size=48))
    assert isinstance(result, VideoResult)
    row = result.row()
    assert {k: row[k] for k in ("clips", "tokens_total", "tokens_kept")} == {
        k: expected[k] for k in ("clips", "tokens_total", "tokens_kept")
    }
    assert row["kept_fraction"] == expected["tokens_kept"] / expected["tokens_total"]
    assert row["psnr"] == pytest.approx(expected["psnr"], abs=1e-9)


def test_interval_takes_every_nth_frame(synthetic_videos):
    path = synthetic_videos.files["ffv1.mkv"]
    frames = decode_all(path)[:, :, 8:56]
    clip = frames[0:32:4][None]  # one window of 8 frames every 4th frame; 30 frames give exactly one
    expected = expected_numbers(clip, 0.1)
    row = video_stats(path, StatsConfig(num_frames=8, interval=4, size=48)).row()
    assert (row["clips"], row["tokens_kept"]) == (1, expected["tokens_kept"])


def test_psnr_is_null_when_every_clip_is_exact(tmp_path):
    still = np.zeros((12, 32, 48, 3), dtype=np.uint8)
    still[:] = (30, 140, 200)
    path = write_video(tmp_path / "still.mkv", still, codec="ffv1")
    row = video_stats(path, StatsConfig(num_frames=4, interval=1, size=32)).row()
    assert row["clips"] == 3
    assert row["tokens_kept"] == 3 * 4  # only t = 0 of each clip (2x2 patches) survives
    assert row["psnr"] is None


def test_video_shorter_than_one_clip_is_padded_not_dropped(tmp_path):
    path = write_video(tmp_path / "short.mkv", moving_square_frames(5, 48, 64), codec="ffv1")
    result = video_stats(path, StatsConfig(num_frames=8, interval=1, size=48))
    assert isinstance(result, VideoResult)
    assert result.tally.clips == 1 and result.padded_frames == 3


@pytest.mark.parametrize("name", ["empty", "not_video", "no_frames"])
def test_unreadable_videos_fail_with_a_reason(synthetic_videos, name):
    path = getattr(synthetic_videos, name)
    result = video_stats(path, StatsConfig(num_frames=8, interval=1, size=32))
    assert isinstance(result, VideoFailure)
    assert result.path == str(path) and result.error


def test_missing_input_fails_with_a_reason(tmp_path):
    result = video_stats(InputItem(str(tmp_path / "nope.mp4"), "no such file or folder"), StatsConfig())
    assert result == VideoFailure(str(tmp_path / "nope.mp4"), "no such file or folder")


def test_clips_are_decoded_one_at_a_time(synthetic_videos, monkeypatch):
    import rlt.data.decode

    calls = []
    real = rlt.data.decode.read_frames

    def spy(path, indices, **kwargs):
        calls.append(len(indices))
        return real(path, indices, **kwargs)

    monkeypatch.setattr(rlt.data.decode, "read_frames", spy)
    result = video_stats(synthetic_videos.files["h264.mp4"], StatsConfig(num_frames=4, interval=1, size=32))
    assert result.tally.clips == 7 and calls == [4] * 7  # never more than one clip's frames per decode


def test_plan_is_the_tokenize_plan():
    g = torch.Generator().manual_seed(0)
    pixels = torch.randint(0, 256, (8, 32, 32, 3), generator=g, dtype=torch.uint8)
    pixels[4:] = pixels[3]  # static second half
    plan = plan_clip(pixels, StatsConfig(num_frames=8, size=32))
    video = rlt.ops.normalize(pixels[None])
    torch.testing.assert_close(plan.keep, rlt.tokenize(video).keep[0])
    torch.testing.assert_close(plan.reconstruction(), rlt.ops.reconstruct(
        pixels.permute(3, 0, 1, 2)[None], plan.keep[None])[0].permute(1, 2, 3, 0))


def test_summary_matches_numpy_over_videos():
    rng = np.random.default_rng(0)
    summary = StatsSummary()
    fractions = []
    for k in range(20):
        tally = ClipTally()
        for _ in range(int(rng.integers(1, 4))):
            total = 1568
            kept = int(rng.integers(196, total))
            tally.add(total, kept, float(rng.uniform(20, 50)) if k % 3 else math.inf)
        fractions.append(tally.kept_fraction)
        summary.add(VideoResult(f"v{k}.mp4", tally))
    summary.add(VideoFailure("bad.mp4", "broken"))
    assert summary.videos == 20 and summary.failed == 1
    assert summary.mean_kept == pytest.approx(np.mean(fractions), abs=1e-12)
    assert summary.std_kept == pytest.approx(np.std(fractions), abs=1e-12)
    assert (summary.min_kept, summary.max_kept) == (min(fractions), max(fractions))
    assert "20 processed, 1 failed" in summary.table()


def test_tally_leaves_exact_clips_out_of_the_psnr_mean():
    tally = ClipTally()
    tally.add(10, 5, math.inf)
    assert tally.psnr is None
    tally.add(10, 5, 30.0)
    tally.add(10, 5, 40.0)
    assert tally.psnr == 35.0 and tally.clips == 3


@pytest.mark.parametrize("rows,failures", [(0, 0), (0, 2), (3, 0), (2, 1)])
def test_json_stream_is_valid_json_with_rows_and_failures(tmp_path, rows, failures):
    path = tmp_path / "out.json"
    with JsonStream(path, {"tau": 0.1}) as out:
        for k in range(rows):
            out.write_row({"path": f"v{k}", "psnr": None})
        for k in range(failures):
            out.add_failure({"path": f"f{k}", "error": 'bad "quote"\nnewline'})
        out.close({"videos": rows})
    data = json.loads(path.read_text())
    assert data["config"] == {"tau": 0.1}
    assert [r["path"] for r in data["videos"]] == [f"v{k}" for k in range(rows)]
    assert data["summary"] == {"videos": rows, "failed": [{"path": f"f{k}", "error": 'bad "quote"\nnewline'}
                                                          for k in range(failures)]}


def test_json_stream_refuses_nan(tmp_path):
    with JsonStream(tmp_path / "out.json", {}) as out, pytest.raises(ValueError):
        out.write_row({"psnr": math.inf})


def test_inputs_walk_folders_lists_and_report_missing(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "empty").mkdir()
    for name in ("a/x.mp4", "a/b/y.MKV", "a/notes.txt", "a/.hidden.mp4", "z.webm"):
        (tmp_path / name).write_bytes(b"")
    items = list(iter_inputs([tmp_path / "a", tmp_path / "z.webm", tmp_path / "missing.mp4", tmp_path / "a" / "empty"]))
    assert sorted(i.path for i in items[:2]) == sorted([str(tmp_path / "a" / "x.mp4"), str(tmp_path / "a/b/y.MKV")])
    assert items[2] == InputItem(str(tmp_path / "z.webm"))
    assert items[3] == InputItem(str(tmp_path / "missing.mp4"), "no such file or folder")
    assert items[4].path == str(tmp_path / "a" / "empty") and "no video" in items[4].error
    assert count_inputs([tmp_path / "a"]) == 2


def test_config_rejects_out_of_range_values_naming_them():
    for kwargs, name in [({"tau": -0.1}, "tau"), ({"num_frames": 15}, "num_frames"), ({"size": 100}, "size"),
                         ({"interval": 0}, "interval"), ({"fps": 8.0}, "interval or fps"),
                         ({"interval": None, "fps": -1.0}, "fps"), ({"mode": "next"}, "mode")]:
        with pytest.raises(ValueError, match=name):
            StatsConfig(**kwargs)
