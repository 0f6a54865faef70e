"""What ``rlt bench`` prints and writes: a table, Markdown and JSON, each stamped with the run's set-up."""

from __future__ import annotations

import json
from pathlib import Path

COLUMNS = (
    ("mode", "mode"), ("batch", "batch"), ("attention", "attention"), ("reducer", "reducer"),
    ("tokens first->last", "tokens"), ("GFLOPs/clip", "gflops"), ("clips/s", "clips_s"),
    ("ideal", "ideal"), ("speedup (median [min-max])", "speedup"), ("efficiency", "eff"),
    ("tokenizer share", "tok"), ("peak MB", "mem"),
)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.2f}%"


def _num(x: float | None, fmt: str) -> str:
    return "-" if x is None else format(x, fmt)


def _cells(row: dict) -> dict[str, str]:
    s = row.get("speedup_spread")
    t = row["tokens_per_clip"]
    return {
        "mode": row["mode"], "batch": str(row["batch_size"]), "attention": row["attention"],
        "reducer": row["reducer"], "tokens": f"{t['first']:.0f}->{t['last']:.0f}",
        "gflops": f"{row['gflops_per_clip']:.3g}", "clips_s": _num(row["clips_per_s"], ".2f"),
        "ideal": f"{row['ideal_speedup']:.2f}x",
        "speedup": "-" if s is None else f"{s['median']:.2f}x [{s['low']:.2f}-{s['high']:.2f}]",
        "eff": "-" if row["efficiency"] is None else f"{100 * row['efficiency']:.0f}%",
        "tok": _pct(row["tokenizer_share"]), "mem": _num(row["peak_mem_mb"], ".0f"),
    }


def table(rows: list[dict]) -> str:
    """Fixed-width table of the result rows, for the terminal."""
    cells = [_cells(r) for r in rows]
    widths = {k: max([len(h)] + [len(c[k]) for c in cells]) for h, k in COLUMNS}
    lines = ["  ".join(h.ljust(widths[k]) for h, k in COLUMNS)]
    lines += ["  ".join(c[k].ljust(widths[k]) for _, k in COLUMNS) for c in cells]
    return "\n".join(lines)


def describe(doc: dict) -> str:
    """Two lines on what was run where."""
    m, cfg = doc["machine"], doc["config"]
    how = ("tokens and analytic GFLOPs only (--flops-only), nothing timed" if cfg.get("flops_only") else
           f"{cfg['bench']['repeats']} repeats, reducers interleaved in a fresh order each repeat; speedup = "
           "median of per-repeat paired ratios against none, [min-max] over the repeats")
    return (f"{cfg['model_name']} on {cfg['clip_shape'][1]}x{cfg['clip_shape'][2]}x{cfg['clip_shape'][3]} clips "
            f"from {len(set(cfg['sources']))} source(s); {m['device']} ({m['device_name']}), {m['dtype']}, "
            f"{m['threads']} thread(s), torch {m['torch']}, load average {m['load_average']}\n{how}")


def markdown(doc: dict) -> str:
    """The run as a Markdown section: set-up, exact command, table."""
    cells = [_cells(r) for r in doc["results"]]
    head = "| " + " | ".join(h for h, _ in COLUMNS) + " |"
    rule = "|" + "|".join("---" for _ in COLUMNS) + "|"
    body = ["| " + " | ".join(c[k] for _, k in COLUMNS) + " |" for c in cells]
    m = doc["machine"]
    return "\n".join([
        f"Command: `{doc['config']['command']}`", "",
        f"Machine: {m['cpu']} ({m['cpu_count']} logical CPUs), {m['platform']}; device {m['device']} "
        f"({m['device_name']}); torch {m['torch']}; dtype {m['dtype']}; {m['threads']} thread(s); "
        f"load average at start {m['load_average']}, at end {m.get('load_average_end')}.", "",
        describe(doc).split("\n")[1] + ".", "",
        head, rule, *body, "",
    ])


def write_json(path: str | Path, doc: dict) -> None:
    Path(path).write_text(json.dumps(doc, indent=2, allow_nan=False) + "\n")


def write_markdown(path: str | Path, doc: dict) -> None:
    Path(path).write_text(markdown(doc))
