"""``rlt eval``: multi-view accuracy, tokens per clip and throughput of a checkpoint under a reducer."""

from __future__ import annotations

import argparse
import json
import sys

from .train import add_config_arguments, load_or_exit, usage_error


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval",
        help="top-1/top-5 of a checkpoint on data.val_list with n_temporal x crops views, under any reducer",
        description="Evaluate model.checkpoint (a run directory of rlt train, or any checkpoint rlt.models loads) "
        "on data.val_list: eval.temporal_views clips with evenly spread starts x eval.spatial_crops crops per "
        "video, softmax averaged per video, each video counted once across DDP ranks. Reports top1, top5, loss, "
        "videos, clips, views, tokens_per_clip, clips_per_s and the reducer. Exit status: 0 all videos "
        "evaluated, 1 some failed to load (listed under 'failed'), 2 usage error.",
    )
    add_config_arguments(p)
    p.add_argument("--json", metavar="PATH", help="write the results as JSON (resolved config beside it)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        import lightning  # noqa: F401
    except ImportError:
        return usage_error("eval", "needs Lightning: pip install rlt-video[train]")
    config = load_or_exit("eval", args, ("model.checkpoint", "data.val_list"))
    if config is None:
        return 2
    from rlt.train.run import evaluate

    from lightning.pytorch.utilities import rank_zero_only

    results = evaluate(config, args.json)
    if rank_zero_only.rank != 0:  # every rank holds the same gathered results; one prints them
        return 1 if results.get("failed") else 0
    shown = {k: v for k, v in results.items() if k != "failed"}
    print(json.dumps(shown))
    if results.get("failed"):
        print(f"{len(results['failed'])} video(s) failed:", file=sys.stderr)
        for f in results["failed"]:
            print(f"  {f['path']}: {f['error']}", file=sys.stderr)
        return 1
    return 0
