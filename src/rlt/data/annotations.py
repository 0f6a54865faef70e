"""Lists of videos and labels: Kinetics-style lists and CSVs, SSv2 JSON, class folders, plain folders.

Every reader returns an :class:`Annotations`: one :class:`VideoRecord` per line or
file, in the order given, never truncated or filtered. Files that are missing on
disk are kept: they fail when loaded and land in the failure report with a reason.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from pathlib import Path

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mkv", ".webm", ".mov", ".m4v", ".mpg", ".mpeg", ".flv", ".wmv", ".ogv", ".3gp")
PATH_COLUMNS = ("path", "video", "filename", "file", "video_path")
KINETICS_TEMPLATE = "{youtube_id}_{time_start:06d}_{time_end:06d}.mp4"  # the usual name of a Kinetics clip


@dataclass(frozen=True)
class VideoRecord:
    """One video of a dataset."""

    path: str  # file path (root already joined)
    label: int = -1  # class index; -1 when unlabelled


@dataclass(frozen=True)
class Annotations:
    """The records of a dataset and its class names (index = label)."""

    records: list[VideoRecord]  # in file order
    classes: list[str]  # class names by label; empty when labels are bare integers or absent


def _join(root: str | os.PathLike | None, path: str) -> str:
    return os.path.join(os.fspath(root), path) if root is not None else path


def _labels(raw: list[str], where: str, classes: list[str] | None) -> tuple[list[int], list[str]]:
    """Integer labels as they are; class names mapped through ``classes`` (default: sorted names)."""
    if all(r.lstrip("-").isdigit() for r in raw):
        return [int(r) for r in raw], list(classes or [])
    names = list(classes) if classes is not None else sorted(set(raw))
    index = {n: i for i, n in enumerate(names)}
    unknown = sorted(set(raw) - set(index))
    if unknown:
        raise ValueError(f"{where}: labels {unknown[:5]} are not among the {len(names)} given classes")
    return [index[r] for r in raw], names


def read_video_list(
    list_path: str | os.PathLike, root: str | os.PathLike | None = None, *, classes: list[str] | None = None
) -> Annotations:
    """A Kinetics-style list: ``path label`` lines, or CSV with or without a header.

    CSV headers may name a path column (``path``, ``video``, ``filename``...) and
    ``label``, or be the official Kinetics columns ``label,youtube_id,time_start,time_end``,
    whose files are found as ``{label}/`` + :data:`KINETICS_TEMPLATE` under ``root``
    when that folder exists, else directly under ``root``. Labels are integers or
    class names (mapped to ``classes``, default: sorted names).
    """
    list_path = os.fspath(list_path)
    with open(list_path, newline="", encoding="utf-8") as f:
        lines = [line for line in f.read().splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        return Annotations([], list(classes or []))
    if "," in lines[0]:
        rows = list(csv.reader(lines))
        header = [c.strip().lower() for c in rows[0]]
        if "label" in header or any(c in header for c in PATH_COLUMNS) or "youtube_id" in header:
            return _from_csv_header(header, rows[1:], list_path, root, classes)
        pairs = [(row[0].strip(), row[1].strip() if len(row) > 1 else "") for row in rows]
    else:
        pairs = []
        for line in lines:
            parts = line.rsplit(maxsplit=1)
            if len(parts) == 2 and parts[1].lstrip("-").isdigit():
                pairs.append((parts[0], parts[1]))
            else:  # a bare path (possibly with spaces): unlabelled
                pairs.append((line.strip(), "-1"))
    bad = [i + 1 for i, (p, _) in enumerate(pairs) if not p]
    if bad:
        raise ValueError(f"{list_path}: empty path on lines {bad[:5]}")
    labels, names = _labels([lab or "-1" for _, lab in pairs], list_path, classes)
    return Annotations([VideoRecord(_join(root, p), lab) for (p, _), lab in zip(pairs, labels)], names)


def _from_csv_header(header: list[str], rows: list[list[str]], where: str, root, classes) -> Annotations:
    col = {name: i for i, name in enumerate(header)}
    path_col = next((col[c] for c in PATH_COLUMNS if c in col), None)
    paths = []
    for number, row in enumerate(rows, 2):
        try:
            if path_col is not None:
                paths.append(row[path_col].strip())
            else:
                name = KINETICS_TEMPLATE.format(youtube_id=row[col["youtube_id"]].strip(),
                                                time_start=int(row[col["time_start"]]), time_end=int(row[col["time_end"]]))
                label_dir = row[col["label"]].strip() if "label" in col else ""
                in_class = root is not None and label_dir and os.path.isdir(os.path.join(os.fspath(root), label_dir))
                paths.append(os.path.join(label_dir, name) if in_class else name)
        except (IndexError, KeyError, ValueError) as e:
            raise ValueError(f"{where}, line {number}: cannot read {row!r} with columns {header}: {e}") from e
    raw = [row[col["label"]].strip() if "label" in col and len(row) > col["label"] else "-1" for row in rows]
    labels, names = _labels(raw, where, classes)
    return Annotations([VideoRecord(_join(root, p), lab) for p, lab in zip(paths, labels)], names)


def read_ssv2(
    annotation_json: str | os.PathLike, labels_json: str | os.PathLike, root: str | os.PathLike,
    *, extension: str = ".webm",
) -> Annotations:
    """Something-Something-v2: ``[{"id", "template", ...}]`` plus ``{"class name": "index"}``.

    A record's class is its ``template`` with the brackets removed (as in the
    official labels file); entries without one (the test split) are unlabelled.
    Videos are ``root/{id}{extension}``.
    """
    with open(annotation_json, encoding="utf-8") as f:
        entries = json.load(f)
    with open(labels_json, encoding="utf-8") as f:
        label_map = {name: int(i) for name, i in json.load(f).items()}
    classes = [""] * len(label_map)
    for name, i in label_map.items():
        if not 0 <= i < len(classes):
            raise ValueError(f"{labels_json}: index {i} of {name!r} is outside 0..{len(classes) - 1}")
        classes[i] = name
    records = []
    for entry in entries:
        template = entry.get("template")
        if template is None:
            label = -1
        else:
            name = template.replace("[", "").replace("]", "")
            if name not in label_map:
                raise ValueError(f"{annotation_json}: id {entry.get('id')!r} has class {name!r}, not in {labels_json}")
            label = label_map[name]
        records.append(VideoRecord(os.path.join(os.fspath(root), f"{entry['id']}{extension}"), label))
    return Annotations(records, classes)


def _videos_in(folder: Path, recursive: bool) -> list[Path]:
    files = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(p for p in files if p.is_file() and p.suffix.lower() in VIDEO_EXTENSIONS)


def read_class_folders(root: str | os.PathLike) -> Annotations:
    """``root/<class name>/**/video``: labels are the sorted class folder names' indices."""
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"root must be a folder, got {os.fspath(root)!r}")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir())
    records = [VideoRecord(str(v), label) for label, name in enumerate(classes) for v in _videos_in(root / name, True)]
    return Annotations(records, classes)


def read_video_folder(root: str | os.PathLike, *, recursive: bool = True) -> Annotations:
    """Every video file under ``root`` (by extension, sorted), unlabelled: for statistics."""
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"root must be a folder, got {os.fspath(root)!r}")
    return Annotations([VideoRecord(str(v)) for v in _videos_in(root, recursive)], [])


def read_any(path: str | os.PathLike, root: str | os.PathLike | None = None) -> Annotations:
    """One video file, a folder of videos (class sub-folders are not assumed), or a video list."""
    path = Path(path)
    if path.is_dir():
        return read_video_folder(path)
    if path.suffix.lower() in VIDEO_EXTENSIONS:
        return Annotations([VideoRecord(str(path))], [])
    if not path.is_file():
        raise ValueError(f"path must be a video, a folder or a list file, got {os.fspath(path)!r} (not found)")
    return read_video_list(path, root if root is not None else path.parent)
