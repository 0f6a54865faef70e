"""``rlt bench``: dense vs RLT forward time of one model on the same clips, next to the FLOPs ideal."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bench",
        help="time a model on every token vs on RLT's kept tokens, against the ideal speedup from FLOPs",
        description="Time one model on the same clips dense (every token) and with RLT (tokenize included), "
        "interleaved, and report tokens kept, the FLOPs ratio (ideal speedup), the measured speedup, "
        "efficiency = measured / ideal, and the tokenizer's cost as a fraction of the forward time. "
        "On CPU only the ratios are meaningful.",
    )
    p.add_argument("--model", default="vit-s", help="preset name (vit-s, vit-b, vit-l, vit-h, vit-g, vit-tiny-test)")
    p.add_argument("--checkpoint", metavar="PATH", help="HF VideoMAE folder/file or VideoMAE .pth; overrides --model")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--videos", nargs="+", metavar="PATH", help="video files; one clip from the start of each")
    src.add_argument("--synthetic", action="store_true",
                     help="synthetic clips: static background, moving square (the default)")
    p.add_argument("--num-frames", type=int, default=16, help="frames per clip (default 16)")
    p.add_argument("--interval", type=int, default=4, help="take every interval-th frame of a video (default 4)")
    p.add_argument("--size", type=int, default=224,
                   help="resize the short side to size, then centre crop size x size (default 224)")
    p.add_argument("--batch-size", type=int, help="clips per forward (default: one per video, or 2 synthetic); "
                   "video clips are cycled to fill it")
    p.add_argument("--tau", type=float, default=0.1, help="RLT threshold in normalised units (default 0.1)")
    p.add_argument("--repeats", type=int, default=3, help="timed forwards of each kind (default 3)")
    p.add_argument("--warmup", type=int, default=1, help="untimed forwards of each kind first (default 1)")
    p.add_argument("--threads", type=int, help="torch.set_num_threads (default: PyTorch's choice)")
    p.add_argument("--attention", default="auto", help="rlt.attention backend (default auto)")
    p.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda:0 (default cpu)")
    p.add_argument("--seed", type=int, default=0, help="seed for model init and synthetic clips (default 0)")
    p.add_argument("--json", metavar="PATH", help="write results as JSON; the resolved config goes to PATH.config.json")
    p.set_defaults(func=run)


def load_clip(path: str, num_frames: int, interval: int, size: int, *, start: int = 0) -> torch.Tensor:
    """One normalised clip ``(1, 3, num_frames, size, size)`` of a video.

    Frames ``start, start + interval, ...``; a video that is too short repeats its
    last frame. Short side resized to ``size`` (bilinear, antialiased, rounded
    back to 8 bits), centre-cropped. Raises ``rlt.data.VideoDecodeError``.
    """
    import torch
    import torch.nn.functional as F

    from rlt.data import probe, read_frames
    from rlt.ops import normalize

    info = probe(path)
    indices = [min(start + i * interval, info.num_frames - 1) for i in range(num_frames)]
    frames = read_frames(path, indices, info=info)  # (T, H, W, 3) uint8
    x = frames.permute(0, 3, 1, 2).float()  # (T, 3, H, W)
    h, w = x.shape[-2:]
    scale = size / min(h, w)
    new_h, new_w = max(size, round(h * scale)), max(size, round(w * scale))
    x = F.interpolate(x, size=(new_h, new_w), mode="bilinear", antialias=True, align_corners=False)
    top, left = (new_h - size) // 2, (new_w - size) // 2
    x = x[:, :, top : top + size, left : left + size].round().clamp(0, 255).to(torch.uint8)
    return normalize(x.permute(0, 2, 3, 1)[None])  # (1, 3, T, S, S)


def synthetic_clips(batch: int, num_frames: int, size: int, seed: int = 0) -> torch.Tensor:
    """Normalised ``(batch, 3, T, S, S)`` clips: a static smooth texture and a square moving at a per-clip speed."""
    import torch
    import torch.nn.functional as F

    from rlt.ops import normalize

    gen = torch.Generator().manual_seed(seed)
    coarse = torch.randint(40, 200, (batch, 3, 1, 8, 8), generator=gen).float()
    background = F.interpolate(coarse, size=(1, size, size), mode="trilinear", align_corners=False)
    pixels = background.expand(-1, -1, num_frames, -1, -1).clone()  # (B, 3, T, S, S)
    side = max(size // 7, 1)
    top = (size - side) // 2
    for b in range(batch):
        step = (b + 1) * max(size // 56, 1)
        for t in range(num_frames):
            left = (t * step) % max(size - side, 1)
            pixels[b, :, t, top : top + side, left : left + side] = 240.0
    return normalize(pixels.round().to(torch.uint8), channels_last=False)


def _print_table(result: dict, clips_desc: str) -> None:
    rows = [
        ("tokens kept", f"{result['tokens_kept']} / {result['tokens_total']} ({100 * result['kept_fraction']:.1f}%)"),
        ("FLOPs ratio (ideal speedup)", f"{result['ideal_speedup']:.2f}x"),
        ("measured speedup", f"{result['speedup']:.2f}x (paired per repeat: {result['speedup_paired']:.2f}x)"),
        ("efficiency (measured / ideal)", f"{100 * result['efficiency']:.0f}%"),
        ("tokenizer / RLT forward", f"{100 * result['tokenize_fraction']:.1f}%"),
        ("dense s/batch (median)", f"{result['dense_s']:.4f}"),
        ("RLT s/batch (median)", f"{result['rlt_s']:.4f} (tokenize {result['tokenize_s']:.4f})"),
    ]
    print(clips_desc)
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")


def run(args: argparse.Namespace) -> int:
    import dataclasses

    import torch

    from rlt.bench import compare_dense_rlt
    from rlt.data import VideoDecodeError
    from rlt.models import create_model, from_pretrained

    for name in ("num_frames", "interval", "size", "repeats", "batch_size"):
        value = getattr(args, name)
        if value is not None and value < 1:
            print(f"rlt bench: error: --{name.replace('_', '-')} must be >= 1, got {value}", file=sys.stderr)
            return 2
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    if args.checkpoint:
        model = from_pretrained(args.checkpoint, attention_backend=args.attention)
    else:
        model = create_model(
            args.model, num_frames=args.num_frames, img_size=args.size, attention_backend=args.attention
        )
    model = model.to(device).eval()

    failed, clips, sources = [], [], []
    if args.videos:
        for path in args.videos:
            try:
                clips.append(load_clip(path, args.num_frames, args.interval, args.size))
                sources.append(path)
            except VideoDecodeError as err:
                failed.append({"path": path, "error": str(err)})
                print(f"skipped {path}: {err}", file=sys.stderr)
        if not clips:
            print("no clip could be read; nothing to benchmark", file=sys.stderr)
            return 2
        batch = torch.cat(clips)
        if args.batch_size:
            batch = batch[torch.arange(args.batch_size) % batch.shape[0]]
    else:
        batch = synthetic_clips(args.batch_size or 2, args.num_frames, args.size, args.seed)
        sources = ["synthetic"]
    batch = batch.to(device)

    result = compare_dense_rlt(model, batch, tau=args.tau, repeats=args.repeats, warmup=args.warmup)
    b, _, t, h, w = batch.shape
    desc = f"{args.checkpoint or args.model} on {b} clip(s) of {t}x{h}x{w}, tau={args.tau}, " \
           f"{result['num_threads']} thread(s), {device}"
    _print_table(result, desc)

    config = {
        "command": "bench",
        "args": {k: v for k, v in vars(args).items() if k != "func"},
        "model": dataclasses.asdict(model.config),
        "clip_shape": list(batch.shape),
        "sources": sources,
        "torch": torch.__version__,
    }
    if args.json:
        out = Path(args.json)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"config": config, "result": result, "failed": failed}, indent=2))
        out.with_suffix(".config.json").write_text(json.dumps(config, indent=2))
        print(f"wrote {out} and {out.with_suffix('.config.json')}")
    return 1 if failed else 0
