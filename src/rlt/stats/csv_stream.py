"""Write result rows to CSV as they finish, one line each, flushed."""

from __future__ import annotations

import csv
import os
from typing import TextIO


class CsvStream:
    """``with CsvStream(path, fields) as out: out.write_row(row)``.

    Missing fields are written empty and ``None`` becomes an empty cell;
    a field not in ``fields`` raises ``ValueError``.
    """

    def __init__(self, path: str | os.PathLike, fields: tuple[str, ...]) -> None:
        self.path = os.fspath(path)
        self._file: TextIO = open(self.path, "w", encoding="utf-8", newline="")
        self._writer = csv.DictWriter(self._file, fieldnames=list(fields), restval="")
        self._writer.writeheader()

    def write_row(self, row: dict) -> None:
        self._writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
        self._file.flush()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> CsvStream:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()
