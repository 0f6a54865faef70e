"""Hand-checked RLT cases: exact keep, positions and lengths."""

import pytest
import torch
from torch.testing import assert_close

import rlt
from rlt.ops import reconstruct, run_lengths_grid, run_starts, static_keep, unpatchify, patchify


def _clip(t=8, h=32, w=32, value=0.0):
    return torch.full((1, 3, t, h, w), value)


def test_constant_video_keeps_only_first_tubelet():
    packed = rlt.tokenize(_clip(t=8, h=32, w=48), tau=0.1)
    grid = packed.grid
    assert tuple(grid) == (4, 2, 3)
    assert packed.num_tokens == 6
    assert packed.positions.tolist() == [0, 1, 2, 3, 4, 5]
    assert packed.lengths.tolist() == [4] * 6
    assert packed.seqlens.tolist() == [6]
    assert packed.cu_seqlens.tolist() == [0, 6]
    assert packed.cu_seqlens.dtype == torch.int32
    assert packed.tokens.shape == (6, 3 * 2 * 16 * 16)


def test_every_frame_different_keeps_everything():
    t = torch.arange(8, dtype=torch.float32).view(1, 1, 8, 1, 1)
    video = (t * 1.0).expand(2, 3, 8, 32, 32).contiguous()  # each frame +1.0 over the previous
    packed = rlt.tokenize(video, tau=0.1)
    assert packed.num_tokens == 2 * 4 * 2 * 2
    assert packed.lengths.tolist() == [1] * 32
    assert packed.positions.tolist() == list(range(16)) * 2
    assert packed.seqlens.tolist() == [16, 16]
    assert packed.cu_seqlens.tolist() == [0, 16, 32]


def test_single_patch_change_at_known_tubelet():
    # Grid T'=4, H'=2, W'=2. Patch (i=1, j=0) changes strongly at frame 4 (tubelet 2) and stays.
    video = _clip(t=8, h=32, w=32)
    video[:, :, 4:, 16:32, 0:16] = 1.0
    packed = rlt.tokenize(video, tau=0.1)
    expected_keep = torch.zeros(1, 4, 2, 2, dtype=torch.bool)
    expected_keep[:, 0] = True
    # Tubelet 1: last frame 3 vs first frame of tubelet 0 (frame 0): equal -> dropped.
    # Tubelet 2: last frame 5 vs frame 2: differs by 1.0 -> kept.
    # Tubelet 3: last frame 7 vs frame 4: equal -> dropped.
    expected_keep[0, 2, 1, 0] = True
    assert torch.equal(packed.keep, expected_keep)
    assert packed.positions.tolist() == [0, 1, 2, 3, 2 * 4 + 1 * 2 + 0]
    assert packed.lengths.tolist() == [4, 4, 2, 4, 2]
    # The kept token carries the new pixels.
    assert torch.all(packed.tokens[4] == 1.0)


def test_change_inside_tubelet_is_seen_by_last_frame():
    # The paper compares the last frame of tubelet t with the first of t-1:
    # a change at frame 3 (last frame of tubelet 1) must keep tubelet 1.
    video = _clip(t=6, h=16, w=16)
    video[:, :, 3:] = 0.5
    keep = static_keep(video, tau=0.1)
    assert keep[0, :, 0, 0].tolist() == [True, True, True]  # tubelet 2: frame 5 vs frame 2 (0.5 vs 0)


def test_threshold_is_strict_and_l2_differs_from_l1():
    video = _clip(t=4, h=16, w=16)
    video[:, :, 3, :8] = 0.2  # half the patch moves by 0.2: l1 = 0.1, l2 = sqrt(0.02) ~ 0.141
    assert static_keep(video, tau=0.1, norm="l1")[0, 1, 0, 0].item() is False  # d == tau is dropped
    assert static_keep(video, tau=0.0999, norm="l1")[0, 1, 0, 0].item() is True
    assert static_keep(video, tau=0.14, norm="l2")[0, 1, 0, 0].item() is True
    assert static_keep(video, tau=0.15, norm="l2")[0, 1, 0, 0].item() is False


def test_slow_drift_dropped_by_previous_caught_by_anchor():
    # Each frame brightens by 0.01: each tubelet step is a 0.03 difference (frame 2t+1 vs 2t-2),
    # below tau = 0.1; the drift from the run's first frame grows past tau.
    t = 16
    video = (torch.arange(t, dtype=torch.float32) * 0.01).view(1, 1, t, 1, 1).expand(1, 3, t, 16, 16).contiguous()
    prev = static_keep(video, tau=0.1, mode="previous")
    assert prev[0, :, 0, 0].tolist() == [True] + [False] * 7
    anchor = static_keep(video, tau=0.1, mode="anchor")
    # Anchor frame 0: tubelet t's last frame 2t+1 differs by 0.01*(2t+1) > 0.1 first at t = 5 (0.11).
    # New anchor frame 10: tubelet 6 -> 0.03, 7 -> 0.05. So keep = t in {0, 5}.
    assert anchor[0, :, 0, 0].tolist() == [True, False, False, False, False, True, False, False]
    lengths = run_lengths_grid(anchor)[0, :, 0, 0].tolist()
    assert lengths == [5, 0, 0, 0, 0, 3, 0, 0]


def test_anchor_equals_previous_when_everything_changes():
    g = torch.Generator().manual_seed(0)
    video = torch.randn(2, 3, 8, 32, 32, generator=g)
    assert torch.equal(static_keep(video, mode="anchor"), static_keep(video, mode="previous"))


def test_run_lengths_and_starts_exact():
    keep = torch.tensor([True, False, True, False, False, True]).view(1, 6, 1, 1)
    assert run_lengths_grid(keep).flatten().tolist() == [2, 0, 3, 0, 0, 1]
    assert run_starts(keep).flatten().tolist() == [0, 0, 2, 2, 2, 5]


def test_patchify_order_matches_conv3d():
    g = torch.Generator().manual_seed(1)
    video = torch.randn(2, 3, 4, 32, 48, generator=g)
    conv = torch.nn.Conv3d(3, 5, kernel_size=(2, 16, 16), stride=(2, 16, 16), bias=False)
    expected = conv(video).flatten(2).transpose(1, 2)  # (B, T'*H'*W', D) in (t, i, j) order
    tokens = patchify(video)
    assert_close(tokens @ conv.weight.flatten(1).T, expected, rtol=1e-4, atol=1e-4)
    assert torch.equal(unpatchify(tokens, (2, 2, 3)), video)


def test_reconstruct_repeats_kept_tubelet():
    video = torch.zeros(1, 1, 6, 16, 16, dtype=torch.uint8)
    video[:, :, 1] = 10  # inside tubelet 0 -> repeated over its run
    keep = torch.tensor([True, False, True]).view(1, 3, 1, 1)
    out = reconstruct(video, keep)
    assert out[0, 0, :, 0, 0].tolist() == [0, 10, 0, 10, 0, 0]
    assert out.dtype == torch.uint8


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(tau=-0.1), "tau"),
        (dict(tau=float("nan")), "tau"),
        (dict(mode="next"), "mode"),
        (dict(norm="l3"), "norm"),
        (dict(tubelet_size=3), "tubelet_size"),
        (dict(patch_size=12), "patch_size"),
        (dict(patch_size=0), "patch_size"),
    ],
)
def test_invalid_arguments_name_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        rlt.tokenize(torch.zeros(1, 3, 8, 32, 32), **kwargs)


def test_wrong_rank_is_rejected():
    with pytest.raises(ValueError, match=r"\(B, C, T, H, W\)"):
        rlt.tokenize(torch.zeros(3, 8, 32, 32))


def test_half_precision_inputs_give_same_plan_and_keep_dtype():
    g = torch.Generator().manual_seed(2)
    video = torch.randn(2, 3, 8, 32, 32, generator=g)
    video[:, :, 4:] = video[:, :, :1]  # make some tubelets static
    ref = rlt.tokenize(video)
    for dtype in (torch.float16, torch.bfloat16):
        x = video.to(dtype)
        packed = rlt.tokenize(x)
        expected = rlt.tokenize(x.float())  # same values, compared in float32 either way
        assert torch.equal(packed.keep, expected.keep)
        assert packed.tokens.dtype == dtype
    assert ref.num_tokens < 2 * 4 * 2 * 2
