"""Where a forward's time goes, per op kind, under each reducer (vit-s, batch 4, the sample videos).

python benchmarks/bench_op_profile.py [--model vit-s] [--batch 4] [--interval 4] [--threads 1] [--repeats 3]

Runs ``model(video, reducer=red)`` under ``torch.profiler`` for ``none``, ``rlt`` and
``random`` (matched to RLT's kept fraction), interleaved, and prints the self CPU time
of the main op groups (median over repeats) and, per group, the median of the
per-repeat paired ratios none / reducer with their range: this shows which part
of the step does not shrink as its FLOP count does.
"""

from __future__ import annotations

import argparse
import statistics
from collections import defaultdict

import torch
from torch.profiler import ProfilerActivity, profile

from rlt.bench import load_clips, spread
from rlt.bench.pairing import paired_ratios
from rlt.models import create_model
from rlt.ops import normalize
from rlt.reducers import create
from rlt.stats import StatsConfig
from rlt.stats.samples import sample_videos

GROUPS = {  # op name -> group
    "aten::addmm": "linear (qkv, proj, MLP, embed)", "aten::mm": "linear (qkv, proj, MLP, embed)",
    "aten::_scaled_dot_product_flash_attention_for_cpu": "attention kernel",
    "aten::gelu": "GELU", "aten::native_layer_norm": "LayerNorm",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="vit-s")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--interval", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    clips = load_clips([str(p) for p in sample_videos()], StatsConfig(interval=args.interval), args.batch)
    video = normalize(clips.batch(args.batch), channels_last=True)
    model = create_model(args.model).eval()
    rlt = create("rlt", tau=0.1)
    kept = rlt.pack(video, tubelet_size=2, patch_size=16).seqlens
    reducers = {"none": create("none"), "rlt": rlt,
                "random": create("random", keep=kept.sum().item() / (len(kept) * 1568))}
    times: dict[str, dict[str, list[float]]] = {n: defaultdict(list) for n in reducers}
    with torch.inference_mode():
        for red in reducers.values():
            model(video, reducer=red)  # warm-up
        for _ in range(args.repeats):
            for name, red in reducers.items():
                with profile(activities=[ProfilerActivity.CPU]) as prof:
                    model(video, reducer=red)
                group_ms: dict[str, float] = defaultdict(float)
                for event in prof.key_averages():
                    group_ms[GROUPS.get(event.key, "other ops")] += event.self_cpu_time_total / 1000
                for group, ms in group_ms.items():
                    times[name][group].append(ms)
                times[name]["total"].append(sum(group_ms.values()))
    groups = [*dict.fromkeys(GROUPS.values()), "other ops", "total"]
    print(f"{args.model}, batch {args.batch}, interval {args.interval}, {args.threads} thread(s); "
          f"tokens per clip: rlt {kept.tolist()}; self CPU ms, median of {args.repeats}")
    print("| op group | none ms | rlt ms | random ms | none/rlt paired | none/random paired |")
    print("|---|---|---|---|---|---|")
    for g in groups:
        med = {n: statistics.median(times[n][g]) if times[n][g] else 0.0 for n in reducers}

        def ratio(n: str) -> str:
            if not times[n][g] or not all(times[n][g]):
                return "-"
            s = spread(paired_ratios(times["none"][g], times[n][g]))
            return f"{s.median:.2f}x [{s.low:.2f}-{s.high:.2f}]"

        print(f"| {g} | {med['none']:.0f} | {med['rlt']:.0f} | {med['random']:.0f} | {ratio('rlt')} | "
              f"{ratio('random')} |")


if __name__ == "__main__":
    main()
