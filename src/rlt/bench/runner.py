"""``run_bench``: every reducer on the same model and clips, interleaved, per mode, batch size and backend."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import torch

from rlt.ops import normalize

from .clips import ClipSet, decode_batch
from .config import BenchConfig
from .flops import clip_flops
from .matching import matched_options
from .memory import peak_memory_mb
from .pairing import paired, spread
from .reducer_api import clock_hooks, create
from .steps import StepContext, backend_that_runs, infer_step, prep_step, set_backend, train_step
from .timing import interleaved_orders, timed


def batch_options(model: torch.nn.Module, frames: torch.Tensor, config: BenchConfig) -> dict[str, dict]:
    """``config.reducer_options`` plus, with ``config.match``, the settings matched to RLT on this batch.

    ``frames (B, T, S, S, 3)`` uint8: the batch every reducer will run on.
    """
    options = {name: dict(opts) for name, opts in config.reducer_options.items()}
    if config.match:
        video = normalize(frames, channels_last=True)
        for name, extra in matched_options(model, video, config.reducers, options).items():
            options[name] = {**options.get(name, {}), **extra}
    return options


def build_reducers(config: BenchConfig, options: dict[str, dict] | None = None) -> dict:
    """``{name: reducer}`` for ``config.reducers`` with ``options`` (default: the config's; ``ValueError``
    names a bad one)."""
    options = config.reducer_options if options is None else options
    return {name: create(name, **options.get(name, {})) for name in config.reducers}


def _group(
    model: torch.nn.Module, call: torch.nn.Module, frames: torch.Tensor, config: BenchConfig, mode: str,
    loader: Callable[[], torch.Tensor] | None, log: Callable[[str], None], options: dict[str, dict],
) -> dict[str, dict]:
    """Warm up, measure memory, then time every reducer ``config.repeats`` times in fresh orders."""
    device, dtype = torch.device(config.device), getattr(torch, config.resolved_dtype())
    c = model.config
    ctx = StepContext(call, frames, device, dtype, loader)
    if mode == "train":
        gen = torch.Generator().manual_seed(config.seed)
        ctx.labels = torch.randint(max(c.num_classes, 1), (frames.shape[0],), generator=gen).to(device)
        ctx.optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
        model.train()
    else:
        model.eval()
    reducers = build_reducers(config, options)
    # The hook clock reads the wall clock inside the forward: CPU only, and not under torch.compile (graph breaks).
    clocks = {n: clock_hooks(r) for n, r in reducers.items()} if device.type == "cpu" and not config.compile else {}
    make = train_step if mode == "train" else infer_step
    steps = {n: make(ctx, r) for n, r in reducers.items()}
    preps = {n: prep_step(ctx, r, c.tubelet_size, c.patch_size) for n, r in reducers.items()}
    out = {n: {"step_s": [], "prep_s": [], "hook_s": [], "loader_s": [], "compile_s": None, "peak_mem_mb": None}
           for n in reducers}
    for name in reducers:
        for i in range(max(config.warmup, int(config.compile))):  # compiling is never timed as a repeat
            seconds, _ = timed(steps[name], device)
            if i == 0 and config.compile:
                out[name]["compile_s"] = seconds
        if config.memory:
            out[name]["peak_mem_mb"], out[name]["memory_measure"] = peak_memory_mb(steps[name], device)
    for r, order in enumerate(interleaved_orders(list(reducers), config.repeats, config.seed)):
        for name in order:
            out[name]["prep_s"].append(timed(preps[name], device)[0])
            if name in clocks:
                clocks[name][0] = 0.0
            seconds, _ = timed(steps[name], device)
            out[name]["step_s"].append(seconds)
            out[name]["hook_s"].append(clocks[name][0] if name in clocks else None)
            out[name]["loader_s"].append(ctx.loader_s)
        log(f"    repeat {r + 1}/{config.repeats}: " + ", ".join(
            f"{n} {1000 * out[n]['step_s'][-1]:.0f} ms" for n in reducers))
    for name, red in reducers.items():
        out[name]["layer_tokens"] = red.layer_tokens.detach().cpu()  # (depth+1, B) from the last step
        out[name]["options"] = dict(red.options)
    out["_backend"] = backend_that_runs(model, device, dtype, mode)
    return out


def _results(model: torch.nn.Module, raw: dict, mode: str, batch: int, requested: str) -> list[dict]:
    """One result row per reducer; every ratio is paired per repeat against ``none``."""
    base = raw["none"]
    base_flops = sum(clip_flops(model, base["layer_tokens"]))
    rows = []
    for name, r in raw.items():
        if name.startswith("_"):
            continue
        counts = r["layer_tokens"]  # (depth+1, B)
        per_clip = clip_flops(model, counts)
        ideal = base_flops / sum(per_clip)
        speedup = paired(base["step_s"], r["step_s"])
        step_median = statistics.median(r["step_s"])
        hooks = None if None in r["hook_s"] else r["hook_s"]  # in-model merging/pruning, CPU only
        work = r["prep_s"] if hooks is None else [p + h for p, h in zip(r["prep_s"], hooks)]
        rows.append({
            "reducer": name,
            "reducer_options": r["options"],
            "mode": mode,
            "batch_size": batch,
            "attention": raw["_backend"],
            "attention_requested": requested,
            "tokens_per_clip": {
                "first": counts[0].float().mean().item(),
                "last": counts[-1].float().mean().item(),
                "grid": int(base["layer_tokens"][0, 0]),
            },
            "gflops_per_clip": sum(per_clip) / len(per_clip) / 1e9,
            "clips_per_s": batch / step_median,
            "tokens_per_s": int(counts[0].sum()) / step_median,
            "ideal_speedup": ideal,
            "speedup": speedup.median,
            "speedup_spread": speedup.to_dict(),
            "efficiency": speedup.median / ideal,
            "efficiency_spread": speedup.scaled(1 / ideal).to_dict(),
            "tokenizer_share": paired(work, base["step_s"]).median,
            "tokenizer_share_of_step": paired(work, r["step_s"]).median,
            "in_model_share": None if hooks is None else paired(hooks, base["step_s"]).median,
            "loader_share": paired(r["loader_s"], r["step_s"]).median if any(r["loader_s"]) else None,
            "peak_mem_mb": r["peak_mem_mb"],
            "memory_measure": r.get("memory_measure"),
            "step_ms": spread([1000 * s for s in r["step_s"]]).to_dict(),
            "prep_ms": spread([1000 * s for s in r["prep_s"]]).to_dict(),
            "compile_s": r["compile_s"],
        })
    return rows


def run_bench(
    model: torch.nn.Module, clips: ClipSet, config: BenchConfig, *, size: int | None = None,
    log: Callable[[str], None] = lambda line: None,
) -> list[dict]:
    """Time ``model`` under every reducer of ``config`` on batches filled from ``clips``.

    Loops over attention backends, batch sizes and modes; within one group every
    repeat runs every reducer once, in a fresh random order, so speedups are paired
    per repeat against ``none``. Returns one row per (backend, batch, mode,
    reducer) with the fields of ``rlt bench --json`` ``results``.
    """
    device = torch.device(config.device)
    model = model.to(device)
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    was_training = model.training
    rows: list[dict] = []
    try:
        for requested in config.attentions:
            set_backend(model, requested)
            call = model
            if config.compile:
                start = time.perf_counter()
                call = torch.compile(model, dynamic=True)  # token counts differ per reducer: one dynamic graph
                log(f"torch.compile set up in {time.perf_counter() - start:.1f} s (compiles on first steps)")
            for batch in config.batch_sizes:
                frames = clips.batch(batch).to(device)  # (B, T, S, S, 3) uint8
                options = batch_options(model, frames, config)  # matched to RLT on this very batch
                loader = (lambda b=batch: decode_batch(clips, b, size or frames.shape[2])) if config.with_loader \
                    else None
                for mode in config.modes:
                    log(f"  {mode}, batch {batch}, attention {requested}")
                    raw = _group(model, call, frames, config, mode, loader, log, options)
                    rows.extend(_results(model, raw, mode, batch, requested))
                    model.load_state_dict(state)  # training steps moved the weights; start each group alike
    finally:
        model.train(was_training)
    return rows
