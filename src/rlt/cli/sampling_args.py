"""Clip options shared by ``rlt stats``, ``viz``, ``sweep`` and ``demo``, generated from :class:`StatsConfig`.

Range checks happen while parsing, so a bad value exits with status 2 and a
message naming the option, before any video is opened.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys

from rlt.stats.config import StatsConfig


def _number_type(kind: type, minimum: float, *, strict: bool, what: str):
    """argparse type for ``kind`` values ``> minimum`` (``strict``) or ``>= minimum``, finite."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not (math.isfinite(value) and (value > minimum if strict else value >= minimum)):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text}")
        return value

    parse.__name__ = what.replace(" ", "_")  # argparse names the type in its messages
    return parse


positive_int = _number_type(int, 1, strict=False, what="a positive integer")
non_negative_int = _number_type(int, 0, strict=False, what="a non-negative integer")
positive_float = _number_type(float, 0, strict=True, what="a finite positive number")
non_negative_float = _number_type(float, 0, strict=False, what="a finite non-negative number")  # tau, start time


def float_list(text: str) -> tuple[float, ...]:
    """argparse type: comma-separated non-negative numbers, e.g. ``0,0.05,0.1``, sorted and deduplicated."""
    items = [t for t in text.split(",") if t.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}")
    return tuple(sorted({non_negative_float(t.strip()) for t in items}))


def int_list(text: str) -> tuple[int, ...]:
    """argparse type: comma-separated positive integers, e.g. ``4,1``, in the order given, deduplicated."""
    items = [t for t in text.split(",") if t.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}")
    return tuple(dict.fromkeys(positive_int(t.strip()) for t in items))


_TYPES = {"tau": non_negative_float, "num_frames": positive_int, "interval": positive_int, "fps": positive_float,
          "size": positive_int, "tubelet_size": positive_int, "patch_size": positive_int}


def add_clip_arguments(parser: argparse.ArgumentParser, *, skip: tuple[str, ...] = (), **defaults) -> None:
    """Add ``--tau --num-frames --interval|--fps --size --tubelet-size --patch-size --mode --norm``.

    Options come from :class:`StatsConfig`'s fields (help text in their metadata);
    ``skip`` leaves some out (e.g. ``("tau", "interval")`` for a sweep that takes
    lists), ``defaults`` overrides default values (e.g. ``interval=2``).
    """
    group = parser.add_argument_group("clips", "how clips are cut from each video and tokenized")
    rate = group.add_mutually_exclusive_group() if not {"interval", "fps"} & set(skip) else group
    for f in dataclasses.fields(StatsConfig):
        if f.name in skip:
            continue
        default = defaults.get(f.name, f.default)
        kwargs = {"default": None if f.name == "interval" else default, "help": f.metadata["help"]}
        if "choices" in f.metadata:
            kwargs["choices"] = f.metadata["choices"]
        else:
            kwargs["type"] = _TYPES[f.name]
        if f.name == "interval":
            kwargs["help"] = kwargs["help"].replace("default 4", f"default {default}")
            parser.set_defaults(default_interval=default)
        elif default is not None:
            kwargs["help"] += f" (default {default})"
        target = rate if f.name in ("interval", "fps") else group
        target.add_argument("--" + f.name.replace("_", "-"), **kwargs)


def clip_config(args: argparse.Namespace, **overrides) -> StatsConfig:
    """Build the :class:`StatsConfig` from parsed options (``overrides`` win).

    Cross-field checks (``num_frames`` a multiple of ``tubelet_size``, ``size`` a
    multiple of ``patch_size``) raise ``ValueError`` naming both values.
    """
    values = {f.name: getattr(args, f.name) for f in dataclasses.fields(StatsConfig) if hasattr(args, f.name)}
    if values.get("fps") is None and values.get("interval") is None:
        values["interval"] = getattr(args, "default_interval", 4)
    values.update(overrides)
    return StatsConfig(**values)


def usage_error(command: str, message: str) -> int:
    """Print an argparse-style usage error (``rlt stats: error: ...``) and return exit status 2."""
    print(f"rlt {command}: error: {message}", file=sys.stderr)
    return 2
