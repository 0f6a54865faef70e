"""Decoding real files written by the tests: frames, timestamps, odd sources, clean errors, every backend."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from conftest import VFR_TIMES
from video_factory import frame_number, moving_square_frames, square_origin

av = pytest.importorskip("av")

from rlt.data import VideoDecodeError, available_backends, probe, read_frames  # noqa: E402
from rlt.data.backends import ENV_VAR, resolve_backend  # noqa: E402
from rlt.data.sampling import kinetics_clip  # noqa: E402

BACKENDS = available_backends(load=True)


def sequential_decode(path, indices=None) -> np.ndarray:
    """Reference: plain PyAV decode of every frame in order, no seeking, no timestamps.

    Returns the frames at ``indices`` (all frames when ``None``) as ``(K, H, W, 3)``.
    """
    with av.open(str(path)) as container:
        decoded = list(container.decode(video=0))
    picks = range(len(decoded)) if indices is None else indices
    return np.stack([decoded[i].to_ndarray(format="rgb24") for i in picks])


@pytest.fixture(scope="module")
def footage_clips(sample_videos):
    """``name -> (path, info, centre Kinetics clip indices, reference frames, decoded frame count)``."""
    out = {}
    for name, path in sample_videos.items():
        info = probe(path)
        clip = kinetics_clip(info.num_frames, 16, 4, train=False).indices
        with av.open(str(path)) as container:
            decoded = list(container.decode(video=0))
        reference = np.stack([decoded[i].to_ndarray(format="rgb24") for i in clip])
        out[name] = (path, info, clip, reference, len(decoded))
    return out


def assert_same_frames(got: torch.Tensor, want: np.ndarray) -> None:
    """Same pictures: equal barcodes where present and at most rounding-level pixel differences."""
    assert got.dtype == torch.uint8 and tuple(got.shape) == want.shape
    diff = (got.numpy().astype(np.int16) - want.astype(np.int16)).__abs__()
    assert diff.mean(axis=(1, 2, 3)).max() < 1.0, diff.mean(axis=(1, 2, 3))


def test_every_format_reads_back_its_frames(synthetic_videos):
    frames = synthetic_videos.frames
    for name, path in synthetic_videos.files.items():
        info = probe(path)
        assert (info.num_frames, info.width, info.height) == (30, 64, 48), name
        assert info.fps == pytest.approx(25.0) and info.duration == pytest.approx(1.2), name
        assert info.rotation == 0 and not info.variable_frame_rate and info.header_frames in (0, 30), name
        got = read_frames(path, range(30)).numpy()
        assert [frame_number(f) for f in got] == list(range(30)), name
        assert [square_origin(f) for f in got] == [square_origin(f) for f in frames], name
        err = np.abs(got.astype(np.int16) - frames).mean()
        assert err < (0.5 if name.startswith("ffv1") else 4.0), (name, err)


def test_lossless_codec_is_exact_up_to_colour_rounding(synthetic_videos):
    got = read_frames(synthetic_videos.files["ffv1.mkv"], range(30)).numpy()
    assert np.abs(got.astype(np.int16) - synthetic_videos.frames).max() <= 1


def test_indices_in_any_order_with_repeats(synthetic_videos):
    for path in synthetic_videos.files.values():
        got = read_frames(path, [29, 5, 5, 17, 0, 29])
        assert [frame_number(f) for f in got.numpy()] == [29, 5, 5, 17, 0, 29], path.name
        assert torch.equal(got[1], got[2]) and torch.equal(got[0], got[5])


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_backend_returns_exactly_the_frames_asked_for(synthetic_videos, backend):
    rng = np.random.default_rng(0)
    paths = [*synthetic_videos.files.values(), synthetic_videos.odd, synthetic_videos.gray, synthetic_videos.alpha,
             synthetic_videos.vfr, synthetic_videos.rotated]
    for path in paths:
        n = probe(path).num_frames
        reference = sequential_decode(path)
        for indices in ([n - 1, 0], rng.integers(0, n, 9).tolist(), list(range(0, n, 4)), [n // 2] * 3):
            got = read_frames(path, indices, backend=backend)
            if path == synthetic_videos.rotated:
                got = torch.rot90(got, -1, dims=(1, 2))  # compare in the stored orientation
            assert_same_frames(got, reference[indices])


@pytest.mark.parametrize("backend", BACKENDS)
def test_real_footage_kinetics_clip(footage_clips, backend):
    for name, (path, info, clip, reference, decoded_count) in footage_clips.items():
        assert info.num_frames == decoded_count and info.codec == "h264", name
        got = read_frames(path, clip, backend=backend, info=info)
        assert got.shape == (16, info.height, info.width, 3), name
        assert_same_frames(got, reference)


def test_real_footage_metadata(sample_videos):
    infos = {name: probe(path) for name, path in sample_videos.items()}
    assert (infos["bikes.mp4"].num_frames, infos["bikes.mp4"].fps, infos["bikes.mp4"].width) == (250, 25.0, 640)
    assert infos["bigbuckbunny.mp4"].height == 720
    carphone = infos["carphone_pristine.mp4"]
    assert carphone.fps == pytest.approx(30000 / 1001) and carphone.num_frames == 120
    assert carphone.duration == pytest.approx(120 * 1001 / 30000)


def test_gray_source_comes_back_as_rgb(synthetic_videos):
    got = read_frames(synthetic_videos.gray, [0, 13]).numpy()
    assert got.shape == (2, 48, 64, 3)
    assert np.array_equal(got[..., 0], got[..., 1]) and np.array_equal(got[..., 0], got[..., 2])
    assert np.abs(got[..., 0].astype(np.int16) - synthetic_videos.frames[[0, 13], ..., 0]).max() <= 1


def test_alpha_source_drops_alpha(synthetic_videos):
    got = read_frames(synthetic_videos.alpha, [3]).numpy()
    assert got.shape == (1, 48, 64, 3)
    assert np.array_equal(got[0], synthetic_videos.frames[3])


def test_odd_size_source_keeps_its_size(synthetic_videos):
    info = probe(synthetic_videos.odd)
    assert (info.width, info.height, info.num_frames) == (65, 47, 20)
    got = read_frames(synthetic_videos.odd, [19, 2]).numpy()
    want = moving_square_frames(20, 47, 65)[[19, 2]]
    assert np.abs(got.astype(np.int16) - want).max() <= 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_odd_sized_frames_are_the_same_whichever_backend(backend, tmp_path):
    """17x33 yuv420p mpeg4: OpenCV and decord convert odd sizes differently (41 and 59 levels off), so they defer
    to PyAV; every backend must give PyAV's pixels exactly, and so the same RLT plan."""
    from video_factory import write_video

    rng = np.random.default_rng(0)
    blocks = rng.integers(0, 256, size=(8, 9, 5, 3), dtype=np.uint8)
    frames = np.repeat(np.repeat(blocks, 4, 1), 4, 2)[:, :33, :17]  # (8, 33, 17, 3)
    path = write_video(tmp_path / "odd.mp4", frames, codec="mpeg4")
    reference = read_frames(path, list(range(8)), backend="pyav")
    torch.testing.assert_close(read_frames(path, list(range(8)), backend=backend), reference, rtol=0, atol=0)


def test_rotation_metadata_is_applied(synthetic_videos):
    info = probe(synthetic_videos.rotated)
    assert info.rotation == 90 and (info.width, info.height) == (48, 64)
    got = read_frames(synthetic_videos.rotated, [4]).numpy()[0]
    assert got.shape == (64, 48, 3)
    upright = np.rot90(got, -1)  # undo a counter-clockwise quarter turn
    assert frame_number(upright) == 4 and square_origin(upright) == square_origin(synthetic_videos.frames[4])


def test_rotation_matches_opencv_autorotation(synthetic_videos):
    cv2 = pytest.importorskip("cv2")
    cap = cv2.VideoCapture(str(synthetic_videos.rotated))  # OpenCV rotates by default
    ok, bgr = cap.read()
    cap.release()
    assert ok
    assert_same_frames(read_frames(synthetic_videos.rotated, [0], backend="pyav"), bgr[None, ..., ::-1].copy())


def test_variable_frame_rate_timestamps(synthetic_videos):
    info = probe(synthetic_videos.vfr)
    assert info.num_frames == len(VFR_TIMES) and info.variable_frame_rate
    np.testing.assert_allclose(info.timestamps, VFR_TIMES, atol=1e-3)
    assert info.fps == pytest.approx((len(VFR_TIMES) - 1) / VFR_TIMES[-1])
    got = read_frames(synthetic_videos.vfr, [8, 3, 11]).numpy()
    assert [frame_number(f) for f in got] == [8, 3, 11]


def test_decode_count_agrees_with_packet_count(synthetic_videos):
    for path in [*synthetic_videos.files.values(), synthetic_videos.vfr, synthetic_videos.truncated]:
        fast, slow = probe(path), probe(path, decode=True)
        assert (fast.num_frames, fast.pts) == (slow.num_frames, slow.pts), path.name
        assert slow.count_source == "decoded"


@pytest.mark.parametrize("backend", BACKENDS)
def test_truncated_file_reports_what_it_holds(synthetic_videos, backend):
    path = synthetic_videos.truncated
    info = probe(path)
    assert info.header_frames == 40 and 0 < info.num_frames < 40
    last = info.num_frames - 1
    got = read_frames(path, [last, 0], backend=backend).numpy()
    assert [frame_number(f) for f in got] == [last, 0]
    with pytest.raises(VideoDecodeError) as caught:
        read_frames(path, [0, info.num_frames], backend=backend)
    assert caught.value.path == str(path) and f"frame index {info.num_frames}" in caught.value.reason
    with pytest.raises(VideoDecodeError):
        read_frames(path, [39], backend=backend)  # the header promises it, the file does not hold it


@pytest.mark.parametrize("kind,reason", [("empty", "empty"), ("not_video", "not a video FFmpeg can read"),
                                         ("no_frames", "no frames"), ("missing", "no such file")])
def test_unreadable_files_raise_with_path_and_reason(synthetic_videos, kind, reason):
    path = synthetic_videos.root / "missing.mp4" if kind == "missing" else getattr(synthetic_videos, kind)
    for call in (lambda: probe(path), lambda: read_frames(path, [0])):
        with pytest.raises(VideoDecodeError) as caught:
            call()
        err = caught.value
        assert err.path == str(path) and reason in err.reason
        assert str(path) in str(err) and err.reason in str(err)
        again = pickle.loads(pickle.dumps(err))  # crosses DataLoader worker boundaries intact
        assert (again.path, again.reason) == (err.path, err.reason)


def test_index_arguments_are_checked(synthetic_videos):
    path = synthetic_videos.files["h264.mp4"]
    with pytest.raises(ValueError, match="indices must be >= 0, got -1"):
        read_frames(path, [0, -1])
    with pytest.raises(ValueError, match="1-D"):
        read_frames(path, [[0, 1]])
    with pytest.raises(ValueError, match="integers"):
        read_frames(path, [0.5])
    assert read_frames(path, []).shape == (0, 48, 64, 3)
    assert [frame_number(f) for f in read_frames(path, torch.tensor([2, 1])).numpy()] == [2, 1]


def test_backend_choice(monkeypatch):
    with pytest.raises(ValueError, match="'nope'"):
        resolve_backend("nope")
    monkeypatch.setenv(ENV_VAR, "pyav")
    assert resolve_backend(None) == "pyav"
    monkeypatch.delenv(ENV_VAR)
    assert resolve_backend(None) in BACKENDS
    import rlt.data.backends as backends

    monkeypatch.setattr(backends, "is_available", lambda name: name == "pyav")
    assert resolve_backend("auto") == "pyav" and backends.available_backends(load=True) == ["pyav"]
    with pytest.raises(ImportError, match=r"pip install -e \"\.\[video-fast\]\""):
        resolve_backend("opencv")
