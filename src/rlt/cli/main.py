"""Entry point of the ``rlt`` command.

Each subcommand lives in its own module ``rlt.cli.<name>`` exposing
``register(subparsers)``, which adds its parser and sets ``func(args) -> int``.
Subcommand modules import heavy dependencies inside ``func`` so ``rlt --help``
stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

import rlt

# Order is the order shown by ``rlt --help``.
SUBCOMMANDS: tuple[str, ...] = ("tokenize", "stats", "viz", "sweep", "demo", "bench", "data")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rlt",
        description="Run-Length Tokenization: drop repeated video patches before the transformer runs.",
    )
    parser.add_argument("--version", action="version", version=f"rlt {rlt.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(f"rlt.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
