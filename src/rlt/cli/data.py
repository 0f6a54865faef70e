"""``rlt data synth``: write the generated labelled video dataset (real mp4 files plus Kinetics-style lists)."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time

from .sampling_args import non_negative_float, non_negative_int, positive_float, positive_int, usage_error

_TYPES = {"classes": positive_int, "train": non_negative_int, "val": non_negative_int, "test": non_negative_int,
          "size": positive_int, "frames": positive_int, "fps": positive_float, "seed": non_negative_int,
          "moving_camera": non_negative_float, "distractors": non_negative_int, "noise": non_negative_float,
          "quality": positive_int}


def register(sub: argparse._SubParsersAction) -> None:
    from rlt.experiments.synth_config import SCALES, SynthConfig

    p = sub.add_parser("data", help="make datasets: `rlt data synth OUT_DIR` writes the generated motion dataset",
                       description="Dataset tools.")
    data_sub = p.add_subparsers(dest="data_command", metavar="ACTION")
    s = data_sub.add_parser(
        "synth", help="write the generated labelled motion dataset (mp4 clips, train/val/test lists)",
        description="Generate labelled clips whose class is how an object moves over a real photograph "
        "(camera shake/pan, distractors, sensor noise, H.264 compression), with train/val/test lists that "
        "rlt train / rlt stats read. Deterministic under --seed, whatever --workers. Running again with the "
        "same settings into the same folder resumes. Exit status: 0 all clips written, 1 some clips failed "
        "(the rest are written and listed), 2 usage error.",
    )
    s.add_argument("out_dir", metavar="OUT_DIR", help="folder to write (new, empty, or an earlier run's)")
    s.add_argument("--scale", choices=tuple(SCALES), default="small",
                   help="preset sizes: " + "; ".join(f"{k}: {', '.join(f'{n}={v}' for n, v in d.items())}"
                                                      for k, d in SCALES.items()) + " (default small)")
    for f in dataclasses.fields(SynthConfig):
        default = SCALES["small"].get(f.name, f.default)
        note = " (default: from --scale)" if f.name in SCALES["small"] else f" (default {default})"
        s.add_argument("--" + f.name.replace("_", "-"), type=_TYPES[f.name], default=None,
                       help=f.metadata["help"] + note)
    s.add_argument("--workers", type=non_negative_int, default=os.cpu_count() or 1,
                   help="processes rendering and encoding clips (default: all cores); output does not depend on it")
    s.add_argument("--codec", choices=("auto", "libx264", "mpeg4"), default="auto",
                   help="video codec (default auto: libx264 when PyAV has it, else mpeg4)")
    s.set_defaults(func=run_synth)
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])


def run_synth(args: argparse.Namespace) -> int:
    from rlt.experiments.synth_config import SynthConfig, preset

    overrides = {f.name: getattr(args, f.name) for f in dataclasses.fields(SynthConfig)
                 if getattr(args, f.name) is not None}
    try:
        config = preset(args.scale, **overrides)
    except ValueError as err:
        return usage_error("data synth", str(err))
    try:
        from rlt.experiments.encode import import_av, pick_codec
        from rlt.experiments.photos import import_skimage_data

        import_av()
        import_skimage_data()
    except ImportError as err:
        print(f"rlt data synth: {err}", file=sys.stderr)
        return 2
    from rlt.experiments.synth import generate
    from rlt.stats.progress import Progress

    codec = pick_codec() if args.codec == "auto" else args.codec
    total = config.train + config.val + config.test
    start = time.perf_counter()
    with Progress(total, desc="synth") as bar:
        def on_clip(spec, error):
            where = f"{spec.split} {spec.index} ({spec.name}, {spec.camera} camera)"
            bar.step(f"{where}: FAILED {error}" if error else where, important=error is not None)

        try:
            result = generate(args.out_dir, config, workers=args.workers, codec=codec, on_clip=on_clip)
        except ValueError as err:
            return usage_error("data synth", str(err))
    seconds = time.perf_counter() - start
    if codec != "libx264":
        print("rlt data synth: note: clips are MPEG-4 Part 2 (this PyAV has no libx264 encoder)", file=sys.stderr)
    print(f"{result.out_dir}: {config.classes} classes, train {config.train} / val {config.val} / test "
          f"{config.test} clips of {config.frames}x{config.size}x{config.size} ({codec}); wrote {result.written}, "
          f"reused {result.reused}, failed {len(result.failed)} in {seconds:.1f} s")
    for failure in result.failed:
        print(f"  failed: {failure['path']}: {failure['error']}", file=sys.stderr)
    return 1 if result.failed else 0
