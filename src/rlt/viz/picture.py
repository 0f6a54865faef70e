"""The ``rlt viz`` picture of one clip: original frames beside the RLT view of the same plan."""

from __future__ import annotations

import numpy as np
import torch

from rlt.ops import run_lengths_grid

from .figure import PanelLayout, compose
from .overlay import render_rlt
from .palette import legend_items, length_colours

COLOR_BY = ("none", "length")


def rlt_frames(
    pixels: torch.Tensor, keep: torch.Tensor, *, tubelet_size: int, patch_size: int, color_by: str = "none"
) -> torch.Tensor:
    """Paint the plan ``keep (T', H', W')`` onto ``pixels (T, H, W, 3)`` uint8 -> ``(T, H, W, 3)`` uint8.

    ``color_by="length"`` tints kept tokens by run length (see :mod:`rlt.viz.palette`).
    """
    if color_by not in COLOR_BY:
        raise ValueError(f"unknown color_by {color_by!r}; expected one of {', '.join(COLOR_BY)}")
    lengths = colours = None
    if color_by == "length":
        lengths = run_lengths_grid(keep[None])[0]  # (T', H', W') long
        colours = length_colours(keep.shape[0])
    return render_rlt(
        pixels, keep, tubelet_size=tubelet_size, patch_size=patch_size, lengths=lengths, colours=colours
    )


def _summary(keep: torch.Tensor, tau: float) -> str:
    kept, total = int(keep.sum()), keep.numel()
    return f"RLT, tau={tau:g}: {kept}/{total} tokens kept ({100 * kept / total:.0f}%)"


def _legend(keep: torch.Tensor, color_by: str) -> dict:
    if color_by != "length":
        return {}
    return {"legend": legend_items(keep.shape[0]), "legend_title": "run length:"}


def still_picture(
    pixels: torch.Tensor,
    keep: torch.Tensor,
    *,
    tubelet_size: int,
    patch_size: int,
    tau: float,
    color_by: str = "none",
    cols: int = 4,
) -> tuple[np.ndarray, PanelLayout]:
    """First frame of every tubelet, original on the left, RLT on the right.

    ``pixels (T, H, W, 3)`` uint8, ``keep (T', H', W')`` bool -> picture ``(height, width, 3)``
    uint8 and the layout that places tile ``k`` (tubelet ``k``) of each side.
    """
    painted = rlt_frames(pixels, keep, tubelet_size=tubelet_size, patch_size=patch_size, color_by=color_by)
    n = keep.shape[0]
    titles = (f"original: first frame of each of the {n} tubelets", _summary(keep, tau) + ", grey = dropped")
    return compose(
        pixels[::tubelet_size].numpy(),
        painted[::tubelet_size].numpy(),
        titles=titles,
        cols=cols,
        **_legend(keep, color_by),
    )


def animation(
    pixels: torch.Tensor, keep: torch.Tensor, *, tubelet_size: int, patch_size: int, tau: float, color_by: str = "none"
) -> np.ndarray:
    """Every frame, original beside RLT: ``(T, H, W, 3)`` -> ``(T, height, width, 3)`` uint8."""
    painted = rlt_frames(pixels, keep, tubelet_size=tubelet_size, patch_size=patch_size, color_by=color_by).numpy()
    frames = pixels.numpy()
    summary = _summary(keep, tau).replace("tokens ", "")
    out = []
    for t in range(frames.shape[0]):
        titles = (f"original, frame {t + 1}/{frames.shape[0]}", summary)
        image, _ = compose(frames[t : t + 1], painted[t : t + 1], titles=titles, cols=1, **_legend(keep, color_by))
        out.append(image)
    return np.stack(out)
