"""``rlt stats``: how many tokens RLT keeps on your videos, and what it costs in PSNR."""

from __future__ import annotations

import argparse
import sys

from .dataset_args import add_dataset_arguments, config_json, stream
from .sampling_args import add_clip_arguments, clip_config, usage_error


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "stats",
        help="token savings and reconstruction PSNR of RLT over videos, folders or dataset lists",
        description="Cut every video into consecutive clips, run RLT on each and report how many tokens it "
        "keeps and the PSNR of the RLT reconstruction. Exit status: 0 if every input was processed, 1 if some "
        "failed (results are still written and every failure is listed), 2 for usage errors.",
    )
    add_dataset_arguments(p, csv_help="write one row per input as CSV (failed inputs have 'error' set)")
    add_clip_arguments(p)
    p.set_defaults(func=run)


def _describe(result) -> str:
    t = result.tally
    psnr = "exact" if t.psnr is None else f"PSNR {t.psnr:.2f} dB"
    clips = f"{t.clips} clip{'' if t.clips == 1 else 's'}"
    kept = f"kept {t.tokens_kept}/{t.tokens_total} tokens ({100 * t.kept_fraction:.1f}%)"
    padded = f", shorter than a clip: last frame repeated {result.padded_frames}x" if result.padded_frames else ""
    return f"{result.path}: {clips}, {kept}, {psnr}{padded}"


def run(args: argparse.Namespace) -> int:
    try:
        config = clip_config(args)
    except ValueError as err:
        return usage_error("stats", str(err))
    from rlt.stats import StatsSummary, VideoJob
    from rlt.stats.video import ROW_FIELDS
    from rlt.viz.optional import import_optional

    try:
        import_optional("av", "video", purpose="decode videos")
    except ImportError as err:
        print(f"rlt stats: {err}", file=sys.stderr)
        return 2
    summary = stream(args, VideoJob(config), StatsSummary(), config_json=config_json(config.to_dict(), args),
                     csv_fields=ROW_FIELDS + ("error",), csv_rows=lambda row: [row], describe=_describe)
    print(summary.table())
    return 1 if summary.failed else 0
