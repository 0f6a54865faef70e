"""Peak memory of one step: CUDA's max allocated, or the growth of the process's resident set on CPU."""

from __future__ import annotations

import ctypes
import gc
import os
import resource
import threading
from collections.abc import Callable

import torch

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_STATM = "/proc/self/statm"


def _release_freed_memory() -> None:
    """Hand memory the allocator holds but no tensor uses back to the OS (glibc ``malloc_trim``).

    Without it a step that reuses what an earlier, larger step freed shows no growth,
    and the peak would depend on the order the reducers ran in.
    """
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the growth is then a lower bound
        pass


def rss_bytes() -> int | None:
    """Resident set size of this process now (Linux ``/proc``), or ``None`` where it cannot be read."""
    try:
        with open(_STATM) as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


class _RssSampler:
    """Reads the resident set every ``interval`` seconds in a thread and keeps the maximum.

    Torch kernels release the GIL, so the thread samples while a step runs. The
    process-wide high-water mark (``ru_maxrss``) cannot be reset, hence the sampling.
    """

    def __init__(self, interval: float = 0.001) -> None:
        self.interval = interval
        self.start = rss_bytes() or 0
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes() or 0)
            self._stop.wait(self.interval)

    def __enter__(self) -> _RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes() or 0)


def peak_memory_mb(fn: Callable[[], object], device: torch.device) -> tuple[float | None, str]:
    """Run ``fn()`` once and return ``(peak MB above the start, how it was measured)``.

    CUDA: ``torch.cuda.max_memory_allocated`` after resetting the peak, minus what
    was allocated before (``"cuda_max_allocated"``). CPU: the largest resident set
    seen while ``fn`` ran, minus the resident set before, after handing freed heap
    memory back to the OS (``"rss_growth"``); ``None``
    where ``/proc`` is missing. Run it outside timed repeats: the sampler costs time.
    """
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device)
        fn()
        torch.cuda.synchronize(device)
        return (torch.cuda.max_memory_allocated(device) - before) / 2**20, "cuda_max_allocated"
    if rss_bytes() is None:
        fn()
        return None, "unavailable"
    gc.collect()
    _release_freed_memory()
    with _RssSampler() as sampler:
        fn()
    return (sampler.peak - sampler.start) / 2**20, "rss_growth"


def max_rss_mb() -> float:
    """The process's resident high-water mark so far, in MB (``ru_maxrss``; Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
