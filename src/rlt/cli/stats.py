"""``rlt stats``: how many tokens RLT keeps on your videos, and what it costs in PSNR."""

from __future__ import annotations

import argparse

from .dataset_args import add_dataset_arguments, config_json, stream
from .sampling_args import add_clip_arguments, clip_config


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "stats",
        help="token savings and reconstruction PSNR of RLT over videos, folders or dataset lists",
        description="Cut every video into consecutive clips, run RLT on each and report how many tokens it "
        "keeps (of real content: padded and duplicated frames are counted apart) and the PSNR of the RLT "
        "reconstruction. Exit status: 0 if every input was processed, 1 if some failed (results are still "
        "written and every failure is listed), 2 for usage errors (see docs/cli.md).",
    )
    add_dataset_arguments(p, csv_help="write one row per input as CSV (failed inputs have 'error' set)")
    add_clip_arguments(p)
    p.set_defaults(func=run)


def _describe(result) -> str:
    t = result.tally
    psnr = "exact" if t.psnr is None else f"PSNR {t.psnr:.2f} dB"
    clips = f"{t.clips} clip{'' if t.clips == 1 else 's'}"
    kept = f"kept {t.tokens_kept}/{t.tokens_total} tokens ({100 * t.kept_fraction:.1f}%)"
    return f"{result.path}: {clips}, {kept}, {psnr}{not_counted(t)}"


def not_counted(tally) -> str:
    """``", not counted: 3 padded frames"`` when a tally holds padded or duplicated frames, else ``""``."""
    parts = [f"{n} {what} frame{'' if n == 1 else 's'}" for n, what in
             ((tally.padded_frames, "padded"), (tally.duplicated_frames, "duplicated")) if n]
    return f", not counted: {' and '.join(parts)}" if parts else ""


def run(args: argparse.Namespace) -> int:
    config = clip_config(args)
    from rlt.optional import import_optional
    from rlt.stats import ROW_FIELDS, StatsSummary, VideoJob

    import_optional("av", "video", purpose="decode videos")
    summary = stream(args, VideoJob(config), StatsSummary(), config_json=config_json(config.to_dict(), args),
                     csv_fields=ROW_FIELDS + ("error",), csv_rows=lambda row: [row], describe=_describe)
    print(summary.table())
    return 1 if summary.failed else 0
