"""``VideoClassifier``: the thin LightningModule of ``rlt train`` / ``rlt eval``.

The model, the reducers and the loss are ordinary objects built from the config;
this class only wires one step: normalise, augment, reduce, forward, loss. Lightning
owns the loop, devices, precision, checkpoints and logging.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import lightning as L
import numpy as np
import torch
import torch.nn.functional as F

from rlt.data import prepare_batch
from rlt.data.failures import FailureReport
from rlt.data.transforms import EraseConfig, MixConfig, mixup_cutmix, random_erase
from rlt.models import VideoViT

from .config import RunConfig
from .evaluation import EvalRecords, gather, summarize
from .layer_decay import param_groups
from .multiview import average_views
from .reducer import build_reducer, derived_seed, forward_reduced, is_random
from .schedule import WarmupCosine


def step_seed(seed: int, epoch: int, batch: int, rank: int) -> int:
    """The seed of one training step: every random draw in it (mixup, erasing, dropout, drop path) follows it,
    so a resumed run repeats the draws of the run it continues."""
    return int(np.random.SeedSequence([seed, epoch, batch, rank]).generate_state(1)[0])


def soft_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of ``-sum(targets * log_softmax(logits))``; ``(B, K), (B, K) -> ()``."""
    return torch.sum(-targets * F.log_softmax(logits.float(), dim=-1), dim=-1).mean()


class VideoClassifier(L.LightningModule):
    """Fine-tunes / evaluates a :class:`~rlt.models.VideoViT` with the reducers of ``config``."""

    def __init__(self, model: VideoViT, config: RunConfig, *, steps_per_epoch: int | None = None) -> None:
        super().__init__()
        self.model = model
        self.config = config
        self.steps_per_epoch = steps_per_epoch  # optimizer steps per epoch; needed for fitting only
        self.train_reducer = build_reducer(config.train.reducer)
        self.eval_reducer = build_reducer(config.eval.reducer)
        a = config.train.augment
        self.mix = MixConfig(mixup_alpha=a.mixup, cutmix_alpha=a.cutmix, prob=a.mix_prob,
                             switch_prob=a.switch_prob, label_smoothing=a.label_smoothing)
        self.erase = EraseConfig(probability=a.erase)
        self.train_failures = FailureReport()
        self.eval_records = EvalRecords()
        self.step_tokens = 0  # tokens the last training step fed the encoder
        self.eval_results: dict | None = None  # set after each validation / test epoch
        self.epoch_failures: list[list[dict]] = []  # failed training files, per epoch
        if config.trainer.grad_checkpointing:
            model.set_grad_checkpointing(True)

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        return forward_reduced(self.model, clip, self.eval_reducer)[0]

    # -- training ---------------------------------------------------------------------------------------------
    def on_train_batch_start(self, batch, batch_idx: int) -> None:
        seed = step_seed(self.config.train.seed, self.current_epoch, batch_idx, self.global_rank)
        torch.manual_seed(seed)  # also seeds every CUDA device
        self._rng = np.random.default_rng(seed)
        if is_random(self.config.train.reducer):  # random masks follow the step too (exact resume, distinct ranks)
            self.train_reducer = build_reducer(self.config.train.reducer, seed=seed >> 1)

    def augment(self, clip: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mixup / CutMix (soft, smoothed targets), then random erasing; all draws from this step's seed."""
        mixed, targets = mixup_cutmix(clip, labels, self.model.config.num_classes, self.mix, rng=self._rng)
        if self.erase.probability > 0:
            mixed = random_erase(mixed, self.erase, rng=self._rng)
        return mixed, targets

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        self.train_failures.update(batch)
        clip = prepare_batch(batch, self.device, None)["clip"]  # (B, C, T, H, W) normalised float
        seen, targets = self.augment(clip, batch["label"])
        # Where the plan is computed (docs/train.md): on `seen`, what the model gets, unless plan_on=clean.
        plan_from = clip if self.config.train.augment.plan_on == "clean" else None
        logits, tokens, _ = forward_reduced(self.model, seen, self.train_reducer, plan_from=plan_from)
        loss = soft_cross_entropy(logits, targets)
        self.step_tokens = int(tokens.sum())  # tokens this step fed the encoder (read by EpochStats)
        self.log("train/loss", loss, prog_bar=True)
        self.log("train/tokens_per_clip", tokens.float().mean())
        self.log("train/lr", self.trainer.optimizers[0].param_groups[-1]["lr"])
        return loss

    def on_train_epoch_end(self) -> None:
        parts = gather_failures(self.train_failures)
        report = FailureReport()
        for part in parts:
            report.update(part)
        self.epoch_failures.append(report.as_json())
        self.log("train/failed_files", float(len(report.by_path())), sync_dist=True)  # same on every rank
        if len(report) and self.global_rank == 0:
            print(f"epoch {self.current_epoch}: {report}")
            path = Path(self.config.out_dir) / f"failures_epoch{self.current_epoch}.json"
            path.write_text(json.dumps(report.as_json(), indent=1), encoding="utf-8")
        self.train_failures = FailureReport()

    def configure_optimizers(self):
        o = self.config.train.optim
        if self.steps_per_epoch is None:  # from the run's batch sampler (ranks and world size are known now)
            batches = len(self.trainer.datamodule.train_batches())
            self.steps_per_epoch = steps_per_epoch(batches, o.accumulate)
        groups = param_groups(self.model, o.weight_decay, o.layer_decay, self.model.config.depth)
        for group in groups:
            group["lr"] = o.lr * group.pop("lr_scale")
            group.pop("names")
        optimizer = torch.optim.AdamW(groups, lr=o.lr, betas=o.betas)
        total = self.config.trainer.max_epochs * self.steps_per_epoch
        warmup = min(int(round(o.warmup_epochs * self.steps_per_epoch)), total)
        schedule = WarmupCosine(total, warmup, o.min_lr / o.lr)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

    # -- evaluation (validation: one view; test: the multi-view protocol) -------------------------------------
    def on_validation_epoch_start(self) -> None:
        self.eval_records = EvalRecords()

    on_test_epoch_start = on_validation_epoch_start

    def _eval_step(self, batch: dict) -> None:
        self.eval_records.failures += batch["failures"]
        if batch["video"].numel() == 0:
            return
        views = batch["video"].shape[1] if batch["video"].dim() == 6 else 1
        labels = batch["label"].to(self.device)
        if labels.min() < 0 or labels.max() >= self.model.config.num_classes:
            raise ValueError(f"evaluation labels must be in [0, {self.model.config.num_classes}), "
                             f"got {labels.tolist()} for {batch['path']}")
        clip = prepare_batch(batch, self.device, None)["clip"]  # (B*V, C, T, H, W)
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        start = time.perf_counter()
        logits, tokens, block_tokens = self._eval_forward(clip, batch["requested"].tolist(), views)
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        self.eval_records.forward_s += time.perf_counter() - start
        self.eval_records.clips += clip.shape[0]
        scores = average_views(logits, views)  # (B, K)
        per_video = tokens.float().reshape(-1, views).mean(1)  # (B,)
        self.eval_records.add(batch["requested"], batch["label"], scores, per_video)
        self.eval_records.block_tokens += block_tokens.float().reshape(-1, views).mean(1).tolist()

    def _eval_forward(self, clip: torch.Tensor, videos: list[int], views: int):
        """The eval reducer over ``clip (B*V, ...)``. A reducer that draws at random runs once per video,
        seeded by the video's index, so results do not depend on batching or on the number of ranks."""
        spec = self.config.eval.reducer
        if not is_random(spec):
            return forward_reduced(self.model, clip, self.eval_reducer)
        parts = []
        for i, video in enumerate(videos):
            seed = derived_seed(int(spec.options.get("seed", 0)), video)
            parts.append(forward_reduced(self.model, clip[i * views : (i + 1) * views], build_reducer(spec, seed=seed)))
        return tuple(torch.cat(p) for p in zip(*parts))

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        self._eval_step(batch)

    def test_step(self, batch: dict, batch_idx: int) -> None:
        self._eval_step(batch)

    def _eval_epoch_end(self, stage: str, views: int) -> None:
        results = summarize(gather(self.eval_records), views)
        results["reducer"] = {"name": self.eval_reducer.name, "options": dict(self.eval_reducer.options)}
        self.eval_results = results
        for key in ("top1", "top5", "loss", "tokens_per_clip"):
            if results[key] is not None:
                # Gathered already, so equal on every rank; sync_dist only keeps Lightning from warning.
                self.log(f"{stage}/{key}", float(results[key]), sync_dist=True, prog_bar=key == "top1")

    def on_validation_epoch_end(self) -> None:
        self._eval_epoch_end("val", 1)

    def on_test_epoch_end(self) -> None:
        self._eval_epoch_end("test", self.config.eval.temporal_views * self.config.eval.spatial_crops)


def gather_failures(report: FailureReport) -> list[list]:
    """Every rank's training failures (a list per rank)."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return [report.failures]
    out: list = [None] * dist.get_world_size()
    dist.all_gather_object(out, report.failures)
    return out


def steps_per_epoch(batches: int, accumulate: int) -> int:
    """Optimizer steps in an epoch of ``batches`` batches with gradient accumulation (Lightning steps on the last)."""
    return max(math.ceil(batches / accumulate), 1)
