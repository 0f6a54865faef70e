"""Invariants of RLT over random shapes and thresholds (hypothesis)."""

import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.testing import assert_close

import rlt
from rlt.ops import (
    PackedBatch,
    expand_runs,
    gather_packed,
    patchify,
    psnr,
    reconstruct,
    run_lengths_grid,
    static_keep,
    unpack,
)

PATCH = 4  # small patches keep the examples fast; semantics do not depend on the size


@st.composite
def clips(draw):
    b = draw(st.integers(1, 3))
    ts = draw(st.sampled_from([1, 2, 3]))
    t_ = draw(st.integers(1, 5))
    h_, w_ = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**31 - 1))
    g = torch.Generator().manual_seed(seed)
    # Piecewise-static content: random frames, each repeated a random number of times.
    frames = torch.randn(b, 3, t_ * ts, h_ * PATCH, w_ * PATCH, generator=g) * 0.3
    hold = torch.randint(0, 2, (t_ * ts,), generator=g).bool()
    for f in range(1, t_ * ts):
        if hold[f]:
            frames[:, :, f] = frames[:, :, f - 1]
    mode = draw(st.sampled_from(["previous", "anchor"]))
    norm = draw(st.sampled_from(["l1", "l2"]))
    return frames, ts, mode, norm


taus = st.floats(0.0, 1.0, allow_nan=False)
SETTINGS = settings(max_examples=60, deadline=None)


@SETTINGS
@given(clips(), taus)
def test_first_tubelet_always_kept_and_lengths_sum(case, tau):
    video, ts, mode, norm = case
    packed = rlt.tokenize(video, tau=tau, tubelet_size=ts, patch_size=PATCH, mode=mode, norm=norm)
    assert packed.keep[:, 0].all()
    lengths = run_lengths_grid(packed.keep)
    assert torch.all(lengths.sum(1) == packed.grid.t)
    assert torch.equal(packed.lengths, lengths.flatten(1)[packed.keep.flatten(1)])
    assert packed.lengths.min() >= 1 and packed.lengths.max() <= packed.grid.t
    assert int(packed.seqlens.sum()) == packed.num_tokens == packed.tokens.shape[0]
    assert packed.cu_seqlens[-1].item() == packed.num_tokens


@SETTINGS
@given(clips(), taus, taus)
def test_kept_count_does_not_grow_with_tau(case, tau_a, tau_b):
    video, ts, _, norm = case
    lo, hi = sorted((tau_a, tau_b))
    keep_lo = static_keep(video, tau=lo, tubelet_size=ts, patch_size=PATCH, norm=norm)
    keep_hi = static_keep(video, tau=hi, tubelet_size=ts, patch_size=PATCH, norm=norm)
    # In "previous" mode the kept set itself shrinks; counts are what users rely on.
    assert torch.all(keep_hi <= keep_lo)
    assert keep_hi.sum() <= keep_lo.sum()


def test_anchor_mode_is_not_monotone_in_tau():
    # Pinned counterexample: a larger tau keeps an older anchor, which later frames
    # can differ from more than they differ from the newer anchor a smaller tau picks.
    values = torch.tensor([0.03, 0.07, 0.55, 0.76, 0.17, 0.16, 0.13])
    video = values.view(1, 1, 7, 1, 1).expand(1, 3, 7, 1, 1).contiguous()
    low = static_keep(video, tau=0.43, tubelet_size=1, patch_size=1, mode="anchor")
    high = static_keep(video, tau=0.53, tubelet_size=1, patch_size=1, mode="anchor")
    assert low.flatten().tolist() == [True, False, True, False, False, False, False]
    assert high.flatten().tolist() == [True, False, False, True, True, False, False]
    assert high.sum() > low.sum()


@SETTINGS
@given(clips(), taus)
def test_pack_unpack_round_trip(case, tau):
    video, ts, mode, norm = case
    packed = rlt.tokenize(video, tau=tau, tubelet_size=ts, patch_size=PATCH, mode=mode, norm=norm)
    dense = patchify(video, ts, PATCH)  # (B, L, D)
    assert torch.equal(gather_packed(dense, packed.keep), packed.tokens)
    scattered = unpack(packed.tokens, packed.keep)
    mask = packed.keep.flatten(1)
    assert torch.equal(scattered[mask], packed.tokens)
    assert torch.all(scattered[~mask] == 0)
    assert torch.equal(packed.positions, mask.nonzero()[:, 1])
    # expand_runs then reconstruct agree on the dense grid.
    expanded = expand_runs(packed.tokens, packed.keep)
    assert torch.equal(expanded, patchify(reconstruct(video, packed.keep, ts, PATCH), ts, PATCH))


@SETTINGS
@given(clips(), taus)
def test_batch_equals_clips_one_by_one(case, tau):
    video, ts, mode, norm = case
    kw = dict(tau=tau, tubelet_size=ts, patch_size=PATCH, mode=mode, norm=norm)
    whole = rlt.tokenize(video, **kw)
    parts = [rlt.tokenize(video[b : b + 1], **kw) for b in range(video.shape[0])]
    for field in ("positions", "lengths", "seqlens", "tokens"):
        assert torch.equal(getattr(whole, field), torch.cat([getattr(p, field) for p in parts]))
    assert torch.equal(whole.keep, torch.cat([p.keep for p in parts]))


@SETTINGS
@given(clips(), taus)
def test_reconstruction_exact_when_runs_are_constant(case, tau):
    video, ts, mode, norm = case
    keep = static_keep(video, tau=tau, tubelet_size=ts, patch_size=PATCH, mode=mode, norm=norm)
    # Build a clip whose frames are identical within every run: the decoded clip itself.
    constant_runs = reconstruct(video, keep, ts, PATCH)
    assert torch.equal(reconstruct(constant_runs, keep, ts, PATCH), constant_runs)
    assert torch.isinf(psnr(constant_runs, reconstruct(constant_runs, keep, ts, PATCH))).all()


def test_packed_batch_helpers():
    video = torch.zeros(2, 3, 4, 8, 8)
    video[1, :, 2:] = 1.0
    packed = rlt.tokenize(video, patch_size=4)
    assert packed.seqlens.tolist() == [4, 8]
    assert packed.sequence_ids.tolist() == [0] * 4 + [1] * 8
    assert_close(packed.kept_fraction, torch.tensor([0.5, 1.0]))
    emb = torch.arange(packed.num_tokens, dtype=torch.float32)[:, None]
    assert torch.equal(packed.with_tokens(emb).unpack(fill=-1)[0, :, 0], torch.tensor([0.0, 1, 2, 3, -1, -1, -1, -1]))
    assert torch.equal(packed.expand_runs(emb)[0, :, 0], torch.tensor([0.0, 1, 2, 3, 0, 1, 2, 3]))
    assert isinstance(packed.to("cpu"), PackedBatch)


def test_psnr_known_value():
    a = torch.zeros(1, 10)
    b = torch.full((1, 10), 255.0)
    assert_close(psnr(a, b), torch.tensor([0.0], dtype=torch.float64))
    c = torch.full((1, 10), 2.55)  # mse = 2.55^2 -> 20*log10(100) = 40 dB
    assert_close(psnr(a, c), torch.tensor([40.0], dtype=torch.float64))
