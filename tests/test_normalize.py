"""ImageNet normalisation: one fused pass, same values as the textbook formula; prepare_batch normalises once."""

from __future__ import annotations

import pytest
import torch

import rlt
from rlt.data import collate
from rlt.data.collate import TokenizeConfig, prepare_batch
from rlt.ops import IMAGENET_MEAN, IMAGENET_STD, denormalize, normalize


def textbook(frames_cf: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The formula as first written (four passes): ``(x / 255 - mean) / std`` on ``(B, C, T, H, W)``."""
    x = frames_cf.to(dtype) / 255.0
    mean = torch.tensor(IMAGENET_MEAN, dtype=dtype).view(1, 3, 1, 1, 1)
    std = torch.tensor(IMAGENET_STD, dtype=dtype).view(1, 3, 1, 1, 1)
    return (x - mean) / std


def frames(shape=(2, 4, 8, 6, 3)) -> torch.Tensor:
    """Every uint8 value appears: ``(B, T, H, W, 3)``."""
    n = torch.tensor(shape).prod().item()
    return (torch.arange(n) % 256).to(torch.uint8).view(shape)


def test_channels_last_uint8_equals_the_textbook_formula() -> None:
    u = frames()
    out = normalize(u)  # layout inferred: last axis is 3
    assert out.shape == (2, 3, 4, 8, 6) and out.dtype == torch.float32 and out.is_contiguous()
    torch.testing.assert_close(out, textbook(u.permute(0, 4, 1, 2, 3)), atol=1e-6, rtol=0)


def test_channels_first_and_explicit_layout() -> None:
    u = frames((1, 3, 4, 3, 3))  # (B, C, T, H, W) with W == 3 too: say which
    torch.testing.assert_close(normalize(u, channels_last=False), textbook(u), atol=1e-6, rtol=0)
    torch.testing.assert_close(
        normalize(u, channels_last=True), textbook(u.permute(0, 4, 1, 2, 3)), atol=1e-6, rtol=0
    )


def test_hand_checked_values() -> None:
    u = torch.tensor([0, 255], dtype=torch.uint8).view(1, 1, 1, 2, 1).expand(1, 1, 1, 2, 3)  # black, white
    out = normalize(u)[0, :, 0, 0]  # (3, 2)
    expected = torch.tensor([[-0.485 / 0.229, 0.515 / 0.229], [-0.456 / 0.224, 0.544 / 0.224],
                             [-0.406 / 0.225, 0.594 / 0.225]])
    torch.testing.assert_close(out, expected, atol=1e-6, rtol=0)


@pytest.mark.parametrize("dtype, atol", [(torch.float64, 1e-12), (torch.float16, 4e-3), (torch.bfloat16, 3e-2)])
def test_other_dtypes_and_float_frames(dtype, atol) -> None:
    u = frames()
    out = normalize(u, dtype=dtype)
    assert out.dtype == dtype
    torch.testing.assert_close(out.double(), textbook(u.permute(0, 4, 1, 2, 3), torch.float64), atol=atol, rtol=0)
    torch.testing.assert_close(normalize(u.float()), normalize(u))  # float pixels 0..255 work the same


def test_round_trip_and_errors() -> None:
    u = frames()
    torch.testing.assert_close(denormalize(normalize(u)), u.permute(0, 4, 1, 2, 3).float(), atol=1e-4, rtol=0)
    with pytest.raises(ValueError, match=r"needs 3 channels on axis 4 \(B, T, H, W, C\), got 4"):
        normalize(torch.zeros(1, 4, 2, 2, 4, dtype=torch.uint8), channels_last=True)
    # Before: a 4-channel channels-last clip of 16 frames read as "needs 3 channels, got 16".
    with pytest.raises(ValueError, match=r"axis 4 \(B, T, H, W, C\) or axis 1 .* got shape \(1, 16, 8, 8, 4\)"):
        normalize(torch.zeros(1, 16, 8, 8, 4, dtype=torch.uint8))
    with pytest.raises(ValueError, match="5-D"):
        normalize(torch.zeros(4, 2, 2, 3, dtype=torch.uint8))


def test_prepare_batch_normalises_once_and_packs_that_clip(monkeypatch) -> None:
    # Before: the clip was normalised for "clip" and again inside pack_video.
    calls = []
    real = collate.normalize
    monkeypatch.setattr(collate, "normalize", lambda *a, **k: calls.append(1) or real(*a, **k))
    u = torch.randint(0, 256, (2, 4, 32, 32, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    u[:, 2:] = u[:, :1]  # static second tubelet
    batch = {"video": u, "label": torch.tensor([0, 1])}
    out = prepare_batch(batch, "cpu", TokenizeConfig(tau=0.1))
    assert len(calls) == 1
    expected = rlt.tokenize(textbook(u.permute(0, 4, 1, 2, 3)), tau=0.1)
    assert torch.equal(out["packed"].keep, expected.keep)
    torch.testing.assert_close(out["packed"].tokens, expected.tokens, atol=1e-6, rtol=0)
    assert out["packed"].num_tokens == 2 * 4  # the static tubelet was dropped in both clips
