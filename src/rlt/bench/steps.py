"""The timed steps: one inference or training step of a model under a reducer, from uint8 frames.

Each step starts from the uint8 clips (decoded too with ``--with-loader``),
normalises them, and runs what a user runs: ``model(video, reducer=red)``; in
training also the loss, backward and an AdamW step. The reducer's own work is
timed apart by :func:`prep_step` (normalise + ``red.pack``): the tokenizer share.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from rlt.attention import select_backend
from rlt.ops import normalize

from .reducer_api import forward


@dataclass
class StepContext:
    """What every step of one group shares."""

    model: torch.nn.Module  # the model called (compiled or not)
    frames: torch.Tensor  # (B, T, S, S, 3) uint8 on the device
    device: torch.device
    dtype: torch.dtype  # autocast dtype; float32 means no autocast
    loader: Callable[[], torch.Tensor] | None = None  # decodes the batch again (--with-loader), on the CPU
    labels: torch.Tensor | None = None  # (B,) long: training targets
    optimizer: torch.optim.Optimizer | None = None  # AdamW over the model's parameters (training)
    loader_s: float = 0.0  # time the last step spent in the loader


def autocast(ctx: StepContext):
    """bf16/fp16 autocast on the step's device, or nothing for float32."""
    if ctx.dtype == torch.float32:
        return contextlib.nullcontext()
    return torch.autocast(ctx.device.type, dtype=ctx.dtype)


def _frames(ctx: StepContext) -> torch.Tensor:
    if ctx.loader is None:
        ctx.loader_s = 0.0
        return ctx.frames
    start = time.perf_counter()
    frames = ctx.loader().to(ctx.device)
    ctx.loader_s = time.perf_counter() - start
    return frames


def infer_step(ctx: StepContext, reducer) -> Callable[[], torch.Tensor]:
    """``torch.inference_mode`` forward of the whole batch."""

    def step() -> torch.Tensor:
        frames = _frames(ctx)
        with torch.inference_mode(), autocast(ctx):
            return forward(ctx.model, normalize(frames, channels_last=True), reducer)

    return step


def train_step(ctx: StepContext, reducer) -> Callable[[], torch.Tensor]:
    """Forward, cross-entropy (or mean square of pooled features without a head), backward, AdamW step."""
    if ctx.optimizer is None or ctx.labels is None:
        raise ValueError("a training step needs the optimizer and labels in its context")

    def step() -> torch.Tensor:
        frames = _frames(ctx)
        with torch.no_grad():
            video = normalize(frames, channels_last=True)
        with autocast(ctx):
            logits = forward(ctx.model, video, reducer).float()  # (B, classes)
        loss = F.cross_entropy(logits, ctx.labels) if logits.shape[1] > 1 else logits.pow(2).mean()
        ctx.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        ctx.optimizer.step()
        return loss.detach()

    return step


def prep_step(ctx: StepContext, reducer, tubelet_size: int, patch_size: int) -> Callable[[], object]:
    """Normalise the uint8 batch and pack what the reducer keeps: its cost before the encoder."""

    def step():
        with torch.inference_mode():
            video = normalize(ctx.frames, channels_last=True)
            return reducer.pack(video, tubelet_size=tubelet_size, patch_size=patch_size)

    return step


def backend_that_runs(model: torch.nn.Module, device: torch.device, dtype: torch.dtype, mode: str) -> str:
    """The attention backend the dispatch selects for this model's steps in ``mode``.

    Asks :func:`rlt.attention.select_backend` with what the blocks pass it: the
    queries' device and dtype (the autocast dtype when autocast is on), whether
    they need gradients (training), whether attention dropout is on, and the
    backend the model requests (``RLT_ATTENTION`` applies under ``auto``).
    """
    attn = next(m for m in model.modules() if hasattr(m, "backend") and hasattr(m, "attn_drop"))
    training = mode == "train"
    return select_backend(
        device, dtype, requires_grad=training, dropout=training and attn.attn_drop > 0, backend=attn.backend
    )


def set_backend(model: torch.nn.Module, backend: str) -> None:
    """Make every attention layer of ``model`` request ``backend`` (a name or ``auto``)."""
    found = False
    for module in model.modules():
        if hasattr(module, "backend") and hasattr(module, "attn_drop"):
            module.backend = backend
            found = True
    if not found:
        raise ValueError(f"{type(model).__name__} has no attention layers with a backend to set")
    if hasattr(model, "config"):
        model.config.attention_backend = backend
