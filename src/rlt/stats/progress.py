"""Progress of a dataset-wide command: a bar on a terminal, one plain line per item otherwise."""

from __future__ import annotations

import sys
from typing import TextIO


class Progress:
    """``with Progress(total, desc="stats") as bar: bar.step("a.mp4: 3 clips, kept 41%")``.

    On a terminal (``stream.isatty()``) a tqdm bar counts items and failures are
    printed above it; otherwise every step prints ``[k/total] line``, which
    reads well in logs. ``total`` may be ``None`` when unknown.
    """

    def __init__(
        self, total: int | None, *, desc: str = "", stream: TextIO | None = None, bar: bool | None = None
    ) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.total = total
        self.count = 0
        use_bar = self.stream.isatty() if bar is None else bar
        self._bar = None
        if use_bar:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=desc, unit="video", file=self.stream, dynamic_ncols=True)

    def step(self, line: str, *, important: bool = False) -> None:
        """Count one item; ``line`` describes it. ``important`` lines (failures) also show above a bar."""
        self.count += 1
        if self._bar is None:
            of = f"/{self.total}" if self.total is not None else ""
            print(f"[{self.count}{of}] {line}", file=self.stream, flush=True)
            return
        if important:
            self._bar.write(line, file=self.stream)
        self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()
