"""Milliseconds per 16x224x224 clip for rlt.tokenize at batch 8 (issue 2, item 7).

Run: python benchmarks/tokenize_cpu.py [--threads 2] [--repeats 20]
Writes nothing; paste the printed table into benchmarks/tokenize_cpu.md.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import time

import torch

import rlt


def cpu_name() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return platform.processor() or "unknown CPU"


def clips(kind: str, batch: int) -> torch.Tensor:
    """Normalised (B, 3, 16, 224, 224) float32 clips."""
    g = torch.Generator().manual_seed(0)
    if kind == "noise":  # every tubelet changes: worst case, all 1568 tokens kept
        return torch.randn(batch, 3, 16, 224, 224, generator=g)
    # Static background with a moving bright square and mild sensor noise.
    frames = torch.full((batch, 16, 224, 224, 3), 100, dtype=torch.uint8)
    for t in range(16):
        frames[:, t, 64:128, 10 * t : 10 * t + 64] = 220
    noisy = frames.float() + torch.randn(frames.shape, generator=g) * 2.0
    return rlt.ops.normalize(noisy.clamp(0, 255).to(torch.uint8))


def time_ms(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=20)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"machine: {cpu_name()}, torch {torch.__version__}, {args.threads} threads, batch {args.batch}")
    print("| content | mode | kept fraction | ms per batch | ms per clip |")
    print("|---|---|---|---|---|")
    for kind in ("static_bg", "noise"):
        video = clips(kind, args.batch)
        for mode in ("previous", "anchor"):
            packed = rlt.tokenize(video, mode=mode)
            ms = time_ms(lambda: rlt.tokenize(video, mode=mode), args.repeats)
            frac = packed.num_tokens / (packed.grid.numel * args.batch)
            print(f"| {kind} | {mode} | {frac:.3f} | {ms:.1f} | {ms / args.batch:.2f} |")


if __name__ == "__main__":
    main()
