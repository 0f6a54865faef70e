"""Entry point of the ``rlt`` command.

Each subcommand lives in its own module ``rlt.cli.<name>`` exposing
``register(subparsers)``, which adds its parser and sets ``func(args) -> int``.
Subcommand modules import heavy dependencies inside ``func`` so ``rlt --help``
stays fast. Errors are answered here, once for every command (see
:mod:`rlt.cli.errors`): a known error is one line and exit status 2 (usage) or 1
(work failed); only a bug prints a traceback, with a line saying it is one.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback

import rlt

from .errors import BROKEN_PIPE, FAILED, INTERRUPTED, known_error
from .outputs import check_outputs

# Order is the order shown by ``rlt --help``.
SUBCOMMANDS: tuple[str, ...] = ("tokenize", "stats", "viz", "sweep", "demo", "bench", "train", "eval", "data", "experiment")


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
    _printable_paths(sys.stdout)
    try:
        check_outputs(args)
        status = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows up here, not at interpreter exit
        return status
    except KeyboardInterrupt:
        print(f"rlt {args.command}: interrupted", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:  # `rlt stats ... | head -1`: the reader left; that is not an error
        _silence_stdout()
        return BROKEN_PIPE
    except Exception as err:  # noqa: BLE001 - every error gets an answer; bugs keep their traceback
        known = known_error(err)
        if known is None:
            traceback.print_exc()
            print(f"rlt {args.command}: this is a bug in rlt ({type(err).__name__} above); please report it "
                  "with the command line and the traceback", file=sys.stderr)
            return FAILED
        status, message = known
        print(f"rlt {args.command}: error: {message}", file=sys.stderr)
        return status


def _printable_paths(stream) -> None:
    """Print file names that are not UTF-8 with backslash escapes (as stderr does) instead of failing."""
    if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
        stream.reconfigure(errors="backslashreplace")


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not raise again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout without a file descriptor (e.g. captured by a test)
        pass


if __name__ == "__main__":
    sys.exit(main())
