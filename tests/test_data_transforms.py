"""Transforms on uint8 clips (exact small cases, invariants) and batch mixing / erasing."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from rlt.data.transforms import (
    EraseConfig,
    MixConfig,
    center_crop,
    hflip,
    mixup_cutmix,
    one_hot,
    random_erase,
    random_hflip,
    random_resized_crop,
    random_resized_crop_box,
    resize,
    resize_short_side,
    three_crops,
)


def clip(t=2, h=6, w=8, seed=0) -> torch.Tensor:
    return torch.randint(0, 256, (t, h, w, 3), generator=torch.Generator().manual_seed(seed), dtype=torch.uint8)


def test_resize_short_side_sizes_and_dtype():
    assert resize_short_side(clip(2, 47, 65), 32).shape == (2, 32, 44, 3)  # 65*32/47 = 44.3
    assert resize_short_side(clip(2, 65, 47), 32).shape == (2, 44, 32, 3)
    out = resize_short_side(clip(2, 48, 64), 24)
    assert out.dtype == torch.uint8 and out.shape == (2, 24, 32, 3) and out.is_contiguous()
    with pytest.raises(ValueError, match="size must be positive, got 0"):
        resize_short_side(clip(), 0)
    with pytest.raises(ValueError, match=r"\(T, H, W, 3\)"):
        resize_short_side(torch.zeros(2, 3, 8, 8, dtype=torch.uint8), 4)


def test_resize_matches_pillow_bilinear():
    Image = pytest.importorskip("PIL.Image")
    frames = clip(2, 47, 65, seed=4)
    out = resize_short_side(frames, 20)  # (2, 20, 28, 3)
    for t in range(2):
        want = np.asarray(Image.fromarray(frames[t].numpy()).resize((28, 20), Image.BILINEAR))
        assert np.abs(out[t].numpy().astype(np.int16) - want).max() <= 1


def test_uint8_resize_matches_float_reference_and_constant_stays_constant():
    frames = clip(3, 37, 53, seed=1)
    ref = F.interpolate(frames.permute(0, 3, 1, 2).float(), size=(20, 29), mode="bilinear", antialias=True)
    ref = ref.round().clamp(0, 255).permute(0, 2, 3, 1)
    assert (resize(frames, (20, 29)).float() - ref).abs().max() <= 1
    flat = torch.full((2, 31, 45, 3), 137, dtype=torch.uint8)
    assert torch.equal(resize_short_side(flat, 16), torch.full((2, 16, 23, 3), 137, dtype=torch.uint8))
    upsampled = resize(frames.float(), (74, 106))
    assert upsampled.dtype == torch.float32 and upsampled.shape == (3, 74, 106, 3)


def test_center_crop_is_the_middle_slice():
    frames = clip(2, 7, 10)
    assert torch.equal(center_crop(frames, 4), frames[:, 1:5, 3:7])
    assert torch.equal(center_crop(frames, (3, 10)), frames[:, 2:5])
    with pytest.raises(ValueError, match="larger than the 7x10 frame"):
        center_crop(frames, 8)


def test_three_crops_along_the_longer_side():
    wide, tall = clip(1, 4, 10), clip(1, 10, 4)
    assert [c.tolist() for c in three_crops(wide, 4)] == [wide[:, :, s : s + 4].tolist() for s in (0, 3, 6)]
    assert [c.tolist() for c in three_crops(tall, 4)] == [tall[:, s : s + 4].tolist() for s in (0, 3, 6)]


@settings(max_examples=60, deadline=None)
@given(h=st.integers(1, 300), w=st.integers(1, 300), seed=st.integers(0, 2**31 - 1),
       lo=st.floats(0.01, 1.0), ratio_hi=st.floats(1.0, 3.0))
def test_random_resized_crop_box_stays_inside(h, w, seed, lo, ratio_hi):
    top, left, ch, cw = random_resized_crop_box(h, w, scale=(lo, 1.0), ratio=(1 / ratio_hi, ratio_hi),
                                                generator=torch.Generator().manual_seed(seed))
    assert 0 <= top and 0 <= left and 0 < ch and 0 < cw and top + ch <= h and left + cw <= w


def test_random_resized_crop_same_box_for_every_frame_and_seeded():
    frames = clip(4, 40, 60).clone()
    frames[1:] = frames[0]  # identical frames must stay identical
    a = random_resized_crop(frames, 16, generator=torch.Generator().manual_seed(3))
    b = random_resized_crop(frames, 16, generator=torch.Generator().manual_seed(3))
    assert a.shape == (4, 16, 16, 3) and torch.equal(a, b) and torch.equal(a[0], a[3])
    with pytest.raises(ValueError, match="scale"):
        random_resized_crop(frames, 16, scale=(0.5, 0.2))


def test_flip():
    frames = clip()
    assert torch.equal(hflip(frames)[:, :, 0], frames[:, :, -1])
    assert torch.equal(random_hflip(frames, 0.0), frames)
    assert torch.equal(random_hflip(frames, 1.0), hflip(frames))
    with pytest.raises(ValueError, match="p must be in"):
        random_hflip(frames, 1.5)


def test_one_hot_with_smoothing():
    targets = one_hot(torch.tensor([1, 0]), 4, smoothing=0.4)
    torch.testing.assert_close(targets, torch.tensor([[0.1, 0.7, 0.1, 0.1], [0.7, 0.1, 0.1, 0.1]]))
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        one_hot(torch.tensor([4]), 4)


def test_mixup_blends_clips_and_targets_with_the_same_weight():
    video = torch.stack([torch.zeros(3, 2, 4, 4), torch.ones(3, 2, 4, 4)])  # clip 0 all 0, clip 1 all 1
    cfg = MixConfig(mixup_alpha=1.0, cutmix_alpha=0.0, label_smoothing=0.0)
    mixed, targets = mixup_cutmix(video, torch.tensor([0, 1]), 2, cfg, rng=np.random.default_rng(0))
    lam = 1.0 - float(mixed[0].mean())  # clip 0 = lam * 0 + (1 - lam) * 1
    torch.testing.assert_close(mixed[0], torch.full_like(mixed[0], 1 - lam))
    torch.testing.assert_close(targets, torch.tensor([[lam, 1 - lam], [1 - lam, lam]]))


def test_cutmix_targets_follow_the_pasted_area():
    video = torch.stack([torch.zeros(3, 2, 8, 8), torch.ones(3, 2, 8, 8)])
    cfg = MixConfig(mixup_alpha=0.0, cutmix_alpha=1.0, label_smoothing=0.0)
    for seed in range(5):
        mixed, targets = mixup_cutmix(video, torch.tensor([0, 1]), 2, cfg, rng=np.random.default_rng(seed))
        pasted = float(mixed[0].mean())  # fraction of clip 0 now from clip 1, same box in every frame
        assert torch.equal(mixed[0, :, 0], mixed[0, :, 1])
        torch.testing.assert_close(targets[0], torch.tensor([1 - pasted, pasted]))
    with pytest.raises(ValueError, match="float"):
        mixup_cutmix(video.to(torch.uint8), torch.tensor([0, 1]), 2)


def test_random_erase_one_box_through_time():
    video = torch.zeros(4, 3, 5, 16, 16)
    out = random_erase(video, EraseConfig(probability=1.0), rng=np.random.default_rng(1))
    changed = out != 0  # (B, C, T, H, W)
    for b in range(4):
        box = changed[b].any(0)  # (T, H, W)
        assert box.any() and all(torch.equal(box[0], box[t]) for t in range(5))
        area = float(box[0].float().mean())
        assert 0.02 * 0.5 <= area <= 1 / 3 * 1.5
    assert torch.equal(random_erase(video, EraseConfig(probability=0.0)), video)
