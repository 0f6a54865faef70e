"""Markdown tables from ``rlt bench --json`` files: python benchmarks/bench_table.py FILE.json [...]

One row per result; with ``--flops`` only the token and GFLOP columns (for ``--flops-only`` runs).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def _options(opts: dict) -> str:
    shown = {k: (f"{v:.3g}" if isinstance(v, float) else v) for k, v in opts.items() if v is not None}
    return ", ".join(f"{k}={v}" for k, v in shown.items()) or "-"


def flops_rows(doc: dict, label: str) -> list[str]:
    rows = []
    for r in doc["results"]:
        t = r["tokens_per_clip"]
        rows.append(f"| {label} | {r['reducer']} | {_options(r['reducer_options'])} | {t['first']:.0f} | "
                    f"{t['last']:.0f} | {r['gflops_per_clip']:.1f} | {r['ideal_speedup']:.2f}x |")
    return rows


def timing_rows(doc: dict, label: str) -> list[str]:
    rows = []
    for r in doc["results"]:
        s, e, t = r["speedup_spread"], r["efficiency_spread"], r["tokens_per_clip"]
        rows.append(
            f"| {label} | {r['mode']} | {r['batch_size']} | {r['reducer']} | {t['first']:.0f}->{t['last']:.0f} | "
            f"{r['gflops_per_clip']:.1f} | {r['ideal_speedup']:.2f}x | {s['median']:.2f}x [{s['low']:.2f}-{s['high']:.2f}] | "
            f"{100 * e['median']:.0f}% [{100 * e['low']:.0f}-{100 * e['high']:.0f}] | {100 * r['tokenizer_share']:.2f}% | "
            f"{r['step_ms']['median'] / 1000:.1f} | {r['peak_mem_mb']:.0f} |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", nargs="+")
    parser.add_argument("--flops", action="store_true", help="token and GFLOP columns only")
    args = parser.parse_args()
    if args.flops:
        print("| run | reducer | options | tokens first block | tokens last block | GFLOPs/clip | ideal speedup |")
        print("|---|---|---|---|---|---|---|")
    else:
        print("| run | mode | batch | reducer | tokens first->last | GFLOPs/clip | ideal | speedup median [min-max] | "
              "efficiency median [min-max] | tokenizer share | step s (median) | peak MB |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for f in args.files:
        doc = json.loads(Path(f).read_text())
        label = Path(f).stem.removeprefix("bench_cpu_").removeprefix("bench_flops_")
        print("\n".join(flops_rows(doc, label) if args.flops else timing_rows(doc, label)))


if __name__ == "__main__":
    main()
