"""The one exception the data layer raises for a video it cannot read."""

from __future__ import annotations

import errno
import os
import stat


class VideoDecodeError(Exception):
    """A video file could not be read, or not as far as asked.

    ``path`` is the file and ``reason`` the decoder's own words (or ours, for
    a file that is empty, has no video stream or holds fewer frames than asked).
    ``str()`` shows both, so a failure report needs nothing else.
    """

    def __init__(self, path: str | os.PathLike, reason: str) -> None:
        self.path = os.fspath(path)
        self.reason = str(reason)
        super().__init__(self.path, self.reason)

    def __str__(self) -> str:
        return f"cannot decode {self.path!r}: {self.reason}"

    def __reduce__(self):  # keep path and reason when sent back from a DataLoader worker
        return (type(self), (self.path, self.reason))


def file_problem(path: str | os.PathLike) -> str | None:
    """Why ``path`` cannot be read as a video file, in words, or ``None`` when it is a non-empty regular file.

    Tells apart what ``os.path.exists`` lumps together: a missing file, a broken
    symbolic link, a symbolic link loop, a folder, a device, an empty file.
    """
    path = os.fspath(path)
    try:
        info = os.stat(path)
    except OSError as err:
        if err.errno == errno.ELOOP:
            return "symbolic link loop (too many levels of symbolic links)"
        if err.errno == errno.ENOENT and os.path.islink(path):
            return f"broken symbolic link: its target {os.readlink(path)!r} does not exist"
        if err.errno == errno.ENOENT:
            return "no such file"
        return err.strerror or str(err)
    if stat.S_ISDIR(info.st_mode):
        return "a folder, not a video file"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file"
    if info.st_size == 0:
        return "file is empty (0 bytes)"
    return None
