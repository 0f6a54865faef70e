"""``rlt experiment fidelity``: does RLT keep accuracy? Trains and evaluates every variant, writes the table."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import sys
import time
from pathlib import Path

from .sampling_args import float_list, int_list, non_negative_int, positive_float, positive_int, usage_error


def _name_list(text: str) -> tuple[str, ...]:
    items = tuple(dict.fromkeys(t.strip() for t in text.split(",") if t.strip()))
    if not items:
        raise argparse.ArgumentTypeError(f"expected comma-separated names, got {text!r}")
    return items


_GRID = ("trainings", "intervals", "seeds", "taus")
_HELP = {"epochs": "training epochs per run", "num_frames": "frames per clip fed to the model",
         "size": "crop side fed to the model", "patch_size": "ViT patch side", "width": "ViT width",
         "depth": "ViT blocks", "heads": "attention heads", "batch_size": "clips per training step",
         "lr": "peak learning rate", "num_workers": "DataLoader decoding processes per run",
         "eval_views": "temporal views per test video"}


def _seed_list(text: str) -> tuple[int, ...]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"expected comma-separated seeds, got {text!r}")
    return tuple(dict.fromkeys(non_negative_int(t) for t in items))


def register(sub: argparse._SubParsersAction) -> None:
    from rlt.experiments.fidelity_plan import TRAININGS

    p = sub.add_parser("experiment", help="reproducible experiments: `rlt experiment fidelity OUT_DIR`",
                       description="Experiments built from rlt train / rlt eval.")
    exp_sub = p.add_subparsers(dest="experiment", metavar="NAME")
    f = exp_sub.add_parser(
        "fidelity", help="accuracy, tokens and wall-clock of dense vs RLT (and random, ToMe) on the generated dataset",
        description="Train a small video ViT on the generated motion dataset (rlt data synth) with each reducer, "
        "for every interval and seed, evaluate it, and write OUT_DIR/fidelity.md and fidelity.json: top-1, tokens "
        "per clip, training and inference wall-clock as mean ± std over seeds. Every rlt train / rlt eval call runs "
        "as its own process and caches its result under OUT_DIR/runs, so a second call resumes. Exit status: 0 all "
        "runs finished, 1 some failed (the table is still written and lists them), 2 usage error.",
    )
    f.add_argument("out_dir", metavar="OUT_DIR", help="results folder (created; an earlier run's is resumed)")
    f.add_argument("--data", metavar="DIR", help="a dataset from `rlt data synth` (default: generate one "
                   "into OUT_DIR/data with --scale)")
    f.add_argument("--scale", choices=("small", "gpu"), default="small",
                   help="preset of the generated dataset when --data is not given (default small)")
    f.add_argument("--tiny", action="store_true", help="a two-epoch smoke run: 2 classes, a handful of 32 px clips, "
                   "trainings none and rlt, one seed (for tests)")
    f.add_argument("--trainings", type=_name_list, help=f"training variants (default all: {','.join(TRAININGS)})")
    f.add_argument("--intervals", type=int_list, help="frame intervals (default 4,1)")
    f.add_argument("--seeds", type=_seed_list, help="training seeds (default 0,1,2)", metavar="S,S,...")
    f.add_argument("--taus", type=float_list, help="inference thresholds for the dense model (default 0.05,0.1,0.2,0.3)")
    from rlt.experiments.fidelity_plan import FidelityPlan

    for field in dataclasses.fields(FidelityPlan):  # the recipe's numbers: --epochs, --size, --lr, ...
        if field.name in _GRID or field.name == "extra":
            continue
        kind = positive_float if field.name == "lr" else (non_negative_int if field.name == "num_workers"
                                                          else positive_int)
        f.add_argument("--" + field.name.replace("_", "-"), type=kind, default=None,
                       help=f"{_HELP[field.name]} (default {field.default})")
    f.add_argument("--set", dest="extra", action="append", default=[], metavar="key=value",
                   help="extra override for every rlt train / eval call (repeatable), e.g. trainer.accelerator=gpu")
    f.add_argument("--timeout", type=positive_float, help="seconds before one run is stopped and counted failed")
    f.add_argument("--workers", type=non_negative_int, default=os.cpu_count() or 1,
                   help="processes generating the dataset (default: all cores)")
    f.set_defaults(func=run_fidelity)
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])


def _plan(args: argparse.Namespace):
    from rlt.experiments.fidelity_plan import TINY, FidelityPlan

    values = dict(TINY) if args.tiny else {}
    for name in _GRID + tuple(_HELP):
        if getattr(args, name) is not None:
            values[name] = getattr(args, name)
    if args.extra:
        bad = [e for e in args.extra if "=" not in e]
        if bad:
            raise ValueError(f"--set expects key=value, got {bad[0]!r}")
        values["extra"] = tuple(args.extra)
    return FidelityPlan(**values)


def _dataset(args: argparse.Namespace, out: Path):
    """The dataset folder and its class count; generates it when --data is not given."""
    from rlt.experiments.synth import generate, read_classes
    from rlt.experiments.synth_config import SynthConfig, preset

    if args.data:
        data = Path(args.data)
        if not (data / "classes.json").is_file() or not (data / "test.csv").is_file():
            raise ValueError(f"--data {data}: not a dataset from `rlt data synth` (no classes.json / test.csv)")
        return data, len(read_classes(data))
    config = (SynthConfig(classes=2, train=8, val=0, test=4, size=32, frames=16) if args.tiny
              else preset(args.scale))
    data = out / "data"
    print(f"generating the dataset into {data} ({config.train + config.val + config.test} clips)", file=sys.stderr)
    result = generate(data, config, workers=args.workers)
    if result.failed:
        print(f"{len(result.failed)} clip(s) could not be generated and are left out of the lists", file=sys.stderr)
    return data, config.classes


def run_fidelity(args: argparse.Namespace) -> int:
    try:
        plan = _plan(args)
    except ValueError as err:
        return usage_error("experiment fidelity", str(err))
    try:
        import lightning  # noqa: F401
    except ImportError:
        return usage_error("experiment fidelity", "needs Lightning: pip install rlt-video[train]")
    from rlt.experiments.fidelity import run_experiment
    from rlt.experiments.fidelity_table import build_rows, markdown, rows_json
    from rlt.experiments.fidelity_plan import plan_runs

    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    try:
        data, classes = _dataset(args, out)
    except (ValueError, ImportError) as err:
        return usage_error("experiment fidelity", str(err))
    total = len(plan_runs(plan))
    count = [0]

    def on_run(run, result, reused):
        count[0] += 1
        state = "cached" if reused else result["status"]
        extra = f" top1 {result['top1']:.1f}%" if result.get("top1") is not None else ""
        error = f": {result.get('error', '').splitlines()[-1] if result.get('error') else ''}" \
            if result["status"] != "ok" else ""
        print(f"[{count[0]}/{total}] {run.kind} {run.key}: {state}{extra}{error}", file=sys.stderr, flush=True)

    start = time.perf_counter()
    outcome = run_experiment(plan, data, out, classes=classes, timeout=args.timeout, on_run=on_run)
    rows = build_rows(plan, outcome.results)
    table = markdown(rows)
    failed = outcome.failed
    machine = {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
               "cpus": os.cpu_count(), "python": platform.python_version()}
    report = {"plan": plan.to_dict(), "data": str(data), "classes": classes, "machine": machine,
              "seconds": time.perf_counter() - start, "ran": outcome.ran, "reused": outcome.reused,
              "rows": rows_json(rows), "failed": [{"run": k, "error": e} for k, e in failed],
              "runs": outcome.results}
    (out / "fidelity.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    lines = [f"# Fidelity results ({out})", "", f"Data: {data} ({classes} classes). Plan: "
             + ", ".join(f"{k}={v}" for k, v in dataclasses.asdict(plan).items() if v != ()), "", table]
    if failed:
        lines += ["## Failed runs", ""] + [f"- {k}: {e.splitlines()[-1] if e else ''}" for k, e in failed] + [""]
    (out / "fidelity.md").write_text("\n".join(lines), encoding="utf-8")
    print(table)
    print(f"{outcome.ran} run(s) executed, {outcome.reused} reused, {len(failed)} failed; "
          f"results in {out / 'fidelity.md'} and {out / 'fidelity.json'}")
    for key, error in failed:
        print(f"  failed: {key}: {error.splitlines()[-1] if error else ''}", file=sys.stderr)
    return 1 if failed else 0
