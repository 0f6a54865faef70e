"""``rlt sweep``: kept fraction and PSNR of the same clips at several taus (and sampling rates)."""

from __future__ import annotations

import argparse
import sys

from .dataset_args import add_dataset_arguments, config_json, stream
from .outputs import output_argument
from .sampling_args import add_clip_arguments, clip_config, float_list, int_list

DEFAULT_TAUS = "0,0.025,0.05,0.075,0.1,0.15,0.2,0.3"


def _positive_float_list(text: str) -> tuple[float, ...]:
    values = float_list(text)
    if 0.0 in values:
        raise argparse.ArgumentTypeError(f"frame rates must be positive, got {text!r}")
    return values


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sweep",
        help="tokens kept and PSNR against tau: pick a threshold for your videos",
        description="For each tau (and each sampling rate), run RLT on the same clips and report the kept "
        "fraction and the PSNR of the RLT reconstruction. Draws tokens kept vs tau and PSNR vs tokens kept, "
        "with the paper's tau=0.1 marked. Exit status as for `rlt stats`.",
    )
    add_dataset_arguments(p, csv_help="write one row per (video, sampling, tau) as CSV")
    output_argument(p, "--out", metavar="FILE.png", help="draw the curves (needs matplotlib: `pip install -e '.[viz]'` "
                    "in the checkout; missing folders are created)")
    p.add_argument("--taus", type=float_list, default=float_list(DEFAULT_TAUS),
                   help=f"comma-separated thresholds (default {DEFAULT_TAUS})")
    rate = p.add_mutually_exclusive_group()
    rate.add_argument("--interval", type=int_list, default=None,
                      help="comma-separated frame intervals, one curve each (default 4), e.g. 4,1")
    rate.add_argument("--fps", type=_positive_float_list, default=None,
                      help="comma-separated sampling rates in frames per second, one curve each")
    add_clip_arguments(p, skip=("tau", "interval", "fps"))
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rlt.stats import Sampling

    samplings = tuple(Sampling(fps=f) for f in args.fps) if args.fps else \
        tuple(Sampling(interval=i) for i in (args.interval or (4,)))
    config = clip_config(args, tau=max(args.taus), interval=samplings[0].interval, fps=samplings[0].fps)
    for s in samplings:
        clip_config(args, tau=max(args.taus), interval=s.interval, fps=s.fps)  # every sampling valid before work
    from rlt.optional import import_optional

    import_optional("av", "video", purpose="decode videos")
    if args.out:
        import_optional("matplotlib", "viz", purpose="draw the sweep plot")
    summary = sweep(args, config, samplings)
    print(summary.table())
    if args.out:
        if summary.videos:
            draw(summary, args.out)
            print(f"wrote {args.out}")
        else:
            print(f"rlt sweep: no video was processed, {args.out} not drawn", file=sys.stderr)
    return 1 if summary.failed else 0


def _describe(result) -> str:
    """The point nearest the paper's tau = 0.1 at the first sampling, as a progress line."""
    (sampling, tau), tally = min(result.tallies.items(), key=lambda item: abs(item[0][1] - 0.1))
    clips = f"{tally.clips} clip{'' if tally.clips == 1 else 's'}"
    from .stats import not_counted

    return (f"{result.path}: {clips} at {sampling.label}, kept {100 * tally.kept_fraction:.1f}% at tau={tau:g}"
            f"{not_counted(tally)}")


def sweep(args: argparse.Namespace, config, samplings):
    """Stream every input through :class:`rlt.stats.SweepJob`, writing rows as they finish."""
    from rlt.stats import POINT_FIELDS, SweepJob, SweepSummary

    base = {k: v for k, v in config.to_dict().items() if k not in ("tau", "interval", "fps")}
    settings = {**base, "taus": list(args.taus),
                "samplings": [{"interval": s.interval, "fps": s.fps} for s in samplings]}
    return stream(
        args,
        SweepJob(config, tuple(args.taus), samplings),
        SweepSummary(args.taus, samplings),
        config_json=config_json(settings, args),
        csv_fields=("path",) + POINT_FIELDS + ("error",),
        csv_rows=lambda row: [{"path": row["path"], **point} for point in row["points"]],
        describe=_describe,
    )


def draw(summary, path: str) -> None:
    """One curve per sampling setting, from the pooled tallies."""
    from rlt.viz import SweepSeries, plot_sweep

    series = []
    for s in summary.samplings:
        tallies = [summary.tallies[s, tau] for tau in summary.taus]
        series.append(SweepSeries(s.label, summary.taus, [t.kept_fraction for t in tallies], [t.psnr for t in tallies]))
    plot_sweep(series, path, title=f"RLT on {summary.videos} video{'s' if summary.videos != 1 else ''}")
