"""Datasets and loaders of a run: resumable training batches, single-view validation, multi-view testing.

Workers decode and crop uint8 clips (``rlt.data.VideoClipDataset``); the module
normalises and reduces on the device. Evaluation never replaces a broken video by
another one: it is reported as failed and left out of the metrics.
"""

from __future__ import annotations

import os
from typing import Any

import lightning as L
import torch
from torch.utils.data import DataLoader, Dataset

from rlt.data import (
    Annotations, ClipConfig, VideoClipDataset, collate_clips, read_class_folders, read_ssv2, read_video_list,
)
from rlt.data.errors import VideoDecodeError
from rlt.data.failures import ItemFailure, TooManyFailures
from rlt.data.token_budget import TokenBudgetBatchSampler

from .config import RunConfig
from .loader import ResumableLoader
from .sampler import BudgetBatches, ShardBatchSampler, TrainBatchSampler


def budget_counts(config: RunConfig, records: list, rank: int) -> list[int]:
    """Tokens each training item brings into the encoder, for ``data.max_tokens`` batches.

    Counted once in DataLoader workers on the centre view (``rlt.data.token_counts``;
    cached under ``out_dir/cache``): RLT's kept tokens for reducers that start with
    RLT, every token otherwise. ``random`` keeps ``round(keep * N0)`` of the ``N0``
    grid tokens and ``rlt+random`` ``min(RLT's count, round(keep * N0))``, as
    ``rlt.reducers`` does. Under DDP rank 0 counts and writes the cache first; the
    other ranks then read it.
    """
    import torch.distributed as dist

    from rlt.data import TokenizeConfig
    from rlt.data.token_counts import compute_token_counts
    from rlt.models import preset_config

    spec = config.train.reducer
    grid = {k: config.model.vit.get(k, getattr(preset_config(config.model.name), k))
            for k in ("tubelet_size", "patch_size")}
    rlt_based = spec.name.startswith("rlt")
    options = {k: spec.options[k] for k in ("tau", "mode", "norm") if k in spec.options} if rlt_based else {}
    tokenize = TokenizeConfig(**grid, **options, dense=not rlt_based)
    clip = clip_config(config, "train")
    distributed = dist.is_available() and dist.is_initialized()
    cache = os.path.join(config.out_dir, "cache")
    if distributed and rank != 0:
        dist.barrier()  # wait for rank 0's cache
    counts = compute_token_counts(records, clip, tokenize, num_workers=config.data.num_workers, cache_dir=cache)
    if distributed and rank == 0:
        dist.barrier()
    budget = counts.budget_counts()
    if spec.name in ("random", "rlt+random"):
        d = config.data
        grid_tokens = (d.num_frames // grid["tubelet_size"]) * (d.size // grid["patch_size"]) ** 2  # N0
        cap = max(int(round(float(spec.options.get("keep", 0.5)) * grid_tokens)), 1)
        budget = [min(c, cap) for c in budget]
    return budget


def read_split(config: RunConfig, split: str) -> Annotations:
    """Records of ``data.train_list`` (``split="train"``) or ``data.val_list``."""
    d = config.data
    source = d.train_list if split == "train" else d.val_list
    if source is None:
        raise ValueError(f"data.{split}_list is not set")
    if d.format == "folders":
        return read_class_folders(source if d.root is None else os.path.join(d.root, source))
    if d.format == "ssv2":
        if d.labels is None or d.root is None:
            raise ValueError("data.format=ssv2 needs data.labels (labels.json) and data.root (the video folder)")
        return read_ssv2(source, d.labels, d.root)
    return read_video_list(source, d.root)


def clip_config(config: RunConfig, split: str) -> ClipConfig:
    """``rlt.data.ClipConfig`` for ``split`` in ``train`` / ``val`` (one centre view) / ``test`` (all views)."""
    d, e = config.data, config.eval
    return ClipConfig(
        num_frames=d.num_frames, interval=d.interval, fps=d.fps, sampling=d.sampling, split=split, size=d.size,
        short_side=d.short_side or d.size, hflip=d.hflip, scale=d.crop_scale, n_temporal=e.temporal_views,
        n_spatial=e.spatial_crops, backend=d.backend, seed=config.train.seed,
        on_error="skip" if split == "train" else "raise",
    )


class EvalItems(Dataset):
    """Wraps an evaluation dataset: a video that fails to load comes back as ``{"failed": ItemFailure}``."""

    def __init__(self, dataset: VideoClipDataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> dict[str, Any]:
        try:
            return self.dataset[index]
        except VideoDecodeError as e:
            return {"failed": ItemFailure(index, e.path, e.reason), "requested": index}
        except TooManyFailures as e:
            return {"failed": e.failures[-1], "requested": index}


def collate_eval(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Stack the loaded items; failed ones go to ``failures`` (``video`` may then have 0 rows)."""
    good = [s for s in samples if "failed" not in s]
    failures = [s["failed"] for s in samples if "failed" in s]
    if not good:
        return {"video": torch.empty(0, dtype=torch.uint8), "label": torch.empty(0, dtype=torch.long),
                "requested": torch.empty(0, dtype=torch.long), "path": [], "failures": failures}
    batch = collate_clips(good)
    batch["failures"] = batch["failures"] + failures
    return batch


class VideoDataModule(L.LightningDataModule):
    """Loaders for ``rlt train`` / ``rlt eval``; ranks and world size come from the trainer."""

    def __init__(self, config: RunConfig) -> None:
        super().__init__()
        self.config = config
        self.train_records: Annotations | None = None
        self.val_records: Annotations | None = None
        self._train_sampler: TrainBatchSampler | BudgetBatches | None = None

    def setup(self, stage: str | None = None) -> None:
        if stage in (None, "fit") and self.config.data.train_list is not None and self.train_records is None:
            self.train_records = read_split(self.config, "train")
        if self.config.data.val_list is not None and self.val_records is None:
            self.val_records = read_split(self.config, "val")

    def transfer_batch_to_device(self, batch: dict, device: torch.device, dataloader_idx: int) -> dict:
        # Failure records are frozen dataclasses, which Lightning's generic mover rejects: move the tensors only.
        return {k: v.to(device, non_blocking=True) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}

    def _rank_world(self) -> tuple[int, int]:
        trainer = self.trainer
        return (trainer.global_rank, trainer.world_size) if trainer is not None else (0, 1)

    def _loader_kwargs(self) -> dict[str, Any]:
        workers = self.config.data.num_workers
        # Not persistent: each epoch's workers get the dataset with the new epoch (fresh clips).
        return {"num_workers": workers, "pin_memory": torch.cuda.is_available(), "persistent_workers": False}

    def train_batches(self) -> TrainBatchSampler | BudgetBatches:
        """The training batch sampler (``len`` = batches per epoch on this rank), built once per run:
        fixed ``data.batch_size`` clips, or up to ``data.max_tokens`` tokens per batch."""
        if self._train_sampler is not None:
            return self._train_sampler
        if self.train_records is None:
            self.setup("fit")
        rank, world = self._rank_world()
        dataset = VideoClipDataset(self.train_records.records, clip_config(self.config, "train"))
        d, seed = self.config.data, self.config.train.seed
        if d.max_tokens is None:
            self._train_sampler = TrainBatchSampler(dataset, d.batch_size, seed=seed, rank=rank, world=world)
        else:
            counts = budget_counts(self.config, self.train_records.records, rank)
            inner = TokenBudgetBatchSampler(counts, d.max_tokens, seed=seed, num_replicas=world, rank=rank)
            self._train_sampler = BudgetBatches(dataset, inner)
        return self._train_sampler

    def train_dataloader(self) -> DataLoader:
        sampler = self.train_batches()
        trainer = self.trainer
        # Lightning makes the first iterator (and, with workers, prefetches) before its own set_epoch, and
        # does not remake it when resuming. So start where the restored loop stands: epoch 0 in a fresh run,
        # the next epoch after a checkpoint saved at an epoch's end. (Mid-epoch, load_state_dict refines it.)
        sampler.resume(trainer.current_epoch, trainer.fit_loop.epoch_loop.batch_progress.current.completed)

        def consumed() -> tuple[int, int]:
            return trainer.current_epoch, trainer.fit_loop.epoch_loop.batch_progress.current.ready

        return ResumableLoader(sampler.dataset, sampler, consumed, collate_fn=collate_clips, **self._loader_kwargs())

    def _eval_loader(self, mode: str) -> DataLoader:
        if self.val_records is None:
            raise ValueError("data.val_list is not set")
        rank, world = self._rank_world()
        dataset = EvalItems(VideoClipDataset(self.val_records.records, clip_config(self.config, mode)))
        batch = self.config.eval.batch_size or self.config.data.batch_size
        sampler = ShardBatchSampler(len(dataset), batch, rank=rank, world=world)
        return DataLoader(dataset, batch_sampler=sampler, collate_fn=collate_eval, **self._loader_kwargs())

    def val_dataloader(self) -> DataLoader | list:
        if self.val_records is None:
            return []  # no data.val_list: no validation during training
        return self._eval_loader("val")

    def test_dataloader(self) -> DataLoader:
        return self._eval_loader("test")
