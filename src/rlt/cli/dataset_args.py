"""Inputs and outputs shared by the dataset-wide commands (``rlt stats``, ``rlt sweep``).

``add_dataset_arguments`` adds the paths, list options, ``--workers``, ``--json``,
``--csv`` and ``--progress``; :func:`stream` runs a job over every input and
writes each row the moment its video finishes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from contextlib import ExitStack

from .outputs import output_argument
from .sampling_args import non_negative_int


def add_dataset_arguments(parser: argparse.ArgumentParser, *, csv_help: str) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="video file, folder (searched recursively) or list file (.txt/.csv Kinetics-style, "
                        ".json SSv2)")
    parser.add_argument("--root", metavar="DIR", help="folder that list entries are relative to "
                        "(default: the list file's folder)")
    parser.add_argument("--ssv2-labels", metavar="FILE", help="SSv2 labels JSON, needed to read an SSv2 .json list")
    parser.add_argument("--workers", type=non_negative_int, default=1,
                        help="decode this many videos at once in worker processes, one thread each "
                        "(default 1: in this process); output order does not depend on it")
    output_argument(parser, "--json", metavar="PATH", help="write config, one row per video and the summary as JSON "
                    "(missing folders are created)")
    output_argument(parser, "--csv", metavar="PATH", help=csv_help)
    parser.add_argument("--progress", choices=("auto", "bar", "lines", "none"), default="auto",
                        help="progress on stderr: a bar on a terminal, plain lines otherwise (default auto)")


def stream(
    args: argparse.Namespace,
    job: Callable,
    summary,
    *,
    config_json: dict,
    csv_fields: tuple[str, ...],
    csv_rows: Callable[[dict], Iterable[dict]],
    describe: Callable[[object], str],
):
    """Run ``job`` on every input of ``args.paths``, in order, feeding ``summary`` and the outputs.

    ``summary`` needs ``add(result)`` and ``to_json()``; results with an ``error``
    attribute are failures. ``csv_rows(row)`` turns one JSON row into CSV rows.
    ``job.crashed(item, reason)`` gives the failed row of an input whose worker
    process died. Returns ``summary``.
    """
    from rlt.stats import CsvStream, JsonStream, ListOptions, Progress, count_inputs, iter_inputs, ordered_map

    lists = ListOptions(root=args.root, ssv2_labels=args.ssv2_labels)
    show = args.progress != "none"
    with ExitStack() as stack:
        json_out = stack.enter_context(JsonStream(args.json, config_json)) if args.json else None
        csv_out = stack.enter_context(CsvStream(args.csv, csv_fields)) if args.csv else None
        progress = None
        if show:
            bar = {"auto": None, "bar": True, "lines": False}[args.progress]
            progress = stack.enter_context(Progress(count_inputs(args.paths, lists), desc=f"rlt {args.command}",
                                                    bar=bar))
        warned = False
        results = ordered_map(job, iter_inputs(args.paths, lists), workers=args.workers, on_crash=job.crashed)
        for result in results:
            summary.add(result)
            if not warned and getattr(result, "duplicated_frames", 0):
                warned = True
                print(f"rlt {args.command}: warning: frames are sampled above the frame rate of {result.path} "
                      f"({result.source_fps:.4g} fps), so frames repeat; they are reported as duplicated_frames and "
                      "counted neither kept nor dropped", file=sys.stderr)
            failed = hasattr(result, "error")
            row = result.row()
            if json_out:
                (json_out.add_failure if failed else json_out.write_row)(row)
            if csv_out:
                for csv_row in ([row] if failed else csv_rows(row)):
                    csv_out.write_row(csv_row)
            if progress:
                line = f"{row['path']}: FAILED: {row['error']}" if failed else describe(result)
                progress.step(line, important=failed)
        if json_out:
            json_out.close(summary.to_json())
    return summary


def config_json(config: dict, args: argparse.Namespace) -> dict:
    """The resolved config plus the inputs and version, written at the top of every JSON output."""
    from rlt import __version__

    extra = {"inputs": list(args.paths), "root": args.root, "workers": args.workers, "rlt_version": __version__}
    return {**config, **extra}
