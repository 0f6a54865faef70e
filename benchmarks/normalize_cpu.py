"""Normalisation and the whole prepare_batch step on CPU, before and after issue 13's fix.

"before" is the code as it was, re-written here: ``normalize`` in four passes
(convert, /255, -mean, /std) returning a channels-last view, and ``prepare_batch``
normalising twice (once for ``"clip"``, once inside ``pack_video``) before RLT.
"after" is the library as it is. Both run on the same 4 uint8 clips of 16x224x224
(a still background, a moving square, sensor noise), interleaved repeat by
repeat; the headline is the median of the per-repeat ratios before/after, with
the spread. The share is the step's median time over a dense forward of the
model on the same clips (normalisation included in the step).

Run: python benchmarks/normalize_cpu.py [--threads 2] [--repeats 9] [--model vit-b] [--forward-repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable

import torch

import rlt
from rlt.data.collate import TokenizeConfig, prepare_batch
from rlt.models import create_model
from rlt.ops import IMAGENET_MEAN, IMAGENET_STD


def legacy_normalize(frames: torch.Tensor) -> torch.Tensor:
    """The four-pass version: uint8 ``(B, T, H, W, 3)`` -> channels-last view ``(B, 3, T, H, W)``."""
    x = frames.permute(0, 4, 1, 2, 3).to(torch.float32) / 255.0
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1, 1)
    return (x - mean) / std


def legacy_prepare(video: torch.Tensor, tau: float) -> tuple[torch.Tensor, rlt.PackedBatch]:
    clip = legacy_normalize(video)  # for batch["clip"]
    return clip, rlt.tokenize(legacy_normalize(video), tau=tau)  # pack_video normalised again


def frames(batch: int, seed: int = 0) -> torch.Tensor:
    """uint8 ``(B, 16, 224, 224, 3)``: grey background, a bright square moving 10 px a frame, noise of 2 levels."""
    g = torch.Generator().manual_seed(seed)
    x = torch.full((batch, 16, 224, 224, 3), 100.0)
    for t in range(16):
        x[:, t, 64:128, 10 * t : 10 * t + 64] = 220.0
    return (x + 2.0 * torch.randn(x.shape, generator=g)).clamp(0, 255).to(torch.uint8)


def interleaved(fns: dict[str, Callable[[], object]], repeats: int) -> dict[str, list[float]]:
    """Seconds per call of each function, one call of each per round; one warm-up round first."""
    for fn in fns.values():
        fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return times


def spread(values: list[float], scale: float = 1.0) -> str:
    return f"{statistics.median(values) * scale:.1f} ({min(values) * scale:.1f}-{max(values) * scale:.1f})"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--tau", type=float, default=0.1)
    ap.add_argument("--model", default="vit-b")
    ap.add_argument("--forward-repeats", type=int, default=3, help="0 skips the dense forward")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    video = frames(args.batch)
    batch = {"video": video, "label": torch.zeros(args.batch, dtype=torch.long)}
    config = TokenizeConfig(tau=args.tau)

    # Same results before and after: values to 1e-6, the same kept tokens.
    clip_before, packed_before = legacy_prepare(video, args.tau)
    after = prepare_batch(batch, "cpu", config)
    assert (after["clip"] - clip_before).abs().max() <= 1e-6
    assert torch.equal(after["packed"].keep, packed_before.keep)

    times = interleaved(
        {
            "normalize before": lambda: legacy_normalize(video),
            "normalize after": lambda: rlt.ops.normalize(video),
            "prepare_batch before": lambda: legacy_prepare(video, args.tau),
            "prepare_batch after": lambda: prepare_batch(batch, "cpu", config),
        },
        args.repeats,
    )
    print(f"torch {torch.__version__}, {args.threads} threads, {args.batch} clips of 16x224x224, "
          f"{args.repeats} interleaved repeats, kept fraction {after['packed'].kept_fraction.mean():.3f}")
    print("| step | before ms | after ms | before/after, median of per-repeat ratios (range) |")
    print("|---|---|---|---|")
    for step in ("normalize", "prepare_batch"):
        b, a = times[f"{step} before"], times[f"{step} after"]
        ratios = [x / y for x, y in zip(b, a)]
        print(f"| {step} | {spread(b, 1e3)} | {spread(a, 1e3)} | {spread(ratios)} |")

    if args.forward_repeats:
        model = create_model(args.model).eval()
        clip = after["clip"]
        with torch.inference_mode():
            forward = interleaved({"forward": lambda: model(clip)}, args.forward_repeats)["forward"]
        fwd = statistics.median(forward)
        b, a = statistics.median(times["prepare_batch before"]), statistics.median(times["prepare_batch after"])
        print(f"\ndense {args.model} forward on the same clips: {spread(forward, 1e3)} ms "
              f"({args.forward_repeats} repeats after a warm-up)")
        print(f"prepare_batch share of it: before {100 * b / fwd:.2f}%, after {100 * a / fwd:.2f}%")


if __name__ == "__main__":
    main()
