"""Dense vs RLT forward time of one model on one batch of clips, measured side by side."""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

import torch

import rlt
from rlt.models import VideoViT

from .flops import flops


def _sync(device: torch.device) -> None:
    """Wait for queued work on ``device`` (a no-op on CPU), so timings cover the whole forward."""
    if device.type == "cpu":
        return
    # torch.accelerator only exists from PyTorch 2.6; 2.5 has per-backend modules (torch.cuda, torch.xpu, ...).
    accelerator = getattr(torch, "accelerator", None) or getattr(torch, device.type)
    accelerator.synchronize(device)


def compare_dense_rlt(
    model: VideoViT, clips: torch.Tensor, *, tau: float = 0.1, repeats: int = 3, warmup: int = 1
) -> dict[str, Any]:
    """Time ``model`` on every token of ``clips`` and on the RLT-kept tokens, interleaved.

    ``clips (B, C, T, H, W)``: normalised float, on the model's device. Runs in
    eval mode under ``torch.inference_mode``. Each repeat times one dense forward
    and one RLT forward (``rlt.tokenize`` included), alternating which goes first
    so slow drift on a shared machine hits both. Times are medians over repeats,
    in seconds per forward of the whole batch.

    Returns ``dense_s``, ``rlt_s`` (tokenize + forward), ``rlt_forward_s``,
    ``tokenize_s``, ``tokenize_fraction`` (tokenize over RLT forward), ``speedup``
    (``dense_s / rlt_s``), ``speedup_paired`` (median over repeats of each
    repeat's dense / RLT ratio), ``ideal_speedup`` (FLOPs ratio), ``efficiency``
    (measured over ideal), ``tokens_total``, ``tokens_kept``, ``kept_fraction``,
    ``flops_dense``, ``flops_rlt`` and the settings used.
    """
    if repeats < 1 or warmup < 0:
        raise ValueError(f"need repeats >= 1 and warmup >= 0, got repeats={repeats}, warmup={warmup}")
    c = model.config
    kwargs = {"tau": tau, "tubelet_size": c.tubelet_size, "patch_size": c.patch_size}
    device = clips.device
    was_training = model.training
    model.eval()
    dense_times: list[float] = []
    rlt_times: list[float] = []
    tok_times: list[float] = []
    try:
        with torch.inference_mode():

            def run_dense() -> float:
                _sync(device)
                start = time.perf_counter()
                model(clips)
                _sync(device)
                return time.perf_counter() - start

            def run_rlt() -> tuple[float, float, rlt.PackedBatch]:
                _sync(device)
                start = time.perf_counter()
                packed = rlt.tokenize(clips, **kwargs)
                _sync(device)
                tokenized = time.perf_counter()
                model(packed)
                _sync(device)
                return time.perf_counter() - start, tokenized - start, packed

            for _ in range(warmup):
                run_dense()
                run_rlt()
            for i in range(repeats):
                if i % 2:
                    total, tok, packed = run_rlt()
                    dense_times.append(run_dense())
                else:
                    dense_times.append(run_dense())
                    total, tok, packed = run_rlt()
                rlt_times.append(total)
                tok_times.append(tok)
    finally:
        model.train(was_training)

    per_clip = packed.grid.numel
    kept = packed.seqlens.tolist()
    flops_dense = len(kept) * flops(c, per_clip)
    flops_rlt = sum(flops(c, n) for n in kept)
    dense_s, rlt_s = statistics.median(dense_times), statistics.median(rlt_times)
    tokenize_s = statistics.median(tok_times)
    rlt_forward_s = statistics.median(t - k for t, k in zip(rlt_times, tok_times))
    speedup = dense_s / rlt_s
    # Each repeat timed both side by side: the median of their ratios is robust to load that drifts over a run.
    paired = statistics.median(d / r for d, r in zip(dense_times, rlt_times))
    ideal = flops_dense / flops_rlt
    return {
        "dense_s": dense_s,
        "rlt_s": rlt_s,
        "rlt_forward_s": rlt_forward_s,
        "tokenize_s": tokenize_s,
        "tokenize_fraction": tokenize_s / rlt_forward_s,
        "speedup": speedup,
        "speedup_paired": paired,
        "ideal_speedup": ideal,
        "efficiency": speedup / ideal,
        "tokens_total": per_clip * len(kept),
        "tokens_kept": packed.num_tokens,
        "kept_fraction": packed.num_tokens / (per_clip * len(kept)),
        "flops_dense": flops_dense,
        "flops_rlt": flops_rlt,
        "tau": tau,
        "batch_size": len(kept),
        "repeats": repeats,
        "warmup": warmup,
        "device": str(device),
        "dtype": str(clips.dtype).removeprefix("torch."),
        "num_threads": torch.get_num_threads(),
        "attention_backend": os.environ.get("RLT_ATTENTION", c.attention_backend),
        "dense_times_s": dense_times,
        "rlt_times_s": rlt_times,
    }
