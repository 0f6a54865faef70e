"""Training speed of the same generated-data run under none / rlt / rlt+random, fixed vs token-budget batches.

Each run is a separate ``rlt train`` process (so the peak resident memory is its own),
on the generated toy dataset (``rlt.train.toy_data``), rounds interleaved. Per run:
wall-clock of the last epoch (the first one warms up), tokens per step, steps, and
peak memory. Budget runs use ``max_tokens`` = clips per fixed batch x the mean tokens
per clip that reducer had in its fixed run, + 5%.

    python benchmarks/train_speed.py --out benchmarks/train_speed.json   # then see train_speed.md
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REDUCERS = {"none": [], "rlt": ["train.reducer.tau=0.1"],
            "rlt+random": ["train.reducer.tau=0.1", "train.reducer.keep=0.3"]}


def run(data: Path, out: Path, reducer: str, extra: list[str], args) -> dict:
    cmd = [sys.executable, "-m", "rlt.cli.main", "train", f"data.root={data}", f"data.train_list={data / 'train.txt'}",
           "model.name=vit-s", f"model.depth={args.depth}", "model.num_classes=4", "data.num_frames=16",
           "data.interval=1", f"data.size={args.size}", "data.crop_scale=[0.5,1.0]", f"data.batch_size={args.batch}",
           f"data.num_workers={args.workers}", f"train.reducer.name={reducer}", *REDUCERS[reducer],
           "train.augment.mixup=0", "train.augment.cutmix=0", "train.augment.erase=0", "train.val_every=0",
           "trainer.accelerator=cpu", "trainer.devices=1", f"trainer.max_epochs={args.epochs}",
           "trainer.logger=none", "trainer.progress_bar=false", f"out_dir={out}", *extra]
    done = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ))
    if done.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    epochs = json.loads((out / "train.json").read_text())["epochs"]
    last = epochs[-1]
    return {"seconds": last["seconds"], "steps": last["batches"], "tokens_per_step": last["tokens_per_step"],
            "tokens_per_clip": last["tokens_per_clip"], "peak_memory_mb": last["peak_memory_mb"]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--videos", type=int, default=64)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--depth", type=int, default=4)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--out", type=Path, default=Path("benchmarks/train_speed.json"))
    args = p.parse_args()
    from rlt.train.toy_data import write_toy_dataset

    tmp = Path(tempfile.mkdtemp(prefix="train_speed_"))
    data = write_toy_dataset(tmp / "data", args.videos, val_fraction=0.0, size=args.size)
    results: dict[str, list[dict]] = {}
    for r in range(args.rounds):
        for reducer in REDUCERS:
            fixed = run(data, tmp / f"{reducer}-fixed-{r}", reducer, [], args)
            results.setdefault(f"{reducer} fixed", []).append(fixed)
            budget = int(args.batch * fixed["tokens_per_clip"] * 1.05)
            res = run(data, tmp / f"{reducer}-budget-{r}", reducer, [f"data.max_tokens={budget}"], args)
            res["max_tokens"] = budget
            results.setdefault(f"{reducer} budget", []).append(res)
            print(reducer, fixed, res, flush=True)
    summary = {}
    for key, runs in results.items():
        summary[key] = {m: {"median": statistics.median(x[m] for x in runs), "min": min(x[m] for x in runs),
                            "max": max(x[m] for x in runs)}
                        for m in runs[0]}
    args.out.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "runs": results,
                                    "summary": summary}, indent=1))
    for key, s in summary.items():
        cells = [f"{m}={v['median']:.1f} [{v['min']:.1f}, {v['max']:.1f}]" for m, v in s.items()]
        print(f"{key:18s} " + "  ".join(cells))


if __name__ == "__main__":
    main()
