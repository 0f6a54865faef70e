"""The fidelity results table: rows over seeds as mean +- spread, as Markdown and JSON.

Spread is the sample standard deviation over the seeds that finished (0 with one seed).
A row counts only finished runs and says how many of its seeds finished.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from .fidelity_plan import TAU, TRAININGS, FidelityPlan


@dataclass(frozen=True)
class Stat:
    """Mean and sample standard deviation of one measurement over seeds."""

    mean: float | None
    std: float | None
    n: int

    @staticmethod
    def of(values: list[float | None]) -> Stat:
        xs = [float(v) for v in values if v is not None]
        if not xs:
            return Stat(None, None, 0)
        mean = sum(xs) / len(xs)
        std = math.sqrt(sum((x - mean) ** 2 for x in xs) / (len(xs) - 1)) if len(xs) > 1 else 0.0
        return Stat(mean, std, len(xs))

    def text(self, digits: int = 1) -> str:
        if self.mean is None:
            return "-"
        return f"{self.mean:.{digits}f} ± {self.std:.{digits}f}"


@dataclass(frozen=True)
class Row:
    """One line of the table."""

    table: str  # "inference" (dense model, reducer at test time) or "training"
    name: str  # what was trained / how it was evaluated
    interval: int
    seeds: str  # "3/3": seeds finished / planned
    top1: Stat  # top-1 accuracy (%) on the test split
    tokens: Stat  # tokens per clip entering the encoder at evaluation
    train_tokens: Stat  # tokens per clip in training steps (training table)
    train_s: Stat  # training wall-clock, seconds (sum of epochs)
    infer_ms: Stat  # inference milliseconds per clip (model forward)


def _stats(results: dict[str, dict], keys: list[str], field: str) -> Stat:
    return Stat.of([results[k].get(field) for k in keys if results.get(k, {}).get("status") == "ok"])


def build_rows(plan: FidelityPlan, results: dict[str, dict]) -> list[Row]:
    """Rows of both tables from the per-run results (keys as in :func:`~rlt.experiments.fidelity_plan.plan_runs`)."""
    rows = []
    n = len(plan.seeds)
    for interval in plan.intervals:
        base = [f"interval{interval}/none/seed{s}" for s in plan.seeds]
        if "none" in plan.trainings:
            for reducer, tau in [("none", None)] + [("rlt", t) for t in plan.taus]:
                suffix = reducer if tau is None else f"{reducer}-{tau:g}"
                keys = [f"{b}/eval-{suffix}" for b in base]
                ok = sum(results.get(k, {}).get("status") == "ok" for k in keys)
                rows.append(Row("inference", "dense" if tau is None else f"RLT tau={tau:g}", interval, f"{ok}/{n}",
                                _stats(results, keys, "top1"), _stats(results, keys, "tokens_per_clip"),
                                Stat(None, None, 0), _stats(results, base, "train_s"),
                                _stats(results, keys, "infer_ms_per_clip")))
        for training in plan.trainings:
            trains = [f"interval{interval}/{training}/seed{s}" for s in plan.seeds]
            reducer = TRAININGS[training][3]
            suffix = f"rlt-{TAU:g}" if reducer == "rlt" else reducer
            keys = [f"{t}/eval-{suffix}" for t in trains]
            ok = sum(results.get(k, {}).get("status") == "ok" for k in keys)
            rows.append(Row("training", f"{training} (eval {suffix})", interval, f"{ok}/{n}",
                            _stats(results, keys, "top1"), _stats(results, keys, "tokens_per_clip"),
                            _stats(results, trains, "train_tokens_per_clip"), _stats(results, trains, "train_s"),
                            _stats(results, keys, "infer_ms_per_clip")))
    return rows


def markdown(rows: list[Row]) -> str:
    """Both tables as Markdown."""
    out = []
    for table, title in (("inference", "Dense-trained model, reducer applied at inference"),
                         ("training", "Training with each reducer (matched recipe), evaluated as listed")):
        chosen = [r for r in rows if r.table == table]
        if not chosen:
            continue
        out += [f"### {title}", "",
                "| interval | run | seeds | top-1 (%) | tokens/clip (eval) | tokens/clip (train) | train s | "
                "inference ms/clip |", "|---|---|---|---|---|---|---|---|"]
        for r in chosen:
            out.append(f"| {r.interval} | {r.name} | {r.seeds} | {r.top1.text()} | {r.tokens.text(0)} | "
                       f"{r.train_tokens.text(0)} | {r.train_s.text(0)} | {r.infer_ms.text(2)} |")
        out.append("")
    return "\n".join(out)


def rows_json(rows: list[Row]) -> list[dict]:
    return [asdict(r) for r in rows]
