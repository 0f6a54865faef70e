"""Token-budget batches: exact packing, DDP coverage and balance, determinism, resume; token counts in workers."""

from __future__ import annotations

import itertools

import pytest

from rlt.data.token_budget import (
    TokenBudgetBatchSampler,
    assign_ranks,
    best_fit_decreasing,
    pack_batches,
    pack_epoch,
    plan_epoch,
    split_batch,
)

COUNTS = [5, 3, 8, 2, 7, 1, 4, 6, 9, 2, 3, 12, 5, 1, 4]  # 15 items, one (12) over a budget of 10


def batch_tokens(batch, counts=COUNTS):
    return sum(counts[i] for i in batch)


# -- pure packing ------------------------------------------------------------------------------------


def test_pack_batches_next_fit_exact():
    assert pack_batches([3, 4, 2, 5], [0, 1, 2, 3], 6) == [[0], [1, 2], [3]]
    assert pack_batches(COUNTS, range(15), 10) == [
        [0, 1], [2, 3], [4, 5], [6, 7], [8], [9, 10], [11], [12, 13, 14]]
    assert pack_batches([4, 4, 4], [2, 0, 1], 8) == [[2, 0], [1]]  # follows the given order


def test_pack_batches_first_fit_window_exact():
    assert pack_batches([3, 4, 2, 5], [0, 1, 2, 3], 6, open_batches=2) == [[0, 2], [1], [3]]
    # window of 2: item 3 goes back into [0, 1], item 5 into [2], item 12 into [9, 10]
    assert pack_batches(COUNTS, range(15), 10, open_batches=2) == [
        [0, 1, 3], [2, 5], [4], [6, 7], [8], [9, 10, 12], [11], [13, 14]]


def test_pack_batches_oversize_item_alone_and_zero_counts():
    assert pack_batches([2, 11, 2], [0, 1, 2], 10) == [[0], [1], [2]]
    assert pack_batches([0, 0, 10, 0], [0, 1, 2, 3], 10) == [[0, 1, 2, 3]]
    with pytest.raises(ValueError, match="max_tokens"):
        pack_batches([1], [0], 0)


def test_split_batch_halves_tokens():
    assert split_batch([1, 1, 6, 2], [0, 1, 2, 3]) == ([0, 1], [2, 3])  # 2|8 and 8|2 tie: the first cut
    assert split_batch([4, 4, 4, 4], [3, 1, 0, 2]) == ([3, 1], [0, 2])
    with pytest.raises(ValueError, match="split"):
        split_batch([4], [0])


def test_assign_ranks_steps_of_similar_batches():
    counts = [10, 9, 3, 2]
    steps = assign_ranks(counts, [[2], [0], [3], [1]], 2)
    assert steps == [[[0], [1]], [[3], [2]]]  # step 0: 10 and 9; step 1: rank 1 (9 so far) gets the 3
    with pytest.raises(ValueError, match="divide"):
        assign_ranks(counts, [[0], [1], [2]], 2)


def test_plan_without_shuffle_single_rank_is_pack_in_order():
    assert plan_epoch(COUNTS, 10, shuffle=False, open_batches=1) == [pack_batches(COUNTS, range(15), 10)]
    assert plan_epoch(COUNTS, 10, shuffle=False) == [pack_batches(COUNTS, range(15), 10, open_batches=4)]


# -- invariants over many settings ---------------------------------------------------------------------


@pytest.mark.parametrize("num_replicas,max_tokens,open_batches", list(itertools.product([1, 2, 3], [10, 17], [1, 3])))
def test_every_item_once_equal_steps_under_budget(num_replicas, max_tokens, open_batches):
    for epoch in range(4):
        plan = plan_epoch(COUNTS, max_tokens, epoch=epoch, seed=7, num_replicas=num_replicas,
                          open_batches=open_batches)
        assert len({len(batches) for batches in plan}) == 1  # every rank: same number of batches
        seen = sorted(i for batches in plan for batch in batches for i in batch)
        assert seen == list(range(len(COUNTS)))  # exactly once across ranks
        for batch in (b for batches in plan for b in batches):
            assert batch and (batch_tokens(batch) <= max_tokens or len(batch) == 1)


def test_ranks_balanced_in_tokens():
    counts = [(i * 37) % 50 + 10 for i in range(200)]
    for epoch in range(3):
        plan = plan_epoch(counts, 200, epoch=epoch, num_replicas=4)
        totals = [sum(batch_tokens(b, counts) for b in batches) for batches in plan]
        steps = sorted(([batch_tokens(b, counts) for b in step] for step in zip(*plan)),
                       key=lambda sizes: (max(sizes), min(sizes)), reverse=True)
        for heavier, lighter in zip(steps, steps[1:]):  # a step holds neighbours in size: ranges never interleave
            assert min(heavier) >= max(lighter)
        spreads = [max(sizes) - min(sizes) for sizes in steps]
        assert max(totals) - min(totals) <= max(spreads)  # greedy dealing never lets a rank fall further behind


def test_too_few_items_pad_by_repeating_or_drop():
    counts = [3, 3, 3]  # three one-item batches for 2 ranks and a budget of 4: cannot split
    padded = plan_epoch(counts, 4, num_replicas=2, seed=1)
    assert [len(b) for b in padded] == [2, 2]
    items = sorted(i for batches in padded for b in batches for i in b)
    assert set(items) == {0, 1, 2} and len(items) == 4  # one item repeated
    dropped = plan_epoch(counts, 4, num_replicas=2, seed=1, drop_last=True)
    assert [len(b) for b in dropped] == [1, 1]
    assert len({i for batches in dropped for b in batches for i in b}) == 2


def test_splitting_evens_out_without_repeats():
    counts = [5, 5, 5]  # budget 10: batches [a, b], [c] -> 3 ranks need 3 batches: split [a, b]
    plan = plan_epoch(counts, 10, num_replicas=3, shuffle=False)
    assert sorted(b for batches in plan for b in batches) == [[0], [1], [2]]


# -- the sampler ----------------------------------------------------------------------------------------


def test_sampler_deterministic_per_seed_and_epoch():
    a = TokenBudgetBatchSampler(COUNTS, 10, seed=3)
    b = TokenBudgetBatchSampler(COUNTS, 10, seed=3)
    assert list(a) == list(b)
    first = list(a)
    a.set_epoch(1)
    b.set_epoch(1)
    assert list(a) == list(b) != first
    c = TokenBudgetBatchSampler(COUNTS, 10, seed=4)
    assert list(c) != first
    assert len(a) == len(list(a))


def test_sampler_ranks_in_step_and_cover_once():
    ranks = [TokenBudgetBatchSampler(COUNTS, 10, seed=0, num_replicas=2, rank=r) for r in range(2)]
    for epoch in range(3):
        for s in ranks:
            s.set_epoch(epoch)
        out = [list(s) for s in ranks]
        assert len(out[0]) == len(out[1]) == len(ranks[0]) == len(ranks[1])
        assert sorted(i for batches in out for b in batches for i in b) == list(range(len(COUNTS)))


def test_resume_mid_epoch_yields_the_rest_exactly():
    full = TokenBudgetBatchSampler(COUNTS, 10, seed=5, num_replicas=2, rank=1)
    full.set_epoch(2)
    expected = list(full)
    run = TokenBudgetBatchSampler(COUNTS, 10, seed=5, num_replicas=2, rank=1)
    run.set_epoch(2)
    it = iter(run)
    got = [next(it), next(it)]
    state = run.state_dict()
    assert state["epoch"] == 2 and state["consumed"] == 2
    resumed = TokenBudgetBatchSampler(COUNTS, 10, seed=5, num_replicas=2, rank=1)
    resumed.load_state_dict(state)
    resumed.set_epoch(2)  # what a trainer does at the start of the resumed epoch: keeps the offset
    assert len(resumed) == len(expected)  # the full epoch, as Lightning counts from `consumed` on
    assert got + list(resumed) == expected
    assert list(resumed) == expected  # the offset applies to one iteration only
    resumed.set_epoch(3)
    assert len(list(resumed)) == len(resumed)


def test_resume_after_a_finished_epoch_starts_the_next():
    sampler = TokenBudgetBatchSampler(COUNTS, 10, seed=5)
    sampler.set_epoch(4)
    expected = list(sampler)
    resumed = TokenBudgetBatchSampler(COUNTS, 10, seed=5)
    resumed.load_state_dict({"epoch": 3, "consumed": len(resumed)})
    assert resumed.epoch == 4 and list(resumed) == expected


def test_length_is_the_same_every_epoch():
    counts = [(i * 37) % 50 + 10 for i in range(300)]
    for replicas in (1, 3):
        samplers = [TokenBudgetBatchSampler(counts, 150, seed=1, num_replicas=replicas, rank=r, open_batches=1)
                    for r in range(replicas)]
        natural = {len(plan_epoch(counts, 150, epoch=e, seed=1, num_replicas=replicas, open_batches=1)[0])
                   for e in range(12)}
        assert len(natural) > 1  # packings differ between epochs...
        for epoch in range(12):
            for s in samplers:
                s.set_epoch(epoch)
            out = [list(s) for s in samplers]
            assert [len(b) for b in out] == [len(samplers[0])] * replicas  # ...the sampler's length does not
            assert len(samplers[0]) == samplers[0].num_batches // replicas
            assert sorted(i for b in out for batch in b for i in batch) == list(range(300))
            assert all(batch_tokens(batch, counts) <= 150 for b in out for batch in b)
    free = TokenBudgetBatchSampler(counts, 150, seed=1, num_replicas=3, fixed_length=False, open_batches=1)
    assert len(free) in natural


def test_best_fit_when_shuffles_pack_into_too_many_batches():
    counts = [6, 6, 4, 4, 2, 2, 1, 1, 1, 1]  # 28 tokens: 3 batches of 10 at best
    assert best_fit_decreasing(counts, range(10), 10) == [[0, 2], [1, 3], [4, 5, 6, 7, 8, 9]]
    assert len(pack_batches(counts, range(10), 10)) == 4
    in_order = dict(shuffle=False, open_batches=1)
    assert pack_epoch(counts, 10, num_batches=4, **in_order) == (pack_batches(counts, range(10), 10), 0)
    assert pack_epoch(counts, 10, num_batches=3, **in_order) == (best_fit_decreasing(counts, range(10), 10), -1)
    plan = plan_epoch(counts, 10, shuffle=False, num_batches=3, open_batches=1)  # in order: 4 batches; best fit: 3
    assert plan == [[[0, 2], [1, 3], [4, 5, 6, 7, 8, 9]]]
    for epoch in range(5):  # shuffled: a reshuffle or best fit, but always 3 batches, every item once
        plan = plan_epoch(counts, 10, epoch=epoch, num_batches=3, open_batches=1)
        assert len(plan[0]) == 3 and sorted(i for b in plan[0] for i in b) == list(range(10))
    with pytest.raises(RuntimeError, match="num_batches=2 is too few"):
        plan_epoch(counts, 10, num_batches=2)
    with pytest.raises(ValueError, match="multiple of num_replicas"):
        plan_epoch(counts, 10, num_batches=3, num_replicas=2)


def test_resume_rejects_other_settings_and_bad_offsets():
    state = TokenBudgetBatchSampler(COUNTS, 10, seed=5).state_dict()
    with pytest.raises(ValueError, match="max_tokens"):
        TokenBudgetBatchSampler(COUNTS, 12, seed=5).load_state_dict(state)
    with pytest.raises(ValueError, match="num_items"):
        TokenBudgetBatchSampler(COUNTS[:-1], 10, seed=5).load_state_dict(state)
    with pytest.raises(ValueError, match="consumed"):
        TokenBudgetBatchSampler(COUNTS, 10, seed=5).load_state_dict(dict(state, consumed=99))


def test_sampler_validates_arguments():
    with pytest.raises(ValueError, match="rank"):
        TokenBudgetBatchSampler(COUNTS, 10, num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="max_tokens"):
        TokenBudgetBatchSampler(COUNTS, 0)
    with pytest.raises(ValueError, match="token counts"):
        TokenBudgetBatchSampler([1, -1], 10)


# -- token counts in DataLoader workers, on real video files --------------------------------------------

CLIP = dict(num_frames=8, interval=1, size=32, short_side=32)  # 4 x 2 x 2 = 16 tokens per clip


@pytest.fixture(scope="module")
def count_videos(tmp_path_factory):
    """Lossless files with known RLT counts, one lossy file, and a broken one."""
    pytest.importorskip("av", reason="PyAV is needed: pip install rlt-video[video]")
    import numpy as np
    from video_factory import moving_square_frames, write_video

    from rlt.data import VideoRecord

    root = tmp_path_factory.mktemp("counts")
    noise = np.random.default_rng(0).integers(0, 256, (12, 48, 64, 3), dtype=np.uint8)
    still = np.repeat(moving_square_frames(1, 48, 64), 12, axis=0)
    paths = [
        write_video(root / "still.mkv", still, codec="ffv1"),  # nothing moves: 4 tokens (first tubelet)
        write_video(root / "noise.mkv", noise, codec="ffv1"),  # everything moves: all 16
        write_video(root / "square.mp4", moving_square_frames(20, 48, 64), codec="libx264"),
        root / "broken.mp4",
        write_video(root / "square_stops.mkv", moving_square_frames(20, 48, 64, static_from=3), codec="ffv1"),
    ]
    paths[3].write_text("not a video\n")
    return [VideoRecord(str(p), label=k) for k, p in enumerate(paths)]


def in_process_counts(records, clip, tau):
    """Reference: decode the centre view and run rlt.tokenize on the whole batch of clips."""
    import torch

    import rlt
    from rlt.data import VideoDecodeError, VideoClipDataset
    from rlt.ops.normalize import normalize

    dataset = VideoClipDataset(records, clip)
    counts = []
    for record in records:
        try:
            video, _ = dataset.load(record.path, None)
        except VideoDecodeError:
            counts.append(0)
            continue
        packed = rlt.tokenize(normalize(video[None], channels_last=True), tau=tau)
        counts.append(int(packed.seqlens[0]))
    return counts


def test_counts_in_two_workers_equal_tokenize_and_list_the_broken_file(count_videos, tmp_path):
    from rlt.data import ClipConfig, TokenizeConfig
    from rlt.data.token_counts import compute_token_counts

    clip = ClipConfig(mode="val", **CLIP)
    result = compute_token_counts(count_videos, ClipConfig(mode="train", **CLIP), TokenizeConfig(tau=0.1),
                                  num_workers=2, cache_dir=tmp_path)
    assert result.counts == in_process_counts(count_videos, clip, 0.1)
    assert result.counts[:2] == [4, 16] and result.counts[3] == 0
    assert 4 < result.counts[2] < 16 and 4 < result.counts[4] < result.counts[2]
    assert [(f.index, f.path) for f in result.failures] == [(3, count_videos[3].path)]
    assert "broken.mp4" in str(result.report())
    assert result.budget_counts() == [4, 16, result.counts[2], 16, result.counts[4]]
    assert not result.from_cache and result.cache_path.is_file()


def test_counts_cache_is_reused_and_keyed_by_settings(count_videos, tmp_path, monkeypatch):
    from rlt.data import ClipConfig, TokenizeConfig
    from rlt.data import token_counts as tc

    clip = ClipConfig(mode="val", **CLIP)
    first = tc.compute_token_counts(count_videos, clip, TokenizeConfig(tau=0.1), cache_dir=tmp_path)

    def no_decoding(self, index):
        raise AssertionError("a cached count was recomputed")

    with monkeypatch.context() as m:
        m.setattr(tc._CountItems, "__getitem__", no_decoding)
        again = tc.compute_token_counts(count_videos, clip, TokenizeConfig(tau=0.1), cache_dir=tmp_path)
    assert again.from_cache and again.counts == first.counts and again.failures == first.failures
    dense = tc.compute_token_counts(count_videos, clip, TokenizeConfig(dense=True), cache_dir=tmp_path)
    assert not dense.from_cache and dense.counts == [16, 16, 16, 0, 16]
    loose = tc.compute_token_counts(count_videos, clip, TokenizeConfig(tau=1e9), cache_dir=tmp_path)
    assert loose.counts == [4, 4, 4, 0, 4]  # nothing passes an infinite threshold but the first tubelet
    assert len(list(tmp_path.glob("token_counts-*.json"))) == 3
    fewer = tc.compute_token_counts(count_videos[:2], clip, TokenizeConfig(tau=0.1), cache_dir=tmp_path)
    assert not fewer.from_cache and fewer.counts == first.counts[:2]


def test_counts_reject_a_grid_that_does_not_fit():
    from rlt.data import ClipConfig, TokenizeConfig
    from rlt.data.token_counts import compute_token_counts

    with pytest.raises(ValueError, match="patch_size"):
        compute_token_counts([], ClipConfig(size=40, short_side=40), TokenizeConfig())
    with pytest.raises(ValueError, match="tubelet_size"):
        compute_token_counts([], ClipConfig(num_frames=7), TokenizeConfig())


# -- under Lightning: the resume recipe of docs/token_budget.md -------------------------------------------


@pytest.mark.slow
def test_lightning_resume_mid_epoch_and_at_epoch_end_continues_exactly(tmp_path):
    L = pytest.importorskip("lightning", reason="Lightning is needed: pip install rlt-video[train]")
    import torch
    from torch.utils.data import DataLoader

    counts = [(i * 37) % 50 + 10 for i in range(40)]

    class Budget(L.Callback):  # the recipe: epochs and trained-batch counts in and out of checkpoints
        def __init__(self, sampler):
            self.sampler = sampler

        def setup(self, trainer, pl_module, stage):
            self.trainer = trainer

        def on_train_epoch_start(self, trainer, pl_module):
            self.sampler.set_epoch(trainer.current_epoch)

        def state_dict(self):
            trained = self.trainer.fit_loop.epoch_loop.batch_progress.current.processed
            return dict(self.sampler.state_dict(), epoch=self.trainer.current_epoch, consumed=trained)

        def load_state_dict(self, state):
            self.sampler.load_state_dict(state)

    class Stop(Exception):
        pass

    class Model(L.LightningModule):
        def __init__(self, stop_at):
            super().__init__()
            self.w, self.seen, self.stop_at = torch.nn.Linear(1, 1), [], stop_at

        def training_step(self, batch, batch_idx):
            if self.global_step == self.stop_at:
                raise Stop
            self.seen.append((self.current_epoch, batch.tolist()))
            return self.w(batch.float()[:, None]).sum()

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.01)

    def fit(root, stop_at=-1, ckpt=None):
        sampler = TokenBudgetBatchSampler(counts, 150, seed=3)
        model = Model(stop_at)
        saver = L.pytorch.callbacks.ModelCheckpoint(dirpath=root, every_n_train_steps=1, save_top_k=-1)
        trainer = L.Trainer(max_epochs=2, callbacks=[Budget(sampler), saver], logger=False,
                            use_distributed_sampler=False,
                            enable_progress_bar=False, enable_model_summary=False, default_root_dir=root)
        try:
            trainer.fit(model, DataLoader(range(len(counts)), batch_sampler=sampler), ckpt_path=ckpt)
        except Stop:
            pass
        return model.seen, len(sampler)

    full, per_epoch = fit(tmp_path / "full")
    assert len(full) == 2 * per_epoch
    for stop in (3, per_epoch):  # mid-epoch, and right after the last batch of epoch 0
        first, _ = fit(tmp_path / f"a{stop}", stop_at=stop)
        second, _ = fit(tmp_path / f"b{stop}", ckpt=tmp_path / f"a{stop}" / f"epoch=0-step={stop}.ckpt")
        assert first + second == full
