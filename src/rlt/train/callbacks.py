"""Lightning callbacks of ``rlt train``: per-epoch wall-clock, tokens per step and peak memory."""

from __future__ import annotations

import resource
import sys
import time

import lightning as L
import torch


def peak_memory_mb(device: torch.device) -> float:
    """Peak memory so far: CUDA allocator peak on a GPU, else the process's peak resident set (MiB)."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


class EpochStats(L.Callback):
    """Records, per training epoch: seconds, steps, clips, tokens per step and clip, peak memory.

    ``epochs`` is a list of dicts (rank 0's view; clips and tokens are this rank's).
    """

    def __init__(self) -> None:
        self.epochs: list[dict] = []
        self._reset()

    def _reset(self) -> None:
        self._start, self._batches, self._clips, self._tokens = time.perf_counter(), 0, 0, 0.0

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._reset()  # a run resumed mid-epoch starts counting here (no epoch start hook for that epoch)

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._reset()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        self._batches += 1
        self._clips += int(batch["video"].shape[0])
        self._tokens += getattr(pl_module, "step_tokens", 0)

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if pl_module.device.type == "cuda":
            torch.cuda.synchronize(pl_module.device)
        batches = max(self._batches, 1)
        self.epochs.append({
            "epoch": trainer.current_epoch,
            "seconds": time.perf_counter() - self._start,
            "batches": self._batches,
            "clips": self._clips,
            "tokens_per_step": self._tokens / batches,
            "tokens_per_clip": self._tokens / max(self._clips, 1),
            "peak_memory_mb": peak_memory_mb(pl_module.device),
        })
