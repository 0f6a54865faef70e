"""Batch samplers for training (resumable, DDP ranks in step) and evaluation (every item exactly once).

Training order is a pure function of ``(seed, epoch)``: every rank draws the same
permutation, pads it by wrapping around to a multiple of the world size, and
takes every ``world``-th index from its rank, so all ranks run the same number of
batches. ``resume(epoch, batches)`` makes the next epoch's iteration skip the
batches a checkpoint had already consumed, which is what makes mid-epoch resume exact.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
from torch.utils.data import Sampler


def epoch_permutation(n: int, seed: int, epoch: int) -> list[int]:
    """The shuffled order of ``n`` items in ``epoch`` (identical on every rank and every run)."""
    generator = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    return torch.randperm(n, generator=generator).tolist()


def rank_share(order: list[int], rank: int, world: int) -> list[int]:
    """This rank's items: ``order`` padded by wrapping to a multiple of ``world``, then every ``world``-th.

    Example: ``order=[4, 0, 3, 1, 2]``, world 2 -> rank 0 ``[4, 3, 2]``, rank 1 ``[0, 1, 4]``.
    """
    if not order:
        return []
    total = math.ceil(len(order) / world) * world
    padded = (order * math.ceil(total / len(order)))[:total]
    return padded[rank::world]


class TrainBatchSampler(Sampler[list[int]]):
    """Shuffled fixed-size batches of this rank's share; the last batch may be smaller.

    ``set_epoch`` (Lightning calls it each epoch) also sets the dataset's epoch, so
    clips and crops change with the epoch; that is why workers must not be persistent.
    """

    def __init__(self, dataset, batch_size: int, *, seed: int = 0, rank: int = 0, world: int = 1,
                 shuffle: bool = True) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.dataset, self.batch_size, self.seed = dataset, batch_size, seed
        self.rank, self.world, self.shuffle = rank, world, shuffle
        self.epoch, self._skip = 0, 0

    @property
    def sampler(self) -> TrainBatchSampler:
        # Lightning calls set_epoch on `loader.sampler` and `loader.batch_sampler.sampler`, not on a batch sampler.
        return self

    def set_epoch(self, epoch: int) -> None:
        if epoch != self.epoch:
            self._skip = 0  # a resume offset only applies to the epoch it was saved in
        self.epoch = int(epoch)
        if hasattr(self.dataset, "set_epoch"):
            self.dataset.set_epoch(self.epoch)

    def resume(self, epoch: int, batches: int) -> None:
        """Continue ``epoch`` after its first ``batches`` batches (from a checkpoint); a finished
        epoch (a checkpoint saved at its end) continues with the start of the next one."""
        if batches >= len(self):
            epoch, batches = epoch + 1, 0
        self.set_epoch(epoch)
        self._skip = int(batches)

    def batches(self) -> list[list[int]]:
        """Every batch of this rank in this epoch, before any resume offset."""
        n = len(self.dataset)
        order = epoch_permutation(n, self.seed, self.epoch) if self.shuffle else list(range(n))
        share = rank_share(order, self.rank, self.world)
        return [share[i : i + self.batch_size] for i in range(0, len(share), self.batch_size)]

    def __iter__(self) -> Iterator[list[int]]:
        skip, self._skip = self._skip, 0
        yield from self.batches()[skip:]

    def __len__(self) -> int:
        return math.ceil(math.ceil(len(self.dataset) / self.world) / self.batch_size)


class ShardBatchSampler(Sampler[list[int]]):
    """Evaluation: items ``rank, rank + world, ...`` in order, no padding, so each is seen exactly once.

    Ranks may get one batch more or less than others; evaluation steps hold no
    collective operation, and results are gathered once at the end.
    """

    def __init__(self, num_items: int, batch_size: int, *, rank: int = 0, world: int = 1) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.indices = list(range(rank, num_items, world))
        self.batch_size = batch_size

    def __iter__(self) -> Iterator[list[int]]:
        for i in range(0, len(self.indices), self.batch_size):
            yield self.indices[i : i + self.batch_size]

    def __len__(self) -> int:
        return math.ceil(len(self.indices) / self.batch_size)


class BudgetBatches(Sampler[list[int]]):
    """:class:`rlt.data.token_budget.TokenBudgetBatchSampler` with :class:`TrainBatchSampler`'s interface.

    ``set_epoch`` also sets the dataset's epoch; ``resume(epoch, batches)`` maps onto
    the budget sampler's ``load_state_dict``. ``len`` is fixed over epochs.
    """

    def __init__(self, dataset, budget_sampler) -> None:
        self.dataset, self.inner = dataset, budget_sampler

    @property
    def sampler(self) -> BudgetBatches:
        return self  # Lightning calls set_epoch on `loader.batch_sampler.sampler`

    def set_epoch(self, epoch: int) -> None:
        self.inner.set_epoch(epoch)
        if hasattr(self.dataset, "set_epoch"):
            self.dataset.set_epoch(int(epoch))

    def resume(self, epoch: int, batches: int) -> None:
        self.inner.load_state_dict({"epoch": int(epoch), "consumed": int(batches)})
        if hasattr(self.dataset, "set_epoch"):
            self.dataset.set_epoch(self.inner.epoch)

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self.inner)

    def __len__(self) -> int:
        return len(self.inner)
