"""Output paths (``--json``, ``--csv``, ``--out``) checked before any work starts.

A command declares its output options with :func:`output_argument`; ``main``
calls :func:`check_outputs` before the command runs, so a run never does an
hour of work and then fails to write. Missing parent folders are created; a
path that is a folder, or that cannot be created or written, is a usage error
(exit status 2) naming the option.
"""

from __future__ import annotations

import argparse
import os

from .errors import UsageError


def output_argument(parser: argparse.ArgumentParser, *flags: str, **kwargs) -> argparse.Action:
    """``parser.add_argument(*flags, **kwargs)`` for a file the command writes, recorded for :func:`check_outputs`."""
    action = parser.add_argument(*flags, **kwargs)
    declared = parser.get_default("output_options") or ()
    parser.set_defaults(output_options=(*declared, (action.dest, action.option_strings[0])))
    return action


def check_output_path(path: str, option: str) -> None:
    """Make sure ``path`` can be written: create its missing parent folders, else raise :class:`UsageError`.

    A file that did not exist before is not left behind.
    """
    if os.path.isdir(path):
        raise UsageError(f"{option} {path}: is a folder; give a file name")
    parent = os.path.dirname(os.path.abspath(path))
    ancestor = parent
    while not os.path.exists(ancestor):
        ancestor = os.path.dirname(ancestor)
    if not os.path.isdir(ancestor):
        raise UsageError(f"{option} {path}: {ancestor} is a file, not a folder")
    try:
        os.makedirs(parent, exist_ok=True)
    except OSError as err:
        raise UsageError(f"{option} {path}: cannot create its folder {parent}: {err.strerror or err}") from None
    existed = os.path.lexists(path)
    try:
        with open(path, "ab"):
            pass
    except OSError as err:
        raise UsageError(f"{option} {path}: cannot write: {err.strerror or err}") from None
    if not existed:
        os.remove(path)


def check_outputs(args: argparse.Namespace) -> None:
    """Check every output option the command declared with :func:`output_argument` that was given."""
    for dest, option in getattr(args, "output_options", ()):
        path = getattr(args, dest, None)
        if path:
            check_output_path(path, option)
