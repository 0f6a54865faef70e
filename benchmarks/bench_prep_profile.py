"""Where the tokenizer's time goes: normalise, static test, gather, packing (CPU, 16x224x224 clips).

python benchmarks/bench_prep_profile.py [--batch 4] [--interval 4] [--repeats 7] [--threads 1]

Times each stage of ``normalize`` + ``RLTReducer.pack`` on the sample videos' clips,
interleaved per repeat, and prints the medians with their range. The share of the
dense forward is read from a ``rlt bench`` run of the same batch.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from rlt.bench import load_clips
from rlt.ops import PackedBatch, gather_tubelets, normalize, static_keep
from rlt.stats import StatsConfig
from rlt.stats.samples import sample_videos


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--interval", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    clips = load_clips([str(p) for p in sample_videos()], StatsConfig(interval=args.interval), args.batch)
    frames = clips.batch(args.batch)  # (B, T, H, W, 3) uint8
    stages = {"normalize": [], "static_keep": [], "gather_tubelets": [], "PackedBatch.from_keep": []}
    for _ in range(args.repeats + 1):
        t0 = time.perf_counter()
        video = normalize(frames, channels_last=True)
        t1 = time.perf_counter()
        keep = static_keep(video, tau=0.1)
        t2 = time.perf_counter()
        tokens = gather_tubelets(video, keep)
        t3 = time.perf_counter()
        PackedBatch.from_keep(keep, tokens)
        t4 = time.perf_counter()
        for name, seconds in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
            stages[name].append(seconds)
    total = [sum(v[i] for v in stages.values()) for i in range(args.repeats + 1)][1:]
    print(f"batch {args.batch} x 16x224x224, interval {args.interval}, {args.threads} thread(s), "
          f"{args.repeats} repeats (first dropped)")
    for name, values in stages.items():
        v = values[1:]
        print(f"  {name:<22} {1000 * statistics.median(v):7.1f} ms  [{1000 * min(v):.1f}-{1000 * max(v):.1f}]")
    print(f"  {'total':<22} {1000 * statistics.median(total):7.1f} ms  [{1000 * min(total):.1f}-{1000 * max(total):.1f}]")


if __name__ == "__main__":
    main()
