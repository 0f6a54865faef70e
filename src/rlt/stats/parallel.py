"""Ordered, bounded parallel map over a stream of inputs (an ``imap`` with a window).

Results come back in input order whatever the number of workers, so outputs
are identical for ``--workers 1`` and ``--workers 8``. At most ``window``
inputs are in flight, so a stream of 100,000 paths is never materialised;
a slow input holds back the ones after it (by at most ``window``) rather than
reordering them.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


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


def ordered_map(
    fn: Callable[[T], R], items: Iterable[T], *, workers: int = 1, window: int | None = None
) -> Iterator[R]:
    """Yield ``fn(item)`` for each item, in order, using ``workers`` processes.

    ``workers <= 1`` runs in this process (no pickling, easiest to debug).
    Otherwise ``fn`` and the items must pickle; workers come from a fork server
    (or are spawned where there is none), never forked from this process.
    ``window`` (default ``2 * workers``) bounds the inputs submitted but not yet yielded.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise ValueError(f"workers must be a non-negative integer, got {workers!r}")
    if workers <= 1:
        yield from map(fn, items)
        return
    window = 2 * workers if window is None else window
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window!r}")
    with ProcessPoolExecutor(workers, mp_context=_context(), initializer=_single_thread_worker) as pool:
        pending: deque[Future[R]] = deque()
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
