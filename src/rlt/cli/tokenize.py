"""``rlt tokenize``: RLT token counts for a synthetic or saved clip tensor, without a video decoder."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "tokenize",
        help="tokenize a clip tensor saved with torch.save, or a built-in synthetic clip",
        description="Run rlt.tokenize on a (B, C, T, H, W) normalised clip saved with torch.save "
        "(or on a synthetic clip with a static background and a moving square) and print token counts.",
    )
    p.add_argument("clip", nargs="?", help="path to a torch.save'd (B, C, T, H, W) float tensor; default: synthetic")
    p.add_argument("--tau", type=float, default=0.1, help="static threshold in normalised units (default 0.1)")
    p.add_argument("--tubelet-size", type=int, default=2)
    p.add_argument("--patch-size", type=int, default=16)
    p.add_argument("--mode", choices=("previous", "anchor"), default="previous")
    p.add_argument("--norm", choices=("l1", "l2"), default="l1")
    p.add_argument("--json", metavar="PATH", help="also write the counts as JSON")
    p.set_defaults(func=run)


def synthetic_clip(frames: int = 16, size: int = 224) -> torch.Tensor:
    """A normalised (1, 3, T, S, S) clip: flat grey background, a bright 32x32 square moving right."""
    import torch

    from rlt.ops import normalize

    pixels = torch.full((1, frames, size, size, 3), 96, dtype=torch.uint8)
    for t in range(frames):
        x0 = (8 * t) % (size - 32)
        pixels[0, t, 96:128, x0 : x0 + 32] = 230
    return normalize(pixels)


def run(args: argparse.Namespace) -> int:
    import torch

    import rlt

    if args.clip:
        video = torch.load(args.clip, map_location="cpu", weights_only=True)
    else:
        video = synthetic_clip()
    packed = rlt.tokenize(
        video, tau=args.tau, tubelet_size=args.tubelet_size, patch_size=args.patch_size, mode=args.mode, norm=args.norm
    )
    total = packed.grid.numel * packed.batch_size
    result = {
        "source": args.clip or "synthetic",
        "shape": list(video.shape),
        "tau": args.tau,
        "tokens_total": total,
        "tokens_kept": packed.num_tokens,
        "kept_fraction": packed.num_tokens / total,
        "seqlens": packed.seqlens.tolist(),
    }
    print(
        f"{result['source']}: kept {packed.num_tokens} of {total} tokens "
        f"({100 * result['kept_fraction']:.1f}%) at tau={args.tau}"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return 0
