"""Dataset lists, items, the failure policy across workers, and collation to stacked or packed batches."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from torch.utils.data import DataLoader

pytest.importorskip("av")

from rlt.data import (  # noqa: E402
    ClipConfig,
    FailureReport,
    PackedCollate,
    TokenizeConfig,
    TooManyFailures,
    VideoClipDataset,
    VideoDecodeError,
    VideoRecord,
    collate_clips,
    prepare_batch,
    read_any,
    read_frames,
    read_class_folders,
    read_ssv2,
    read_video_folder,
    read_video_list,
)
from rlt.data.transforms import center_crop, resize_short_side  # noqa: E402
from video_factory import frame_number  # noqa: E402

SMALL = dict(num_frames=4, interval=2, size=32, short_side=32, backend="pyav")


def test_space_separated_list_with_root(tmp_path):
    (tmp_path / "k.txt").write_text("a/x.mp4 3\n# comment\n\nb/y z.mp4 0\nplain.mp4\n")
    ann = read_video_list(tmp_path / "k.txt", root="/data")
    assert ann.records == [VideoRecord("/data/a/x.mp4", 3), VideoRecord("/data/b/y z.mp4", 0),
                           VideoRecord("/data/plain.mp4", -1)]


def test_csv_without_and_with_header(tmp_path):
    (tmp_path / "plain.csv").write_text("x.mp4,2\ny.mp4,5\n")
    assert read_video_list(tmp_path / "plain.csv", "r").records == [VideoRecord("r/x.mp4", 2), VideoRecord("r/y.mp4", 5)]
    (tmp_path / "named.csv").write_text("path,label\nx.mp4,cat\ny.mp4,ant\nz.mp4,cat\n")
    ann = read_video_list(tmp_path / "named.csv")
    assert ann.classes == ["ant", "cat"] and [r.label for r in ann.records] == [1, 0, 1]
    ann = read_video_list(tmp_path / "named.csv", classes=["cat", "ant", "bee"])
    assert [r.label for r in ann.records] == [0, 1, 0]
    with pytest.raises(ValueError, match=r"\['ant'\] are not among"):
        read_video_list(tmp_path / "named.csv", classes=["cat"])


def test_official_kinetics_csv(tmp_path):
    (tmp_path / "abseiling").mkdir()
    (tmp_path / "k400.csv").write_text("label,youtube_id,time_start,time_end,split\n"
                                       "abseiling,abc,10,20,train\nzumba,xyz,0,10,train\n")
    ann = read_video_list(tmp_path / "k400.csv", root=tmp_path)
    assert ann.classes == ["abseiling", "zumba"]
    assert ann.records == [VideoRecord(str(tmp_path / "abseiling/abc_000010_000020.mp4"), 0),
                           VideoRecord(str(tmp_path / "xyz_000000_000010.mp4"), 1)]  # no zumba/ folder


def test_ssv2_json(tmp_path):
    (tmp_path / "labels.json").write_text(json.dumps({"Holding something": "0", "Pushing something left": "1"}))
    (tmp_path / "train.json").write_text(json.dumps([
        {"id": "7", "label": "pushing a cup left", "template": "Pushing [something] left", "placeholders": ["a cup"]},
        {"id": "9", "label": "holding a pen", "template": "Holding [something]", "placeholders": ["a pen"]},
    ]))
    (tmp_path / "test.json").write_text(json.dumps([{"id": "11"}]))
    ann = read_ssv2(tmp_path / "train.json", tmp_path / "labels.json", "/ssv2")
    assert ann.records == [VideoRecord("/ssv2/7.webm", 1), VideoRecord("/ssv2/9.webm", 0)]
    assert ann.classes == ["Holding something", "Pushing something left"]
    assert read_ssv2(tmp_path / "test.json", tmp_path / "labels.json", "/ssv2").records == [VideoRecord("/ssv2/11.webm")]


def test_folders(synthetic_videos, tmp_path):
    for cls, name in [("walk", "h264.mp4"), ("run", "mpeg4.avi"), ("run", "ffv1.mkv")]:
        (tmp_path / cls).mkdir(exist_ok=True)
        shutil.copy(synthetic_videos.files[name], tmp_path / cls / name)
    (tmp_path / "run" / "notes.txt").write_text("not a video")
    ann = read_class_folders(tmp_path)
    assert ann.classes == ["run", "walk"]
    assert [(r.path.split("/")[-1], r.label) for r in ann.records] == [("ffv1.mkv", 0), ("mpeg4.avi", 0), ("h264.mp4", 1)]
    plain = read_video_folder(tmp_path)
    assert len(plain.records) == 3 and {r.label for r in plain.records} == {-1}
    assert read_any(tmp_path).records == plain.records
    assert read_any(synthetic_videos.files["h264.mp4"]).records == [VideoRecord(str(synthetic_videos.files["h264.mp4"]))]
    with pytest.raises(ValueError, match="not found"):
        read_any(tmp_path / "nope.txt")


def records(synthetic_videos):
    good = [VideoRecord(str(p), i) for i, p in enumerate(synthetic_videos.files.values())]
    return good, [VideoRecord(str(synthetic_videos.empty), 98), VideoRecord(str(synthetic_videos.not_video), 99)]


def test_items_per_split(synthetic_videos):
    good, _ = records(synthetic_videos)
    for split, shape in [("train", (4, 32, 32, 3)), ("val", (4, 32, 32, 3)), ("test", (6, 4, 32, 32, 3))]:
        item = VideoClipDataset(good, ClipConfig(split=split, **SMALL))[1]
        assert item["video"].shape == shape and item["video"].dtype == torch.uint8, split
        assert (item["label"], item["index"], item["requested"], item["failures"]) == (1, 1, 1, [])
    val = VideoClipDataset(good, ClipConfig(split="val", **SMALL))[0]["video"]
    frames = read_frames(good[0].path, [11, 13, 15, 17])  # centred in 30 frames: 11 before, 12 after
    assert [frame_number(f) for f in frames.numpy()] == [11, 13, 15, 17]
    assert torch.equal(val, center_crop(resize_short_side(frames, 32), 32))


def test_seeded_items_are_reproducible_and_epochs_differ(synthetic_videos):
    good, _ = records(synthetic_videos)
    a, b = (VideoClipDataset(good, ClipConfig(split="train", seed=3, **SMALL)) for _ in range(2))
    assert torch.equal(a[2]["video"], b[2]["video"])
    b.set_epoch(1)
    assert not torch.equal(a[2]["video"], b[2]["video"])


def test_short_video_is_padded_and_counted(synthetic_videos):
    good, _ = records(synthetic_videos)
    item = VideoClipDataset(good, ClipConfig(split="val", num_frames=8, interval=8, size=32, short_side=32))[0]
    assert item["padded"] == 4  # frames 0, 8, 16, 24 then 24 four more times
    assert torch.equal(item["video"][3], item["video"][7])


def test_ssv2_segments_without_flip(synthetic_videos):
    good, _ = records(synthetic_videos)
    cfg = ClipConfig(split="val", sampling="segments", num_frames=5, size=48, short_side=48, hflip=0.0)
    item = VideoClipDataset(good, cfg)[0]
    want = center_crop(read_frames(good[0].path, [3, 9, 15, 21, 27]), 48)  # middle of each 6-frame segment
    assert torch.equal(item["video"], want)
    views = VideoClipDataset(good, ClipConfig(**{**cfg.__dict__, "split": "test", "n_spatial": 1}))[0]["video"]
    want = center_crop(read_frames(good[0].path, [1, 7, 13, 19, 25, 4, 10, 16, 22, 28]), 48)  # 1/4 and 3/4 in
    assert torch.equal(views.flatten(0, 1), want)


def test_raise_policy_raises_the_decode_error(synthetic_videos):
    good, bad = records(synthetic_videos)
    ds = VideoClipDataset(good + bad, ClipConfig(on_error="raise", **SMALL))
    with pytest.raises(VideoDecodeError, match="empty"):
        ds[len(good)]


def test_skip_policy_reports_every_failed_path_across_workers(synthetic_videos):
    good, bad = records(synthetic_videos)
    ds = VideoClipDataset(good + bad, ClipConfig(split="val", on_error="skip", **SMALL))
    loader = DataLoader(ds, batch_size=3, num_workers=2, collate_fn=collate_clips)
    report, seen = FailureReport(), []
    for batch in loader:
        report.update(batch)
        seen += batch["requested"].tolist()
        assert batch["video"].shape[1:] == (4, 32, 32, 3)
    assert sorted(seen) == list(range(len(ds)))  # every index yields an item: nothing dropped
    failed = report.by_path()
    assert set(failed) == {str(synthetic_videos.empty), str(synthetic_videos.not_video)}
    assert "empty" in failed[str(synthetic_videos.empty)] and "Invalid data" in failed[str(synthetic_videos.not_video)]
    assert report.as_json()[0].keys() == {"path", "error"} and "2 file(s) failed" in str(report)


def test_skip_policy_gives_up_after_max_retries(synthetic_videos):
    _, bad = records(synthetic_videos)
    ds = VideoClipDataset(bad, ClipConfig(max_retries=3, **SMALL))
    with pytest.raises(TooManyFailures) as caught:
        ds[0]
    assert len(caught.value.failures) == 4 and str(synthetic_videos.empty) in str(caught.value)


def test_config_errors_name_the_argument():
    for kwargs, match in [({"split": "dev"}, "split"), ({"on_error": "ignore"}, "on_error"),
                          ({"num_frames": 0}, "num_frames"), ({"n_spatial": 2}, "n_spatial"),
                          ({"sampling": "tsn"}, "sampling"), ({"fps": 0.0}, "fps")]:
        with pytest.raises(ValueError, match=match):
            ClipConfig(**kwargs)


def test_prepare_batch_normalises_and_packs_on_the_device(synthetic_videos):
    good, _ = records(synthetic_videos)
    ds = VideoClipDataset(good[:3], ClipConfig(split="val", **SMALL))
    batch = collate_clips([ds[i] for i in range(3)])
    out = prepare_batch(batch, "cpu", TokenizeConfig(tau=0.1, tubelet_size=2, patch_size=16))
    assert out["clip"].shape == (3, 3, 4, 32, 32) and out["clip"].dtype == torch.float32
    packed = out["packed"]
    assert packed.keep.shape == (3, 2, 2, 2) and packed.tokens.shape[1] == 3 * 2 * 16 * 16
    assert int(packed.seqlens.sum()) == packed.num_tokens
    assert bool(packed.keep[:, 0].all())  # the first tubelet of every clip is always kept
    dense = prepare_batch(batch, "cpu", TokenizeConfig(dense=True))["packed"]
    assert dense.num_tokens == 3 * 8
    worker_packed = PackedCollate(TokenizeConfig(tau=0.1))([ds[i] for i in range(3)])["packed"]
    assert torch.equal(worker_packed.keep, packed.keep) and torch.equal(worker_packed.tokens, packed.tokens)


def test_test_views_flatten_into_clips(synthetic_videos):
    good, _ = records(synthetic_videos)
    ds = VideoClipDataset(good[:2], ClipConfig(split="test", n_temporal=2, **SMALL))
    out = prepare_batch(collate_clips([ds[0], ds[1]]), "cpu", TokenizeConfig())
    assert out["video"].shape == (12, 4, 32, 32, 3) and out["label"].tolist() == [0] * 6 + [1] * 6
    assert out["packed"].batch_size == 12


def test_clip_config_split_keeps_the_old_mode_keyword():
    with pytest.warns(DeprecationWarning, match="split"):
        old = ClipConfig(mode="val")
    assert old == ClipConfig(split="val") and old.mode == "val"
    with pytest.raises(TypeError, match="not both"):
        ClipConfig(split="val", mode="test")
