"""Clip and RLT options of every command, generated from one place: the fields of :class:`StatsConfig`.

:class:`StatsConfig` is :class:`rlt.data.cut.CutConfig` (how clips are cut) plus
:class:`rlt.data.TokenizeConfig` (the RLT settings); ``rlt stats``, ``viz``,
``sweep``, ``demo`` and ``tokenize`` (``only=RLT_OPTIONS``) all take their options
from :func:`add_clip_arguments`. Range checks happen while parsing, so a bad value
exits with status 2 and a message naming the option, before any video is opened.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys

from rlt.ops import MODES, NORMS
from rlt.stats import StatsConfig

from .errors import UsageError


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


def _items(text: str, what: str) -> list[str]:
    """The comma-separated items of ``text``; an empty item (``0.1,,0.2``, a trailing comma) is an error."""
    items = [t.strip() for t in text.split(",")]
    if not text.strip() or any(not t for t in items):
        raise argparse.ArgumentTypeError(f"expected comma-separated {what} with no empty item, got {text!r}")
    return items


def float_list(text: str) -> tuple[float, ...]:
    """argparse type: comma-separated non-negative numbers, e.g. ``0,0.05,0.1``, sorted and deduplicated."""
    return tuple(sorted({non_negative_float(t) for t in _items(text, "numbers")}))


def int_list(text: str) -> tuple[int, ...]:
    """argparse type: comma-separated positive integers, e.g. ``4,1``, in the order given, deduplicated."""
    return tuple(dict.fromkeys(positive_int(t) for t in _items(text, "integers")))


_TYPES = {"tau": non_negative_float, "num_frames": positive_int, "interval": positive_int, "fps": positive_float,
          "size": positive_int, "tubelet_size": positive_int, "patch_size": positive_int}
# Help of the RLT settings (rlt.data.TokenizeConfig); the cut's fields carry theirs in their metadata.
_RLT_HELP = {
    "tau": {"help": "static threshold in ImageNet-normalised units; the paper uses 0.1"},
    "tubelet_size": {"help": "frames per tubelet (token depth)"},
    "patch_size": {"help": "pixels per patch side"},
    "mode": {"help": "static test against the previous tubelet (paper) or the run's anchor", "choices": MODES},
    "norm": {"help": "patch distance: mean absolute (l1) or root mean square (l2)", "choices": NORMS},
}
RLT_OPTIONS = tuple(_RLT_HELP)  # the options of the RLT settings alone, for commands that take a ready clip
_NOT_OPTIONS = ("dense",)  # StatsConfig fields that are not command-line options


def add_clip_arguments(
    parser: argparse.ArgumentParser, *, skip: tuple[str, ...] = (), only: tuple[str, ...] | None = None, **defaults
) -> None:
    """Add ``--tau --tubelet-size --patch-size --mode --norm --num-frames --interval|--fps --size``.

    Options come from :class:`StatsConfig`'s fields; ``skip`` leaves some out
    (e.g. ``("tau", "interval")`` for a sweep that takes lists), ``only`` keeps
    just those (e.g. :data:`RLT_OPTIONS`), ``defaults`` overrides default values
    (e.g. ``interval=2``).
    """
    names = [f.name for f in dataclasses.fields(StatsConfig) if f.name not in _NOT_OPTIONS]
    skip = tuple(skip) + tuple(n for n in names if only is not None and n not in only)
    group = parser.add_argument_group("clips", "how clips are cut from each video and tokenized")
    rate = group.add_mutually_exclusive_group() if not {"interval", "fps"} & set(skip) else group
    for f in dataclasses.fields(StatsConfig):
        if f.name in skip or f.name in _NOT_OPTIONS:
            continue
        default = defaults.get(f.name, f.default)
        meta = {**f.metadata, **_RLT_HELP.get(f.name, {})}
        kwargs = {"default": None if f.name == "interval" else default, "help": meta["help"]}
        if "choices" in meta:
            kwargs["choices"] = meta["choices"]
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
    multiple of ``patch_size``) raise :class:`UsageError` naming both values.
    """
    values = {f.name: getattr(args, f.name) for f in dataclasses.fields(StatsConfig) if hasattr(args, f.name)}
    if values.get("fps") is None and values.get("interval") is None:
        values["interval"] = getattr(args, "default_interval", 4)
    values.update(overrides)
    try:
        return StatsConfig(**values)
    except ValueError as err:
        raise UsageError(str(err)) from None


def tokenize_config(args: argparse.Namespace):
    """The :class:`rlt.data.TokenizeConfig` of options added with ``only=RLT_OPTIONS`` (checked while parsing)."""
    from rlt.data import TokenizeConfig

    return TokenizeConfig(**{name: getattr(args, name) for name in RLT_OPTIONS})


def usage_error(command: str, message: str) -> int:
    """Print an argparse-style usage error (``rlt stats: error: ...``) and return exit status 2."""
    print(f"rlt {command}: error: {message}", file=sys.stderr)
    return 2
