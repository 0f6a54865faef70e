"""Token-budget batches: fill each batch up to ``max_tokens`` tokens instead of a fixed clip count.

With RLT every clip keeps a different number of tokens, so a fixed number of
clips per batch gives uneven step times and memory. :class:`TokenBudgetBatchSampler`
groups dataset indices so each batch's token total stays at or under the budget,
using per-item counts from :func:`rlt.data.token_counts.compute_token_counts`::

    from torch.utils.data import DataLoader
    from rlt.data import TokenizeConfig, collate_clips
    from rlt.data.token_counts import compute_token_counts
    from rlt.data.token_budget import TokenBudgetBatchSampler

    counts = compute_token_counts(dataset.records, dataset.config, TokenizeConfig(tau=0.1),
                                  num_workers=8, cache_dir="runs/cache")
    sampler = TokenBudgetBatchSampler(counts.budget_counts(), max_tokens=8 * 800,
                                      num_replicas=world_size, rank=rank, seed=0)
    loader = DataLoader(dataset, batch_sampler=sampler, collate_fn=collate_clips, num_workers=8)
    for epoch in range(epochs):
        sampler.set_epoch(epoch); dataset.set_epoch(epoch)
        for batch in loader: ...

Under Lightning: pass ``use_distributed_sampler=False`` to the ``Trainer`` (this
sampler already splits the data between ranks), and call :meth:`set_epoch` from
``on_train_epoch_start`` (Lightning only sets the epoch of a ``sampler``, not of a
batch sampler); for exact mid-epoch resume save ``{"epoch", "consumed"}`` with the
number of trained batches and hand it to :meth:`load_state_dict` (docs/token_budget.md).

The plan of an epoch (:func:`plan_epoch`) is a pure function of the counts, the
budget, the seed and the epoch, so every DDP rank computes the same plan and
takes its own share; nothing is communicated.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from torch.utils.data import Sampler

RETRIES = 4  # reshuffles tried before best-fit packing when an epoch packs into too many batches
PROBES = 4  # epochs whose packings set the fixed epoch length


def pack_batches(
    counts: Sequence[int], order: Sequence[int], max_tokens: int, *, open_batches: int = 1
) -> list[list[int]]:
    """Group ``order`` (dataset indices) into batches of at most ``max_tokens`` tokens.

    Items are taken in ``order``; each goes into the oldest of the last
    ``open_batches`` batches that still has room, else starts a new batch
    (``open_batches=1`` is next-fit: batches are consecutive runs of ``order``).
    An item larger than ``max_tokens`` always gets a batch of its own.

    >>> pack_batches([3, 4, 2, 5], [0, 1, 2, 3], 6)
    [[0], [1, 2], [3]]
    >>> pack_batches([3, 4, 2, 5], [0, 1, 2, 3], 6, open_batches=2)
    [[0, 2], [1], [3]]
    """
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be >= 1, got {max_tokens}")
    if open_batches < 1:
        raise ValueError(f"open_batches must be >= 1, got {open_batches}")
    batches: list[list[int]] = []
    totals: list[int] = []
    for index in order:
        size = int(counts[index])
        start = max(0, len(batches) - open_batches)
        for b in range(start, len(batches)):
            if totals[b] + size <= max_tokens:
                batches[b].append(int(index))
                totals[b] += size
                break
        else:
            batches.append([int(index)])
            totals.append(size)
    return batches


def split_batch(counts: Sequence[int], batch: list[int]) -> tuple[list[int], list[int]]:
    """Cut a batch of at least two items in two, at the point that best halves its tokens."""
    if len(batch) < 2:
        raise ValueError(f"cannot split a batch of {len(batch)} item(s)")
    sizes = np.asarray([int(counts[i]) for i in batch], dtype=np.int64)
    prefix = np.cumsum(sizes)[:-1]  # tokens before each cut 1..len-1
    cut = int(np.argmin(np.abs(2 * prefix - sizes.sum()))) + 1
    return batch[:cut], batch[cut:]


def best_fit_decreasing(counts: Sequence[int], order: Sequence[int], max_tokens: int) -> list[list[int]]:
    """Near-fewest batches: largest items first, each into the fullest batch it fits (ties: ``order``).

    Batch contents follow item sizes rather than the shuffle, so the sampler uses
    this only when a shuffled packing needs more batches than the epoch length.

    >>> best_fit_decreasing([3, 4, 2, 5, 1], [0, 1, 2, 3, 4], 6)
    [[3, 4], [1, 2], [0]]
    """
    batches: list[list[int]] = []
    room: list[tuple[int, int]] = []  # (tokens left, batch) ascending
    for index in sorted(order, key=lambda i: -int(counts[i])):
        size = int(counts[index])
        k = bisect.bisect_left(room, (size, -1))
        if k < len(room):
            left, b = room.pop(k)
            batches[b].append(int(index))
            bisect.insort(room, (left - size, b))
        else:
            batches.append([int(index)])
            bisect.insort(room, (max_tokens - size, len(batches) - 1))
    return batches


def _even_out(counts: Sequence[int], batches: list[list[int]], target: int, num_replicas: int,
              drop_last: bool) -> list[list[int]]:
    """Exactly ``target`` batches (a multiple of ``num_replicas``) from at most that many.

    Splits the heaviest multi-item batches (no item lost or repeated). With fewer
    items than ``target``, every item ends alone and then the batches are cut to a
    multiple of ``num_replicas`` (``drop_last``) or filled up with repeats of the
    first ones.
    """
    batches = [list(b) for b in batches]
    tokens = [sum(int(counts[i]) for i in b) for b in batches]
    total = sum(len(b) for b in batches)
    while len(batches) < min(target, total):
        heaviest = max((b for b in range(len(batches)) if len(batches[b]) > 1), key=lambda b: (tokens[b], -b))
        first, second = split_batch(counts, batches[heaviest])
        batches[heaviest:heaviest + 1] = [first, second]
        tokens[heaviest:heaviest + 1] = [sum(int(counts[i]) for i in part) for part in (first, second)]
    if len(batches) == target:
        return batches
    if drop_last:
        return batches[: len(batches) // num_replicas * num_replicas]
    return batches + [list(batches[k % len(batches)]) for k in range(target - len(batches))]


def _shuffled(n: int, seed: int, epoch: int, attempt: int) -> list[int]:
    return np.random.default_rng([int(seed), int(epoch), int(attempt)]).permutation(n).tolist()


def epoch_length(
    counts: Sequence[int], max_tokens: int, *, seed: int = 0, shuffle: bool = True, num_replicas: int = 1,
    open_batches: int = 4,
) -> int:
    """Batches per epoch over all ranks, the same for every epoch.

    The most batches that the shuffles of epochs ``0..PROBES-1`` pack into, plus a
    margin of ``int(sqrt(B) / 8)``, rounded up to a multiple of ``num_replicas``.
    Packings differ by a few batches between shuffles, so another epoch rarely needs
    more (then :func:`pack_epoch` redraws its shuffle) and usually splits a few.
    """
    if not shuffle:
        return -(-len(pack_batches(counts, range(len(counts)), max_tokens, open_batches=open_batches))
                 // num_replicas) * num_replicas
    packed = max(len(pack_batches(counts, _shuffled(len(counts), seed, e, 0), max_tokens, open_batches=open_batches))
                 for e in range(PROBES))
    margin = int(math.sqrt(packed) / 8)
    return -(-(packed + margin) // num_replicas) * num_replicas


def assign_ranks(counts: Sequence[int], batches: list[list[int]], num_replicas: int) -> list[list[list[int]]]:
    """Deal ``batches`` (a multiple of ``num_replicas``) into steps of one batch per rank.

    Batches are sorted by tokens and cut into steps of ``num_replicas`` neighbours,
    so the ranks of a step carry similar work; within a step the heaviest batch
    goes to the rank with the fewest tokens so far. Returns ``steps[s][rank]``.
    """
    if len(batches) % num_replicas:
        raise ValueError(f"{len(batches)} batches do not divide among {num_replicas} ranks")
    tokens = [sum(int(counts[i]) for i in b) for b in batches]
    by_size = sorted(range(len(batches)), key=lambda b: (-tokens[b], b))
    running = [0] * num_replicas
    steps = []
    for s in range(0, len(by_size), num_replicas):
        step: list[list[int]] = [[] for _ in range(num_replicas)]
        ranks = sorted(range(num_replicas), key=lambda r: (running[r], r))
        for b, r in zip(by_size[s:s + num_replicas], ranks):
            step[r] = batches[b]
            running[r] += tokens[b]
        steps.append(step)
    return steps


def pack_epoch(
    counts: Sequence[int],
    max_tokens: int,
    *,
    epoch: int = 0,
    seed: int = 0,
    shuffle: bool = True,
    open_batches: int = 4,
    num_batches: int | None = None,
) -> tuple[list[list[int]], int]:
    """One epoch's batches before they are evened out and dealt to ranks, and how they were found.

    Packs the ``(seed, epoch)`` shuffle. With ``num_batches`` and a packing that
    needs more batches, redraws the shuffle (up to ``RETRIES`` times), then falls
    back to :func:`best_fit_decreasing`. Returns ``(batches, attempt)``: ``attempt``
    is 0 for the first shuffle, ``k`` for the k-th redraw, ``-1`` for best fit.
    """
    n = len(counts)
    order = _shuffled(n, seed, epoch, 0) if shuffle else list(range(n))
    batches = pack_batches(counts, order, max_tokens, open_batches=open_batches)
    if num_batches is None or len(batches) <= num_batches:
        return batches, 0
    for attempt in range(1, RETRIES + 1 if shuffle else 1):
        order = _shuffled(n, seed, epoch, attempt)
        batches = pack_batches(counts, order, max_tokens, open_batches=open_batches)
        if len(batches) <= num_batches:
            return batches, attempt
    batches = best_fit_decreasing(counts, order, max_tokens)
    if len(batches) > num_batches:
        raise RuntimeError(f"{n} items need {len(batches)} batches of {max_tokens} tokens; "
                           f"num_batches={num_batches} is too few")
    return batches, -1


def plan_epoch(
    counts: Sequence[int],
    max_tokens: int,
    *,
    epoch: int = 0,
    seed: int = 0,
    shuffle: bool = True,
    num_replicas: int = 1,
    drop_last: bool = False,
    open_batches: int = 4,
    num_batches: int | None = None,
) -> list[list[list[int]]]:
    """Every rank's batches for one epoch: ``plan[rank][step]`` is a list of dataset indices.

    Packs the ``(seed, epoch)`` shuffle (:func:`pack_epoch`). ``num_batches`` (over
    all ranks, a multiple of ``num_replicas``; :func:`epoch_length`) fixes the count:
    batches are split to reach it. ``None``: the packing's own count, rounded up to a
    multiple of ``num_replicas``. Then deals steps of similar-sized batches to ranks
    (:func:`assign_ranks`) and shuffles the step order.
    """
    if num_replicas < 1:
        raise ValueError(f"num_replicas must be >= 1, got {num_replicas}")
    if num_batches is not None and (num_batches < 1 or num_batches % num_replicas):
        raise ValueError(f"num_batches must be a positive multiple of num_replicas={num_replicas}, got {num_batches}")
    if len(counts) == 0:
        return [[] for _ in range(num_replicas)]
    batches, _ = pack_epoch(counts, max_tokens, epoch=epoch, seed=seed, shuffle=shuffle,
                            open_batches=open_batches, num_batches=num_batches)
    target = num_batches if num_batches is not None else -(-len(batches) // num_replicas) * num_replicas
    steps = assign_ranks(counts, _even_out(counts, batches, target, num_replicas, drop_last), num_replicas)
    if shuffle:
        steps = [steps[s] for s in np.random.default_rng([int(seed), int(epoch)]).permutation(len(steps))]
    else:  # keep the data order: steps by their first index
        steps.sort(key=lambda step: min(min(b) for b in step))
    return [[step[r] for step in steps] for r in range(num_replicas)]


class TokenBudgetBatchSampler(Sampler[list[int]]):
    """Batches of dataset indices holding at most ``max_tokens`` tokens each, in step across DDP ranks.

    ``token_counts[i]`` is item ``i``'s token count (e.g. RLT kept tokens,
    :meth:`rlt.data.token_counts.TokenCounts.budget_counts`). A clip larger than the
    budget goes alone in its batch. Per epoch (:meth:`set_epoch`), with ``seed``:

    - every rank gets the SAME number of batches, ``len(sampler)``, and that number is
      the same in every epoch (:func:`epoch_length`; trainers such as Lightning read
      it once); ranks' token totals are balanced;
    - every item appears exactly once across ranks. Batch counts are reached by
      splitting multi-item batches (no item lost or repeated); only with fewer items
      than batches needed, the extra batches are dropped (``drop_last=True``) or filled
      with repeats of other items (``drop_last=False``: those items are seen twice);
    - the plan is deterministic in ``(seed, epoch)`` and differs between epochs.

    ``open_batches``: an item may go into any of the last this-many batches that has
    room (first-fit over a window, :func:`pack_batches`); 1 is plain next-fit. A few
    open batches fill batches fuller at almost no cost to the shuffle
    (benchmarks/token_budget.md). ``fixed_length=False`` lets the batch count follow
    each epoch's packing instead (``len()`` then changes with :meth:`set_epoch`).

    Mid-epoch resume: :meth:`load_state_dict` with ``{"epoch": e, "consumed": n}``
    makes the next iteration yield exactly the batches of epoch ``e`` after its first
    ``n`` (``n`` = all of them moves on to the start of epoch ``e + 1``); ``len()``
    stays the full epoch's count, as Lightning, which resumes its own batch counter
    at ``n``, expects. :meth:`state_dict` reports the batches handed out so far,
    which DataLoader prefetching puts ahead of training: store the number of batches
    actually trained on as ``"consumed"``.
    """

    def __init__(
        self,
        token_counts: Sequence[int],
        max_tokens: int,
        *,
        shuffle: bool = True,
        seed: int = 0,
        num_replicas: int = 1,
        rank: int = 0,
        drop_last: bool = False,
        open_batches: int = 4,
        fixed_length: bool = True,
    ) -> None:
        counts = [int(c) for c in token_counts]
        if any(c < 0 for c in counts):
            raise ValueError(f"token counts must be >= 0, got {min(counts)}")
        if max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {max_tokens}")
        if num_replicas < 1:
            raise ValueError(f"num_replicas must be >= 1, got {num_replicas}")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"rank must be in [0, {num_replicas}), got {rank}")
        if open_batches < 1:
            raise ValueError(f"open_batches must be >= 1, got {open_batches}")
        self.counts = counts
        self.max_tokens = int(max_tokens)
        self.shuffle, self.seed, self.drop_last = bool(shuffle), int(seed), bool(drop_last)
        self.num_replicas, self.rank, self.open_batches = int(num_replicas), int(rank), int(open_batches)
        self.num_batches = (epoch_length(counts, self.max_tokens, seed=self.seed, shuffle=self.shuffle,
                                         num_replicas=self.num_replicas, open_batches=self.open_batches)
                            if fixed_length and counts else None)  # over all ranks, every epoch
        self.epoch = 0
        self._start = 0  # batches of self.epoch to skip on the next iteration (resume)
        self._consumed = 0  # batches handed out by the current iteration
        self._cache: tuple[int, list[list[int]]] | None = None

    def set_epoch(self, epoch: int) -> None:
        """Use the plan of ``epoch``; a pending resume offset is kept only for its own epoch."""
        if int(epoch) != self.epoch:
            self._start = 0
        self.epoch = int(epoch)

    def batches(self, epoch: int | None = None) -> list[list[int]]:
        """This rank's full list of batches for ``epoch`` (default: the current one)."""
        epoch = self.epoch if epoch is None else int(epoch)
        if self._cache is None or self._cache[0] != epoch:
            plan = plan_epoch(self.counts, self.max_tokens, epoch=epoch, seed=self.seed, shuffle=self.shuffle,
                              num_replicas=self.num_replicas, drop_last=self.drop_last,
                              open_batches=self.open_batches, num_batches=self.num_batches)
            self._cache = (epoch, plan[self.rank])
        return self._cache[1]

    def __len__(self) -> int:
        return len(self.batches())

    def __iter__(self) -> Iterator[list[int]]:
        batches, start = self.batches(), self._start
        self._start, self._consumed = 0, start  # a resume offset applies to one iteration only
        for batch in batches[start:]:
            self._consumed += 1
            yield list(batch)

    def state_dict(self) -> dict[str, Any]:
        """``{"epoch", "consumed", "seed", "max_tokens", "num_replicas", "num_items"}`` (JSON-able)."""
        return {"epoch": self.epoch, "consumed": self._consumed, "seed": self.seed, "max_tokens": self.max_tokens,
                "num_replicas": self.num_replicas, "num_items": len(self.counts)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue epoch ``state["epoch"]`` after its first ``state["consumed"]`` batches."""
        for key in ("seed", "max_tokens", "num_replicas", "num_items"):
            mine = len(self.counts) if key == "num_items" else getattr(self, key)
            if key in state and int(state[key]) != mine:
                raise ValueError(f"cannot resume: saved {key}={state[key]} but this sampler has {key}={mine}")
        epoch, consumed = int(state["epoch"]), int(state["consumed"])
        total = len(self.batches(epoch))
        if not 0 <= consumed <= total:
            raise ValueError(f"consumed must be in [0, {total}] for epoch {epoch}, got {consumed}")
        if consumed == total:  # the epoch was finished: go on with the next one
            epoch, consumed = epoch + 1, 0
        self.epoch, self._start, self._consumed = epoch, consumed, consumed
