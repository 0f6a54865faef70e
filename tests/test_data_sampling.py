"""Clip sampling: consecutive windows, fps by timestamps, Kinetics, SSv2 segments, test views, seeds."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from rlt.data.info import VideoInfo, info_from_pts
from rlt.data.sampling import (
    ClipIndices,
    clip_rng,
    consecutive_clips,
    frames_at_fps,
    kinetics_clip,
    segment_clip,
    test_views,
)


def make_info(num_frames: int, fps: int = 25, times: list[float] | None = None) -> VideoInfo:
    """A VideoInfo for ``num_frames`` frames at ``fps`` (or at ``times`` seconds), as probe would build it."""
    pts = [round(t * 1000) for t in times] if times else [i * 1000 // fps for i in range(num_frames)]
    return info_from_pts("x.mp4", pts[::-1], [0], time_base=Fraction(1, 1000), stream_rate=fps,
                         width=64, height=48, codec="h264", rotation=0)


def test_info_sorts_decode_order_into_presentation_order():
    info = make_info(5)
    assert info.pts == (0, 40, 80, 120, 160) and info.fps == 25.0 and info.duration == pytest.approx(0.2)
    assert info.keyframes == (4,)  # the first packet given (pts 160) is the keyframe


def test_consecutive_windows_by_interval():
    clips = consecutive_clips(make_info(50), 4, interval=3)
    assert [c.indices for c in clips] == [[0, 3, 6, 9], [12, 15, 18, 21], [24, 27, 30, 33], [36, 39, 42, 45]]
    assert all(c.padded == 0 for c in clips)
    assert [c.indices for c in consecutive_clips(make_info(8), 4, interval=1)] == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_short_video_gives_one_counted_padded_window():
    (clip,) = consecutive_clips(make_info(10), 16, interval=4)
    assert clip == ClipIndices([0, 4, 8] + [8] * 13, padded=13)
    (clip,) = consecutive_clips(make_info(1), 4, interval=1)
    assert clip == ClipIndices([0, 0, 0, 0], padded=3)


def test_consecutive_windows_by_fps_use_timestamps():
    clips = consecutive_clips(make_info(50), 3, fps=10)  # 25 fps source, 0..1.96 s
    assert [c.indices for c in clips] == [[0, 2, 5], [7, 10, 12], [15, 17, 20], [22, 25, 27], [30, 32, 35],
                                          [37, 40, 42]]  # 20 target times make 6 complete windows
    vfr = make_info(6, times=[0.0, 0.1, 0.15, 0.5, 0.55, 0.9])
    assert frames_at_fps(vfr.timestamps, 10).tolist() == [0, 1, 2, 2, 2, 3, 4, 4, 4, 5]
    (clip,) = consecutive_clips(vfr, 5, fps=10, timestamps=[0.0, 0.2, 0.4])
    assert clip.indices == [0, 0, 1, 1, 2]  # timestamps override info's


@pytest.mark.parametrize("kwargs,match", [({}, "exactly one"), ({"interval": 2, "fps": 5.0}, "exactly one"),
                                          ({"interval": 0}, "interval"), ({"fps": -1.0}, "fps")])
def test_consecutive_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        consecutive_clips(make_info(20), 4, **kwargs)
    with pytest.raises(ValueError, match="num_frames"):
        consecutive_clips(make_info(20), 0, interval=1)


def test_kinetics_clip_centre_and_random_start():
    assert kinetics_clip(100, 4, 4, train=False).indices == [43, 47, 51, 55]  # 43 frames before, 44 after
    starts = {kinetics_clip(100, 4, 4, train=True, rng=clip_rng(0, 0, i)).indices[0] for i in range(2000)}
    assert starts == set(range(0, 88))  # every start 0..100-13 is reachable, nothing beyond
    a = kinetics_clip(100, 4, 4, train=True, rng=clip_rng(7, 1, 3))
    assert a == kinetics_clip(100, 4, 4, train=True, rng=clip_rng(7, 1, 3))
    assert kinetics_clip(5, 4, 2, train=True, rng=clip_rng(0)) == ClipIndices([0, 2, 4, 4], padded=1)
    with pytest.raises(ValueError, match="rng"):
        kinetics_clip(100, 4, 4, train=True)


def test_segment_clip():
    assert segment_clip(80, 8, train=False).indices == [5, 15, 25, 35, 45, 55, 65, 75]
    clip = segment_clip(80, 8, train=True, rng=clip_rng(3))
    assert all(10 * k <= i < 10 * (k + 1) for k, i in enumerate(clip.indices)) and clip.padded == 0
    assert segment_clip(80, 4, train=False, position=0.25).indices == [5, 25, 45, 65]
    with pytest.raises(ValueError, match="position"):
        segment_clip(80, 4, train=False, position=1.0)
    short = segment_clip(3, 8, train=False)
    assert sorted(set(short.indices)) == [0, 1, 2] and short.padded == 5 and short.indices == sorted(short.indices)


def test_test_views_cover_the_video():
    views = test_views(100, 4, 4, 3)
    assert [v.indices[0] for v in views] == [0, 44, 87] and views[-1].indices[-1] == 99
    assert [v.indices for v in test_views(10, 4, 4, 2)] == [[0, 4, 8, 8]] * 2


def test_rng_depends_on_every_key():
    draws = {tuple(clip_rng(0, *k).integers(0, 2**31, 4)) for k in [(0, 0), (0, 1), (1, 0), (0, 0, 1)]}
    assert len(draws) == 4
    assert np.array_equal(clip_rng(5, 2).integers(0, 100, 5), clip_rng(5, 2).integers(0, 100, 5))
