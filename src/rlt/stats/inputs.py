"""Expand command-line inputs (video files, folders, dataset lists) into a lazy stream of videos.

Folders are walked recursively with ``os.scandir`` as entries arrive, so a
folder of 100,000 files is never listed into memory; the order is the file
system's (stable for an unchanged folder), and every result row carries its
path. List files are parsed by :mod:`rlt.data.annotations`, which reads one
list whole. Hidden entries (names starting with ".") are skipped, symlinked
folders are not followed (no cycles), and inside folders only entries with a
video extension count as inputs. Every such entry is accounted for: a broken
symbolic link, a symbolic link loop or a link to a folder is listed as failed
with that reason, never skipped. A path given explicitly is always accounted
for too: a file that is not a readable video, a folder without videos and an
empty list are each reported as failed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from rlt.data.annotations import VIDEO_EXTENSIONS  # the data layer's idea of a video file name
from rlt.data.errors import file_problem

LIST_EXTENSIONS = frozenset({".txt", ".csv", ".tsv", ".lst", ".json"})


@dataclass(frozen=True)
class InputItem:
    """One video to process; ``error`` is set when it is known to be unusable before decoding."""

    path: str
    error: str | None = None


def _is_video_name(name: str) -> bool:
    return name.lower().endswith(VIDEO_EXTENSIONS)


def walk_folder(folder: str) -> Iterator[InputItem]:
    """Every video file under ``folder``, recursively, streamed depth-first."""
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            entries = os.scandir(current)
        except OSError as err:
            yield InputItem(current, f"cannot list folder: {err.strerror or err}")
            continue
        with entries:
            subfolders = []
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    subfolders.append(entry.path)  # only folder names are held, never file names
                elif _is_video_name(entry.name):
                    yield _video_entry(entry)
        stack.extend(reversed(subfolders))


def _video_entry(entry: os.DirEntry) -> InputItem:
    """A folder entry named like a video: to decode, or failed with the reason a link cannot be followed."""
    if entry.is_symlink():
        problem = file_problem(entry.path)
        if problem == "a folder, not a video file":
            return InputItem(entry.path, "symbolic link to a folder, named like a video; linked folders are not "
                                         "followed")
        if problem and problem != "file is empty (0 bytes)":  # an empty target fails when decoded, as a file would
            return InputItem(entry.path, problem)
    return InputItem(entry.path)


@dataclass(frozen=True)
class ListOptions:
    """How list files are read (by :mod:`rlt.data.annotations`)."""

    root: str | None = None  # folder list entries are relative to; None: the list file's own folder
    ssv2_labels: str | None = None  # SSv2 labels JSON, which rlt.data.read_ssv2 needs to read a .json list


def list_entries(list_path: str, options: ListOptions = ListOptions()) -> Iterator[InputItem]:
    """The videos named by a Kinetics-style list (``path label`` lines or CSV) or an SSv2 ``.json`` list.

    Parsing is :mod:`rlt.data`'s; a list that cannot be parsed is one failed item.
    Entries that do not exist are yielded as they are and fail when decoded.
    """
    from rlt.data import read_ssv2, read_video_list

    root = options.root if options.root is not None else os.path.dirname(os.path.abspath(list_path))
    try:
        if list_path.lower().endswith(".json"):
            if options.ssv2_labels is None:
                yield InputItem(list_path, "reading an SSv2 .json list needs its labels file (--ssv2-labels)")
                return
            records = read_ssv2(list_path, options.ssv2_labels, root).records
        else:
            records = read_video_list(list_path, root).records
    except (OSError, ValueError, KeyError, TypeError) as err:
        yield InputItem(list_path, f"cannot read video list: {type(err).__name__}: {err}")
        return
    for record in records:
        yield InputItem(record.path)


def iter_inputs(paths: Iterable[str | os.PathLike], lists: ListOptions = ListOptions()) -> Iterator[InputItem]:
    """Expand ``paths`` lazily: folders recursively, list files into their entries, anything else as a video.

    A path that does not exist is yielded with ``error`` set, so it is reported
    rather than skipped.
    """
    for raw in paths:
        path = os.fspath(raw)
        if os.path.isdir(path):
            yield from _or_report(walk_folder(path), path, "no video files in this folder")
        elif not os.path.exists(path):
            problem = file_problem(path)
            yield InputItem(path, "no such file or folder" if problem == "no such file" else problem)
        elif os.path.splitext(path)[1].lower() in LIST_EXTENSIONS:
            yield from _or_report(list_entries(path, lists), path, "the list names no videos")
        else:
            yield InputItem(path)


def _or_report(items: Iterator[InputItem], path: str, why_empty: str) -> Iterator[InputItem]:
    """``items``, or one failed item for ``path`` when there are none: an input that yields nothing is reported."""
    empty = True
    for item in items:
        empty = False
        yield item
    if empty:
        yield InputItem(path, why_empty)


def count_inputs(paths: Iterable[str | os.PathLike], lists: ListOptions = ListOptions()) -> int:
    """How many items :func:`iter_inputs` will yield (one cheap pass, nothing decoded)."""
    return sum(1 for _ in iter_inputs(paths, lists))
