"""Print the per-video Markdown table of an ``rlt sweep --json`` file (used for docs/cli.md).

    python benchmarks/sweep_table.py benchmarks/sweep_samples.json
"""

from __future__ import annotations

import json
import os
import sys


def _sampling(point: dict) -> int | str:
    return point["interval"] if point["interval"] is not None else f"{point['fps']:g} fps"


def table(data: dict) -> str:
    samplings = [_sampling(s) for s in data["config"]["samplings"]]
    taus = data["config"]["taus"]
    head = "| video | sampling | clips | " + " | ".join(f"kept @ tau={t:g}" for t in taus) + " | " + \
        " | ".join(f"PSNR @ tau={t:g}" for t in taus) + " |"
    lines = [head, "|" + "---|" * (3 + 2 * len(taus))]
    rows = [(os.path.basename(v["path"]), v["points"]) for v in data["videos"]]
    rows.append(("**all (pooled)**", data["summary"]["points"]))
    for name, points in rows:
        for sampling in samplings:
            mine = [p for p in points if _sampling(p) == sampling]
            kept = " | ".join(f"{100 * p['kept_fraction']:.1f}%" for p in mine)
            psnr = " | ".join("exact" if p["psnr"] is None else f"{p['psnr']:.1f} dB" for p in mine)
            label = f"interval {sampling}" if isinstance(sampling, int) else sampling
            lines.append(f"| {name} | {label} | {mine[0]['clips']} | {kept} | {psnr} |")
    return "\n".join(lines)


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        print(table(json.load(f)))
