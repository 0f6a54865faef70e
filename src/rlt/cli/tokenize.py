"""``rlt tokenize``: RLT token counts for a synthetic or saved clip tensor, without a video decoder."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from .errors import InputError
from .outputs import output_argument
from .sampling_args import RLT_OPTIONS, add_clip_arguments, tokenize_config

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
    add_clip_arguments(p, only=RLT_OPTIONS)
    output_argument(p, "--json", metavar="PATH", help="also write the counts as JSON")
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


def load_clip(path: str) -> torch.Tensor:
    """The ``(B, 3, T, H, W)`` float tensor saved at ``path``; :class:`InputError` saying what is wrong otherwise.

    A missing file raises ``FileNotFoundError`` (answered by ``main``).
    """
    import pickle

    import torch

    with open(path, "rb") as f:  # FileNotFoundError, IsADirectoryError, PermissionError name the path
        try:
            video = torch.load(f, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as err:  # a pickle, but of something weights_only refuses to load
            first = str(err).strip().splitlines()[0] if str(err).strip() else "cannot unpickle"
            raise InputError(f"{path} cannot be loaded as a tensor: {first}") from None
        except (RuntimeError, EOFError, ValueError, KeyError, AttributeError, TypeError, IndexError):
            # what torch.load raises on bytes it did not write (KeyError for text, EOFError when empty)
            raise InputError(f"{path} is not a file written by torch.save (empty, truncated or another format)") \
                from None
    if not isinstance(video, torch.Tensor):
        raise InputError(f"{path} holds a {type(video).__name__}, not a (B, C, T, H, W) tensor")
    shape = tuple(video.shape)
    if video.dim() != 5:
        raise InputError(f"{path} holds a {video.dim()}-D tensor of shape {shape}; expected (B, C, T, H, W)")
    if video.shape[1] != 3:
        layout = (f"; it looks channels-last (B, T, H, W, {shape[-1]})" if shape[-1] in (1, 3, 4) else "")
        raise InputError(f"{path} holds shape {shape} with {shape[1]} channels on axis 1{layout}; "
                         "expected 3 RGB channels as (B, 3, T, H, W): permute(0, 4, 1, 2, 3) a channels-last "
                         "clip and drop alpha")
    if not video.is_floating_point():
        raise InputError(f"{path} holds {video.dtype} values; rlt tokenize needs an ImageNet-normalised float clip: "
                         "save rlt.ops.normalize(frames) instead of the raw frames")
    return video


def run(args: argparse.Namespace) -> int:
    import rlt

    config = tokenize_config(args)
    video = load_clip(args.clip) if args.clip else synthetic_clip()
    packed = rlt.tokenize(video, tau=config.tau, tubelet_size=config.tubelet_size, patch_size=config.patch_size,
                          mode=config.mode, norm=config.norm)
    total = packed.grid.numel * packed.batch_size
    result = {
        "source": args.clip or "synthetic",
        "shape": list(video.shape),
        "tau": config.tau,
        "tokens_total": total,
        "tokens_kept": packed.num_tokens,
        "kept_fraction": packed.num_tokens / total,
        "seqlens": packed.seqlens.tolist(),
    }
    print(
        f"{result['source']}: kept {packed.num_tokens} of {total} tokens "
        f"({100 * result['kept_fraction']:.1f}%) at tau={config.tau:g}"
    )
    if args.json:
        try:
            with open(args.json, "w") as f:
                json.dump(result, f, indent=2)
        except OSError as err:  # a failed write names no file; say which
            raise OSError(err.errno, err.strerror, args.json) from None
    return 0
