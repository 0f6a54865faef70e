"""What a checkpoint file's own bytes can prove about it, checked before anything is unpickled.

Each check returns ``None`` for a sound file or a one-line reason (no file name:
the caller adds it). What can be verified:

- ``torch.save`` files (a zip archive): every member's CRC-32, as recorded by
  ``torch.save`` (members saved without one, CRC 0, are skipped), and the
  archive's structure. A flipped byte anywhere in the tensors shows up here.
- ``.safetensors``: the header's length field, its JSON, and that every tensor's
  byte range fits its dtype and shape and the ranges cover the data exactly
  (a truncated or padded file). The format has no checksum, so a changed byte
  inside the tensor data cannot be detected.
- Legacy (pre-1.6) ``torch.save`` pickles carry no checksum either.
"""

from __future__ import annotations

import json
import math
import zipfile
import zlib
from pathlib import Path

ZIP_MAGIC = b"PK\x03\x04"  # torch.save since PyTorch 1.6
_PICKLE_PROTO = 0x80  # first byte of a pickle of protocol >= 2 (legacy torch.save)
_CHUNK = 1 << 20
# Bytes per element of the safetensors dtypes.
_SAFETENSORS_ITEMSIZE = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
    "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8,
}


def file_kind(head: bytes, size: int) -> str:
    """``"zip"``, ``"pickle"``, ``"empty"``, ``"text"`` or ``"unknown"`` from a file's first bytes."""
    if size == 0:
        return "empty"
    if head.startswith(ZIP_MAGIC):
        return "zip"
    if len(head) >= 2 and head[0] == _PICKLE_PROTO and 2 <= head[1] <= 5:
        return "pickle"
    text = head.decode("utf-8", errors="replace")
    if "\ufffd" in text[:-2]:  # the last character may be cut by the 512-byte window
        return "unknown"
    return "text" if all(c.isprintable() or c in "\r\n\t\ufffd" for c in text) else "unknown"


def describe_kind(kind: str, head: bytes) -> str:
    """The reason a file of ``kind`` (not ``"zip"`` / ``"pickle"``) is no ``torch.save`` checkpoint."""
    if kind == "empty":
        return "is empty (0 bytes)"
    if kind == "text":
        first = head.decode("utf-8", errors="replace").strip().splitlines()[0][:40] if head.strip() else ""
        return f"is a text file ({first!r}...), not a torch.save checkpoint"
    return f"is not a torch.save checkpoint (starts with {head[:8]!r}; expected a zip archive or a pickle)"


def zip_problem(path: Path) -> str | None:
    """Structure and CRC-32 of every member of a ``torch.save`` zip archive; reads the whole file."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if not any(name == "data.pkl" or name.endswith("/data.pkl") for name in names):
                return f"is a zip archive but not a torch.save checkpoint (no data.pkl among {names[:5]})"
            for info in archive.infolist():
                if info.CRC == 0:  # saved with torch.serialization.set_crc32_options(False)
                    continue
                with archive.open(info) as member:  # raises at the end of a member whose CRC differs
                    while member.read(_CHUNK):
                        pass
    except zipfile.BadZipFile as err:
        if "CRC" in str(err):
            return f"is corrupted: {err} (the bytes differ from what torch.save wrote)"
        return f"is truncated or corrupted: not a complete zip archive ({err})"
    except (zlib.error, EOFError, ValueError, NotImplementedError) as err:
        return f"is truncated or corrupted: {type(err).__name__}: {err}"
    return None


def safetensors_problem(path: Path) -> str | None:
    """Header length, header JSON and tensor byte ranges of a ``.safetensors`` file; reads the header only."""
    size = path.stat().st_size
    if size < 8:
        return f"is {size} bytes long, too short for a safetensors header"
    with open(path, "rb") as f:
        header_len = int.from_bytes(f.read(8), "little")
        if header_len > size - 8:
            return f"is truncated or corrupted: its header claims {header_len} bytes but only {size - 8} follow"
        raw = f.read(header_len)
    try:
        header = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        return f"is corrupted: its safetensors header is not valid JSON ({err})"
    if not isinstance(header, dict):
        return f"is corrupted: its safetensors header is a JSON {type(header).__name__}, not an object"
    data_len = size - 8 - header_len
    end = 0
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        problem = _tensor_entry_problem(name, meta, data_len)
        if problem:
            return problem
        end = max(end, meta["data_offsets"][1])
    if end < data_len:
        return f"is corrupted: {data_len - end} bytes follow the last tensor (data {data_len} bytes, tensors {end})"
    return None


def _tensor_entry_problem(name: str, meta: object, data_len: int) -> str | None:
    try:
        dtype, shape, (begin, stop) = meta["dtype"], meta["shape"], meta["data_offsets"]  # type: ignore[index]
        numel = math.prod(int(s) for s in shape)
    except (TypeError, KeyError, ValueError):
        return f"is corrupted: safetensors header entry {name!r} is malformed ({meta!r:.80})"
    if not 0 <= begin <= stop:
        return f"is corrupted: tensor {name!r} has byte range [{begin}, {stop})"
    if stop > data_len:
        return f"is truncated: tensor {name!r} ends at data byte {stop} but the file holds {data_len}"
    itemsize = _SAFETENSORS_ITEMSIZE.get(dtype)
    if itemsize is not None and stop - begin != numel * itemsize:
        need = numel * itemsize
        return f"is corrupted: tensor {name!r} ({dtype}, shape {shape}) needs {need} bytes, has {stop - begin}"
    return None
