"""``train(config)`` and ``evaluate(config)``: what ``rlt train`` / ``rlt eval`` run, usable from Python."""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

import lightning as L
import torch

from .build import EXPORT_DIR, build_model
from .callbacks import EpochStats
from .config import RunConfig
from .config_io import save_config
from .datamodule import VideoDataModule
from .export import export_model
from .module import VideoClassifier
from .toy_data import write_toy_dataset

logger = logging.getLogger(__name__)


def precision_for(config: RunConfig) -> str:
    """``trainer.precision``, or bf16-mixed when the run lands on a GPU and 32-true otherwise."""
    if config.trainer.precision is not None:
        return config.trainer.precision
    acc = config.trainer.accelerator
    on_gpu = acc in ("gpu", "cuda") or (acc == "auto" and torch.cuda.is_available())
    return "bf16-mixed" if on_gpu else "32-true"


def build_logger(config: RunConfig, name: str):
    """CSV (default), TensorBoard or W&B logger under ``out_dir``; ``False`` for none."""
    kind, out = config.trainer.logger, config.out_dir
    if kind == "none":
        return False
    if kind == "csv":
        return L.pytorch.loggers.CSVLogger(out, name=name)
    if kind == "tensorboard":
        try:
            return L.pytorch.loggers.TensorBoardLogger(out, name=name)
        except ModuleNotFoundError as err:
            raise ImportError("trainer.logger=tensorboard needs tensorboard: pip install tensorboard") from err
    try:
        return L.pytorch.loggers.WandbLogger(save_dir=out, name=name)
    except ModuleNotFoundError as err:
        raise ImportError("trainer.logger=wandb needs wandb: pip install wandb") from err


def build_trainer(config: RunConfig, *, callbacks: list, logger_name: str, fitting: bool) -> L.Trainer:
    """A ``lightning.Trainer`` from ``config.trainer`` (our samplers shard the data, so Lightning's is off)."""
    t = config.trainer
    return L.Trainer(
        accelerator=t.accelerator, devices=t.devices, num_nodes=t.num_nodes, strategy=t.strategy,
        precision=precision_for(config), max_epochs=t.max_epochs, max_steps=t.max_steps,
        accumulate_grad_batches=config.train.optim.accumulate,
        gradient_clip_val=config.train.optim.clip_grad if fitting else None,
        check_val_every_n_epoch=max(config.train.val_every, 1),
        limit_val_batches=1.0 if (config.train.val_every and config.data.val_list) else 0,
        num_sanity_val_steps=0, use_distributed_sampler=False, default_root_dir=config.out_dir,
        logger=build_logger(config, logger_name), log_every_n_steps=t.log_every_steps,
        enable_progress_bar=t.progress_bar, enable_checkpointing=fitting, callbacks=callbacks,
        deterministic=t.deterministic,
    )


def ensure_data(config: RunConfig, *, wait_s: float = 600.0) -> None:
    """Write the generated dataset when ``data.synthetic`` asks for it and the train list is missing.

    Only the first process of a node writes (``LOCAL_RANK`` 0; torchrun and SLURM set it); the
    others wait for its ``classes.txt``, which is written last.
    """
    d = config.data
    if not (d.synthetic and d.train_list is not None and not Path(d.train_list).exists()):
        return
    root = Path(d.root or Path(d.train_list).parent)
    if int(os.environ.get("LOCAL_RANK", os.environ.get("SLURM_LOCALID", "0"))) == 0:
        logger.info("writing %d generated videos under %s", d.synthetic, root)
        write_toy_dataset(root, d.synthetic, seed=config.train.seed)
        return
    deadline = time.monotonic() + wait_s
    while not (root / "classes.txt").exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {wait_s:.0f} s for local rank 0 to write the dataset under {root}")
        time.sleep(0.5)


def resolve_resume(config: RunConfig) -> str | None:
    """``train.resume``: a path, or ``"last"``: the newest checkpoint under ``out_dir/checkpoints`` (None if none)."""
    resume = config.train.resume
    if resume != "last":
        return resume
    found = sorted(Path(config.out_dir, "checkpoints").glob("*.ckpt"), key=lambda p: p.stat().st_mtime)
    return str(found[-1]) if found else None


def train(config: RunConfig) -> dict:
    """Fit with Lightning, then export ``out_dir/model`` (rank 0). Returns a summary (also ``out_dir/train.json``)."""
    out = Path(config.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ensure_data(config)
    L.seed_everything(config.train.seed, workers=True, verbose=False)
    model = build_model(config)
    data = VideoDataModule(config)
    stats = EpochStats()
    callbacks: list = [stats, L.pytorch.callbacks.ModelCheckpoint(
        dirpath=out / "checkpoints", filename="epoch{epoch}", auto_insert_metric_name=False,
        every_n_epochs=1, save_top_k=-1, save_on_train_epoch_end=True)]
    if config.train.checkpoint_every_steps:
        callbacks.append(L.pytorch.callbacks.ModelCheckpoint(
            dirpath=out / "checkpoints", filename="step{step}", auto_insert_metric_name=False,
            every_n_train_steps=config.train.checkpoint_every_steps, save_top_k=-1))
    trainer = build_trainer(config, callbacks=callbacks, logger_name="train", fitting=True)
    module = VideoClassifier(model, config)  # steps per epoch come from the batch sampler inside fit
    if trainer.is_global_zero:
        save_config(config, out / "config.yaml")
    trainer.fit(module, datamodule=data, ckpt_path=resolve_resume(config))
    summary = {"epochs": stats.epochs, "global_step": trainer.global_step, "failed": module.epoch_failures,
               "val": module.eval_results, "model": None}
    if trainer.is_global_zero:
        classes = data.train_records.classes if data.train_records else None
        summary["model"] = str(export_model(module.model, out / EXPORT_DIR, classes))
        save_config(config, out / EXPORT_DIR / "train_config.yaml")
        (out / "train.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary


def evaluate(config: RunConfig, json_path: str | os.PathLike | None = None) -> dict:
    """Multi-view evaluation of ``model.checkpoint`` on ``data.val_list``; rank 0 writes ``json_path``
    (and the resolved config beside it as ``<json_path>.config.yaml``)."""
    model = build_model(config, for_eval=True)
    data = VideoDataModule(config)
    trainer = build_trainer(config, callbacks=[], logger_name="eval", fitting=False)
    module = VideoClassifier(model, config)
    trainer.test(module, datamodule=data, verbose=False)
    results = dict(module.eval_results or {})
    if json_path is not None and trainer.is_global_zero:
        path = Path(json_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(results, indent=2), encoding="utf-8")
        save_config(config, path.with_name(path.name + ".config.yaml"))
    return results
