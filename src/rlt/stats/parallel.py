"""Ordered, bounded parallel map over a stream of inputs (an ``imap`` with a window).

Results come back in input order whatever the number of workers, so outputs
are identical for ``--workers 1`` and ``--workers 8``. At most ``window``
inputs are in flight, so a stream of 100,000 paths is never materialised;
a slow input holds back the ones after it (by at most ``window``) rather than
reordering them.

A worker that dies (a segfault in a native decoder, the OOM killer) costs the
one input it was working on, never the run: the pool is rebuilt, the inputs that
were in flight are run again one at a time until the one that kills its worker
is found, and that input's result is ``on_crash(item, reason)``. Ctrl-C ends the
workers at once instead of waiting for the videos they are decoding.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

CRASH_REASON = ("the worker process decoding this input died (a crash in native code such as a video decoder, "
                "or the system ran out of memory)")


def _single_thread_worker() -> None:
    # N worker processes each running torch's default N-thread pool would oversubscribe the cores.
    import torch

    torch.set_num_threads(1)


def _context() -> multiprocessing.context.BaseContext:
    # Forking a process that already ran torch's thread pool can hang, so workers never fork from us.
    # A fork server (POSIX) imports torch once and forks clean workers from itself; spawn elsewhere.
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["torch", "rlt.stats"])
        return context
    return multiprocessing.get_context("spawn")


def _new_pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers, mp_context=_context(), initializer=_single_thread_worker)


def _kill(pool: ProcessPoolExecutor) -> None:
    """Stop ``pool`` now: cancel what is queued and terminate the workers instead of waiting for them."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # no public API lists them
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)


def ordered_map(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    workers: int = 1,
    window: int | None = None,
    on_crash: Callable[[T, str], R] | None = None,
) -> Iterator[R]:
    """Yield ``fn(item)`` for each item, in order, using ``workers`` processes.

    ``workers <= 1`` runs in this process (no pickling, easiest to debug).
    Otherwise ``fn`` and the items must pickle; workers come from a fork server
    (or are spawned where there is none), never forked from this process.
    ``window`` (default ``2 * workers``) bounds the inputs submitted but not yet yielded.
    ``on_crash(item, reason)`` gives the result of an input whose worker died;
    without it such a death raises ``BrokenProcessPool``. An exception raised by
    ``fn`` is raised here unchanged.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise ValueError(f"workers must be a non-negative integer, got {workers!r}")
    if workers <= 1:
        yield from map(fn, items)
        return
    window = 2 * workers if window is None else window
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window!r}")
    pool = _new_pool(workers)
    pending: deque[tuple[T, Future[R]]] = deque()
    try:
        source = iter(items)
        while True:
            while len(pending) < window:
                item = next(source, _END)
                if item is _END:
                    break
                pending.append((item, pool.submit(fn, item)))
            if not pending:
                break
            item, future = pending.popleft()
            try:
                yield future.result()
                continue
            except BrokenProcessPool:
                if on_crash is None:
                    raise
            # Some worker died; which input killed it is unknown. Rebuild the pool and run this input alone.
            _kill(pool)
            pool = _new_pool(workers)
            try:
                result = pool.submit(fn, item).result()
            except BrokenProcessPool:
                _kill(pool)
                pool = _new_pool(workers)
                result = on_crash(item, CRASH_REASON)
            pending = deque((it, pool.submit(fn, it)) for it, _ in pending)  # their futures died with the pool
            yield result
    except BaseException:  # Ctrl-C, a closed pipe, a bug: stop the workers now, do not wait for them
        _kill(pool)
        raise
    pool.shutdown(wait=True)


_END = object()  # marks the end of the input stream
