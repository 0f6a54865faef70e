"""Write result rows to CSV as they finish, one line each, flushed."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


@contextmanager
def writing(path: str) -> Iterator[None]:
    """Re-raise an ``OSError`` of a write (which names no file) with ``path`` as its file name."""
    try:
        yield
    except OSError as err:
        if err.filename is None:
            raise OSError(err.errno, err.strerror or str(err), path) from err
        raise


class CsvStream:
    """``with CsvStream(path, fields) as out: out.write_row(row)``.

    Missing fields are written empty and ``None`` becomes an empty cell;
    a field not in ``fields`` raises ``ValueError``. The file is UTF-8, except
    that a file name that is not UTF-8 is written as its own bytes
    (surrogateescape), so reading the CSV back with
    ``open(path, encoding="utf-8", errors="surrogateescape")`` gives the name
    ``os.fsencode`` turns back into the file's real bytes.
    A write that fails (a full disk) raises ``OSError`` naming this file.
    """

    def __init__(self, path: str | os.PathLike, fields: tuple[str, ...]) -> None:
        self.path = os.fspath(path)
        self._file: TextIO = open(self.path, "w", encoding="utf-8", errors="surrogateescape", newline="")
        self._writer = csv.DictWriter(self._file, fieldnames=list(fields), restval="")
        with writing(self.path):
            self._writer.writeheader()

    def write_row(self, row: dict) -> None:
        with writing(self.path):
            self._writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
            self._file.flush()

    def close(self) -> None:
        with writing(self.path):
            self._file.close()

    def __enter__(self) -> CsvStream:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()
