"""The one exception the data layer raises for a video it cannot read."""

from __future__ import annotations

import os


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
