"""Run the fidelity experiment: ``rlt train`` / ``rlt eval`` subprocesses, cached per run, then the table.

Each run writes ``OUT/runs/<key>/result.json`` when it finishes (``{"status": "ok", ...}``
or ``{"status": "failed", "error": ...}``). A later call skips runs whose result is
``ok`` and retries the rest, so an interrupted experiment resumes where it stopped.
The real commands run as separate processes, exactly as a user would type them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .fidelity_plan import FidelityPlan, Run, overrides, plan_runs

RESULT = "result.json"


@dataclass
class FidelityOutcome:
    """Every run's result, in plan order."""

    results: dict[str, dict] = field(default_factory=dict)  # run key -> result.json contents
    ran: int = 0  # runs executed by this call
    reused: int = 0  # runs whose ok result was already on disk

    @property
    def failed(self) -> list[tuple[str, str]]:
        return [(k, r.get("error", "")) for k, r in self.results.items() if r.get("status") != "ok"]


def recipe(plan: FidelityPlan) -> dict:
    """The settings every run shares (not the grid), as stored in result.json: a cached run is reused only
    when they match, so adding seeds or trainings reuses the runs already done."""
    grid = ("trainings", "intervals", "seeds", "taus")
    return json.loads(json.dumps({k: v for k, v in plan.to_dict().items() if k not in grid}))


def command(run: Run) -> list[str]:
    """The ``rlt`` command line of a run (without its overrides)."""
    return [sys.executable, "-m", "rlt.cli.main", run.kind]


def _read(path: Path) -> dict | None:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _tail(text: str, lines: int = 8) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _execute(run: Run, args: list[str], run_dir: Path, timeout: float | None) -> dict:
    """Run one command; return its result dict (status ok / failed, measurements)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    cmd = command(run) + (["--json", str(run_dir / "eval.json")] if run.kind == "eval" else []) + args
    (run_dir / "command.txt").write_text(" ".join(cmd[2:]) + "\n", encoding="utf-8")
    start = time.perf_counter()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=os.environ.copy())
    except subprocess.TimeoutExpired:
        return {"status": "failed", "error": f"timed out after {timeout:g} s"}
    wall = time.perf_counter() - start
    (run_dir / "log.txt").write_text(done.stdout + done.stderr, encoding="utf-8")
    if done.returncode != 0:
        return {"status": "failed", "error": f"exit {done.returncode}: {_tail(done.stderr or done.stdout)}"}
    if run.kind == "train":
        summary = _read(run_dir / "train.json")
        if not summary or not summary.get("epochs"):
            return {"status": "failed", "error": "rlt train wrote no train.json epochs"}
        epochs = summary["epochs"]
        return {"status": "ok", "wall_s": wall, "train_s": sum(e["seconds"] for e in epochs),
                "train_tokens_per_clip": sum(e["tokens_per_clip"] for e in epochs) / len(epochs),
                "epochs": len(epochs)}
    results = _read(run_dir / "eval.json")
    if not results or results.get("top1") is None:
        return {"status": "failed", "error": "rlt eval wrote no top1"}
    rate = results.get("clips_per_s")
    return {"status": "ok", "wall_s": wall, "top1": results["top1"], "tokens_per_clip": results["tokens_per_clip"],
            "block_tokens_per_clip": results.get("block_tokens_per_clip"), "clips": results["clips"],
            "infer_ms_per_clip": 1000.0 / rate if rate else None}


def run_experiment(
    plan: FidelityPlan, data_dir: str | os.PathLike, out_dir: str | os.PathLike, *, classes: int,
    timeout: float | None = None, on_run: Callable[[Run, dict, bool], None] | None = None,
) -> FidelityOutcome:
    """Execute (or reuse) every run of ``plan`` on the dataset in ``data_dir``; results under ``out_dir/runs``.

    An evaluation whose training failed is recorded as failed without running.
    ``on_run(run, result, reused)`` is called once per run.
    """
    out, data = Path(out_dir).resolve(), Path(data_dir).resolve()
    runs_dir = out / "runs"
    outcome = FidelityOutcome()
    stamp = recipe(plan)
    for run in plan_runs(plan):
        run_dir = runs_dir / run.key
        cached = _read(run_dir / RESULT)
        if cached and cached.get("status") == "ok" and cached.get("plan") == stamp:
            outcome.results[run.key], outcome.reused = cached, outcome.reused + 1
            if on_run:
                on_run(run, cached, True)
            continue
        trained = outcome.results.get(run.train_key)
        if run.kind == "eval" and (trained is None or trained.get("status") != "ok"):
            result = {"status": "failed", "error": f"training {run.train_key} failed"}
        else:
            args = overrides(plan, run, str(data), str(runs_dir), classes)
            result = _execute(run, args, run_dir, timeout)
            outcome.ran += 1
        result.update(kind=run.kind, training=run.training, interval=run.interval, seed=run.seed,
                      eval_reducer=run.eval_reducer, eval_tau=run.eval_tau, plan=stamp)
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / RESULT).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        outcome.results[run.key] = result
        if on_run:
            on_run(run, result, False)
    return outcome
