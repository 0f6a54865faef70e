"""How the ``rlt`` command answers an error: one line and an exit status, or a traceback for a bug.

Exit status 2: the command line or the installation is wrong (a bad value, an
output path that cannot be written, a missing extra). Exit status 1: the work
failed (a video or checkpoint that cannot be read, a full disk). Anything else is
a bug in rlt: its traceback is printed with a line saying so, exit status 1.
"""

from __future__ import annotations

import errno


class UsageError(ValueError):
    """A command-line value is wrong; ``main`` prints ``rlt CMD: error: MESSAGE`` and exits 2."""


class InputError(Exception):
    """An input file exists but cannot be used (not a tensor, wrong shape); ``main`` exits 1 with the message."""


USAGE = 2  # exit status: wrong command line, output path or installation
FAILED = 1  # exit status: the work (or part of it) failed
INTERRUPTED = 130  # exit status after Ctrl-C (128 + SIGINT)
BROKEN_PIPE = 141  # exit status when stdout was closed early (128 + SIGPIPE), e.g. `rlt stats ... | head -1`


def _os_message(err: OSError) -> str:
    what = err.strerror or str(err)
    name = err.filename if err.filename is not None else ""
    return f"{name}: {what}" if name else what


def _raised_by_cuda_init(err: BaseException) -> bool:
    """Whether ``err`` comes from PyTorch starting CUDA (no CUDA build, no driver, no GPU), not from our code."""
    tb = err.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return False
    where = tb.tb_frame.f_code
    return where.co_filename.replace("\\", "/").endswith("torch/cuda/__init__.py") and where.co_name == "_lazy_init"


def known_error(err: BaseException) -> tuple[int, str] | None:
    """``(exit status, one-line message)`` for an error a user can cause, ``None`` for a bug.

    Imports nothing heavy: the optional layers' error types are matched by name
    so that a command that never touched ``rlt.models`` does not import it here.
    """
    from rlt.data import TooManyFailures, VideoDecodeError
    from rlt.optional import MissingExtraError

    names = {cls.__name__ for cls in type(err).__mro__}
    if isinstance(err, UsageError):
        return USAGE, str(err)
    if isinstance(err, MissingExtraError):
        return USAGE, str(err)
    if "BackendUnavailableError" in names:  # rlt.attention: asked for a backend this machine lacks
        return USAGE, str(err)
    if _raised_by_cuda_init(err):  # e.g. --device cuda on a CPU-only build of PyTorch
        return USAGE, f"this machine cannot use CUDA: {err}"
    if isinstance(err, (InputError, VideoDecodeError, TooManyFailures)) or "CheckpointError" in names:
        return FAILED, str(err)
    if isinstance(err, OSError):
        if err.errno in (errno.ENOSPC, errno.EDQUOT):
            return FAILED, f"{_os_message(err)} (the disk is full; free space and run again)"
        return FAILED, _os_message(err)
    if isinstance(err, ValueError) and not isinstance(err, UnicodeError):  # a value out of range (STYLE rule 8)
        return USAGE, str(err)
    return None
