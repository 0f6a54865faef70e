"""Jobs whose worker process really dies (SIGSEGV), for the parallel-map and ``--workers`` crash tests.

They live in an importable module (not a test file) because worker processes
unpickle them by name.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass

from rlt.stats.video import VideoJob, item_path

CRASH_MARK = "segfault"  # an input whose path contains this kills its worker


def square_or_segfault(x: int) -> int:
    """``x * x``, except that ``x == 3`` kills the process with SIGSEGV, as a crashing native decoder does."""
    if x == 3:
        os.kill(os.getpid(), signal.SIGSEGV)
    return x * x


@dataclass(frozen=True)
class SegfaultingVideoJob(VideoJob):
    """:class:`rlt.stats.video.VideoJob` that segfaults on inputs whose path contains :data:`CRASH_MARK`."""

    def __call__(self, item):
        if CRASH_MARK in item_path(item)[0]:
            os.kill(os.getpid(), signal.SIGSEGV)
        return super().__call__(item)
