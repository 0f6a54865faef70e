"""Bad inputs to the RLT ops get a ValueError that says what to do (issue 13, defects 4 and 11)."""

from __future__ import annotations

import pytest
import torch

import rlt
from rlt.ops import static_keep, tokenize_dense


def static_clips(batch: int = 3) -> torch.Tensor:
    """``(B, 3, 8, 32, 32)`` clips that never change: RLT keeps only the first tubelet."""
    return torch.zeros(batch, 3, 8, 32, 32)


# --- defect 11: decoded frames, and a tau of the wrong type ----------------------------------


@pytest.mark.parametrize("dtype", [torch.uint8, torch.int64, torch.int32, torch.bool])
@pytest.mark.parametrize("fn", [rlt.tokenize, static_keep, tokenize_dense], ids=["tokenize", "static_keep", "dense"])
def test_integer_and_bool_clips_are_refused_with_a_pointer_to_normalize(fn, dtype) -> None:
    # Before: a uint8 clip tokenized "fine" and reported 100% kept.
    video = torch.randint(0, 2, (1, 3, 4, 32, 32)).to(dtype)
    with pytest.raises(ValueError, match=r"float.*rlt\.ops\.normalize"):
        fn(video)


@pytest.mark.parametrize("tau", ["0.1", b"0.1", True, False, None, [0.1]])
def test_tau_that_is_not_a_number_is_refused(tau) -> None:
    with pytest.raises(ValueError, match="tau must be a non-negative number"):
        rlt.tokenize(static_clips(), tau=tau)


@pytest.mark.parametrize("tau", [-1, -0.1, -1e-9, float("-inf"), float("inf"), float("nan")])
def test_tau_below_zero_or_not_finite_names_tau(tau) -> None:
    with pytest.raises(ValueError, match=r"^tau must be"):
        rlt.tokenize(static_clips(), tau=tau)


@pytest.mark.parametrize("tau", [0, 0.1, 2, torch.tensor(0.1)])
def test_numbers_of_any_kind_are_fine(tau) -> None:
    assert rlt.tokenize(static_clips(1), tau=tau).num_tokens == 4  # the first tubelet's 2x2 patches


# --- defect 4: NaN / inf pixels ---------------------------------------------------------------


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
@pytest.mark.parametrize("mode", ["previous", "anchor"])
def test_non_finite_pixels_raise_naming_the_clip(value, mode) -> None:
    # Before: a NaN tubelet compared as "not different" and was dropped without a word.
    video = static_clips()
    video[1, 2, 5, 17, 3] = value  # clip 1, in a tubelet that would be dropped
    with pytest.raises(ValueError, match=r"clip\(s\) at batch index \[1\] hold NaN or infinite"):
        rlt.tokenize(video, mode=mode)


def test_every_bad_clip_is_named_and_half_precision_is_checked_too() -> None:
    video = static_clips(4).half()
    video[0, 0, 0, 0, 0] = float("nan")  # the first tubelet, which RLT always keeps
    video[3, 1, 7, 31, 31] = float("inf")
    with pytest.raises(ValueError, match=r"batch index \[0, 3\]"):
        static_keep(video)


def test_finite_extremes_are_not_mistaken_for_inf() -> None:
    video = static_clips(2)
    video[0, :, 2:] = torch.finfo(torch.float32).max  # huge, but a number
    assert rlt.tokenize(video).seqlens.tolist() == [8, 4]


def test_empty_batch_still_tokenizes() -> None:
    assert rlt.tokenize(torch.zeros(0, 3, 4, 32, 32)).num_tokens == 0
