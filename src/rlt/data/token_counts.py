"""Per-item token counts for token-budget batches, computed in DataLoader workers and cached.

Each item's count is the number of tokens RLT keeps (``TokenizeConfig``: tau,
tubelet, patch, mode, norm; every token when ``dense``) on the item's
deterministic view: the centre clip and centre crop (``mode="val"``) at the
dataset's frame count, interval or fps, sampling, size and short side. In
training the clip and crop are random, so the count is an estimate of what a
training view keeps; it is exact for validation. Workers decode and run the
static test; only ``(index, count, error)`` comes back::

    from rlt.data import TokenizeConfig, VideoClipDataset
    from rlt.data.token_counts import compute_token_counts

    counts = compute_token_counts(dataset.records, dataset.config, TokenizeConfig(tau=0.1),
                                  num_workers=8, cache_dir="runs/cache")
    print(counts.report())            # files that could not be decoded (count 0)
    counts.budget_counts()            # for TokenBudgetBatchSampler (failed items at the largest count)

A video that fails to decode (:class:`~rlt.data.VideoDecodeError`) is counted 0
and listed in ``failures``; it never stops the run. With ``cache_dir`` the result
is written to ``cache_dir/token_counts-<key>.json``, where the key hashes the file
list (path, size, modification time), the clip settings and the tokenize settings,
so a second run with the same inputs reads it back instead of decoding. Under DDP,
compute on rank 0, barrier, then call again on every rank to read the cache.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Sequence

import torch
from torch.utils.data import DataLoader, Dataset

from ..ops.grid import check_video
from ..ops.normalize import normalize
from ..ops.static import static_keep
from .annotations import VideoRecord
from .collate import TokenizeConfig
from .dataset import ClipConfig, VideoClipDataset
from .errors import VideoDecodeError
from .failures import FailureReport, ItemFailure
from .sampling import clip_rng

CACHE_VERSION = 1  # bump when the meaning of a count changes


def count_view(config: ClipConfig) -> ClipConfig:
    """The deterministic view counted for every item: centre clip and crop, errors raised."""
    return replace(config, split="val", on_error="raise", short_side=max(config.short_side, config.size))


def count_tokens(video: torch.Tensor, config: TokenizeConfig) -> int:
    """Tokens RLT keeps for one uint8 clip ``(T, H, W, 3)`` under ``config``."""
    clip = normalize(video.unsqueeze(0), channels_last=True)  # (1, C, T, H, W)
    if config.dense:
        return check_video(clip, config.tubelet_size, config.patch_size).numel
    keep = static_keep(clip, tau=config.tau, tubelet_size=config.tubelet_size, patch_size=config.patch_size,
                       mode=config.mode, norm=config.norm)  # (1, T', H', W')
    return int(keep.sum())


def count_settings(clip: ClipConfig, tokenize: TokenizeConfig) -> dict[str, Any]:
    """Everything a count depends on, as JSON-able values (part of the cache key)."""
    view = count_view(clip)
    keys = ("num_frames", "interval", "fps", "sampling", "size", "short_side", "backend")
    return {"clip": {k: getattr(view, k) for k in keys}, "tokenize": asdict(tokenize)}


class _CountItems(Dataset):
    """Runs in the workers: item ``i`` -> ``(i, tokens kept, error or "")``."""

    def __init__(self, records: list[VideoRecord], clip: ClipConfig, tokenize: TokenizeConfig) -> None:
        self.dataset = VideoClipDataset(records, count_view(clip))
        self.tokenize = tokenize

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> tuple[int, int, str]:
        path = self.dataset.records[index].path
        try:
            video, _ = self.dataset.load(path, clip_rng(self.dataset.config.seed, 0, index))  # (T, S, S, 3)
        except VideoDecodeError as e:
            return index, 0, e.reason
        return index, count_tokens(video, self.tokenize), ""


@dataclass(frozen=True)
class TokenCounts:
    """Token counts of every item of a dataset, with the items that failed."""

    counts: list[int]  # (N,) tokens kept per item, in dataset order; 0 where the item failed
    failures: list[ItemFailure]  # items whose video could not be decoded, by index
    settings: dict[str, Any]  # what the counts depend on (see count_settings)
    cache_path: Path | None = None  # the JSON file read or written, if caching
    from_cache: bool = False  # True when read back instead of computed

    def __len__(self) -> int:
        return len(self.counts)

    def report(self) -> FailureReport:
        """The failures as a :class:`~rlt.data.FailureReport` (``print`` it, or ``as_json()``)."""
        return FailureReport(list(self.failures))

    def budget_counts(self) -> list[int]:
        """Counts for a token budget: failed items count as the largest count.

        The dataset replaces a failed item by another one at load time, so
        charging the worst case keeps every batch within its budget.
        """
        largest = max(self.counts, default=0)
        failed = {f.index for f in self.failures}
        return [largest if i in failed else c for i, c in enumerate(self.counts)]

    def to_json(self) -> dict[str, Any]:
        return {"version": CACHE_VERSION, "settings": self.settings, "num_items": len(self.counts),
                "counts": self.counts, "failed": [asdict(f) for f in self.failures]}


def _cache_key(records: Sequence[VideoRecord], settings: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps({"version": CACHE_VERSION, "settings": settings}, sort_keys=True).encode())
    for record in records:
        try:
            st = os.stat(record.path)
            stamp = f"{st.st_size}:{st.st_mtime_ns}"
        except OSError:
            stamp = "missing"
        digest.update(f"\n{record.path}\t{stamp}".encode())
    return digest.hexdigest()[:20]


def _read_cache(path: Path, num_items: int, settings: dict[str, Any]) -> TokenCounts | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None  # absent or half-written: recompute
    if data.get("version") != CACHE_VERSION or data.get("num_items") != num_items or data.get("settings") != settings:
        return None
    failures = [ItemFailure(int(f["index"]), f["path"], f["reason"]) for f in data["failed"]]
    return TokenCounts([int(c) for c in data["counts"]], failures, settings, path, from_cache=True)


def compute_token_counts(
    records: Sequence[VideoRecord],
    clip: ClipConfig = ClipConfig(),
    tokenize: TokenizeConfig = TokenizeConfig(),
    *,
    num_workers: int = 0,
    cache_dir: str | os.PathLike | None = None,
    progress: bool = False,
) -> TokenCounts:
    """Tokens kept per record (see the module docstring), decoded in ``num_workers`` DataLoader workers.

    Every record gets a count; undecodable ones get 0 and an entry in ``failures``.
    With ``cache_dir``, reads ``token_counts-<key>.json`` there if it matches,
    else computes and writes it.
    """
    records = list(records)
    if clip.num_frames % tokenize.tubelet_size:
        raise ValueError(f"num_frames {clip.num_frames} is not divisible by tubelet_size {tokenize.tubelet_size}")
    if clip.size % tokenize.patch_size:
        raise ValueError(f"size {clip.size} is not divisible by patch_size {tokenize.patch_size}")
    if num_workers < 0:
        raise ValueError(f"num_workers must be >= 0, got {num_workers}")
    settings = count_settings(clip, tokenize)
    cache_path = None
    if cache_dir is not None:
        cache_path = Path(cache_dir) / f"token_counts-{_cache_key(records, settings)}.json"
        cached = _read_cache(cache_path, len(records), settings)
        if cached is not None:
            return cached
    counts, failures = [0] * len(records), []
    loader = DataLoader(_CountItems(records, clip, tokenize), batch_size=None, num_workers=num_workers)
    if progress:
        from tqdm import tqdm

        loader = tqdm(loader, total=len(records), desc="token counts", unit="video")
    for index, count, error in loader:
        counts[index] = int(count)
        if error:
            failures.append(ItemFailure(int(index), records[index].path, error))
    result = TokenCounts(counts, failures, settings, cache_path)
    if cache_path is not None:
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        partial = cache_path.with_name(f"{cache_path.name}.{os.getpid()}.tmp")
        partial.write_text(json.dumps(result.to_json()))
        os.replace(partial, cache_path)  # atomic: readers see the whole file or none
    return result
