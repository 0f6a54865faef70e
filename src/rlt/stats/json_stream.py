"""Write ``{"config", "videos", "summary"}`` JSON one row at a time, in memory constant in the rows.

Rows go to the file as they finish; failures are spooled to a temporary file
and copied into ``summary.failed`` at the end, so neither is held in memory.
The file is valid JSON once :meth:`JsonStream.close` has written the summary.
Strings are ASCII with ``\\uXXXX`` escapes, so a file name that is not UTF-8
(held by Python as lone surrogates, surrogateescape) is written as ``\\udcXX``
and ``os.fsencode(json.load(f)[...]["path"])`` gives back the file's real bytes.
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any, TextIO

from .csv_stream import writing


def _dumps(value: Any, indent: int) -> str:
    """JSON for ``value`` (indented by 2 per level) shifted right by ``indent`` spaces; NaN/inf refused."""
    text = json.dumps(value, indent=2, allow_nan=False)
    return text.replace("\n", "\n" + " " * indent)


class JsonStream:
    """``with JsonStream(path, config) as out: out.write_row(row); out.add_failure(f); out.close(summary)``.

    ``summary`` is a dict without ``failed``; the spooled failures are appended
    to it as ``"failed": [{"path", "error"}, ...]``. Leaving the ``with`` block
    through an exception leaves the file unfinished (not valid JSON), which
    marks the run as incomplete.
    """

    def __init__(self, path: str | os.PathLike, config: dict, rows_key: str = "videos") -> None:
        self.path = os.fspath(path)
        self._file: TextIO = open(self.path, "w", encoding="utf-8")
        self._spool: TextIO = tempfile.TemporaryFile("w+", encoding="utf-8")
        self._rows = 0
        self._closed = False
        with writing(self.path):
            self._file.write('{\n  "config": ' + _dumps(config, 2) + f',\n  "{rows_key}": [')

    def write_row(self, row: dict) -> None:
        """Append one row (a flat JSON object, written on one line) and flush it."""
        sep = "," if self._rows else ""
        text = f"{sep}\n    " + json.dumps(row, allow_nan=False)  # fails before writing: the file stays whole
        with writing(self.path):
            self._file.write(text)
            self._file.flush()
        self._rows += 1

    def add_failure(self, failure: dict) -> None:
        """Record ``{"path", "error"}``; it is written under ``summary.failed`` at close."""
        self._spool.write(json.dumps(failure, allow_nan=False) + "\n")

    def close(self, summary: dict) -> None:
        """Write ``summary`` (plus the spooled ``failed`` list) and close the file."""
        if self._closed:
            raise ValueError(f"{self.path} is already closed")
        with writing(self.path):
            self._write_summary(summary)
        self._finish()

    def _write_summary(self, summary: dict) -> None:
        f = self._file
        f.write("\n  ]," if self._rows else "],")
        f.write('\n  "summary": {')
        for key, value in summary.items():
            f.write(f"\n    {json.dumps(key)}: " + _dumps(value, 4) + ",")
        f.write('\n    "failed": [')
        self._spool.seek(0)
        failures = 0
        for line in self._spool:
            f.write(("," if failures else "") + "\n      " + line.rstrip("\n"))
            failures += 1
        f.write("\n    ]\n  }\n}\n" if failures else "]\n  }\n}\n")
        f.flush()

    def _finish(self) -> None:
        self._closed = True
        self._spool.close()
        with writing(self.path):
            self._file.close()

    def __enter__(self) -> JsonStream:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if not self._closed:
            self._finish()
