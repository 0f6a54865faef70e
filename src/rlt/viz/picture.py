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


def _summary(keep: torch.Tensor, tau: float, labels: list[str | None] | None) -> str:
    """Kept tokens of real tubelets: tubelets with a label (padding, repeated frames) are not counted."""
    real = torch.tensor([not label for label in labels]) if labels else torch.ones(keep.shape[0], dtype=torch.bool)
    kept, total = int(keep[real].sum()), int(real.sum()) * keep[0].numel()
    skipped = f", {keep.shape[0] - int(real.sum())} labelled tubelets not counted" if labels and not real.all() else ""
    return f"RLT, tau={tau:g}: {kept}/{total} tokens kept ({100 * kept / total:.0f}%){skipped}"


def _check_labels(labels: list[str | None] | None, keep: torch.Tensor) -> None:
    if labels is not None and len(labels) != keep.shape[0]:
        raise ValueError(f"tubelet_labels needs one entry per tubelet ({keep.shape[0]}), got {len(labels)}")


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
    tubelet_labels: list[str | None] | None = None,
) -> tuple[np.ndarray, PanelLayout]:
    """First frame of every tubelet, original on the left, RLT on the right.

    ``pixels (T, H, W, 3)`` uint8, ``keep (T', H', W')`` bool -> picture ``(height, width, 3)``
    uint8 and the layout that places tile ``k`` (tubelet ``k``) of each side.
    ``tubelet_labels[k]`` (e.g. "padding") marks tubelet ``k`` as not real content:
    it is written on the RLT tile and the tubelet is left out of the counts in the title.
    """
    _check_labels(tubelet_labels, keep)
    painted = rlt_frames(pixels, keep, tubelet_size=tubelet_size, patch_size=patch_size, color_by=color_by)
    n = keep.shape[0]
    titles = (f"original: first frame of each of the {n} tubelets",
              _summary(keep, tau, tubelet_labels) + ", grey = dropped")
    return compose(
        pixels[::tubelet_size].numpy(),
        painted[::tubelet_size].numpy(),
        titles=titles,
        cols=cols,
        right_labels=tubelet_labels,
        **_legend(keep, color_by),
    )


def animation(
    pixels: torch.Tensor,
    keep: torch.Tensor,
    *,
    tubelet_size: int,
    patch_size: int,
    tau: float,
    color_by: str = "none",
    tubelet_labels: list[str | None] | None = None,
) -> np.ndarray:
    """Every frame, original beside RLT: ``(T, H, W, 3)`` -> ``(T, height, width, 3)`` uint8.

    ``tubelet_labels`` as in :func:`still_picture`: written on every frame of a labelled tubelet.
    """
    _check_labels(tubelet_labels, keep)
    painted = rlt_frames(pixels, keep, tubelet_size=tubelet_size, patch_size=patch_size, color_by=color_by).numpy()
    frames = pixels.numpy()
    summary = _summary(keep, tau, tubelet_labels).replace("tokens ", "")
    out = []
    for t in range(frames.shape[0]):
        titles = (f"original, frame {t + 1}/{frames.shape[0]}", summary)
        label = [tubelet_labels[t // tubelet_size]] if tubelet_labels else None
        image, _ = compose(frames[t : t + 1], painted[t : t + 1], titles=titles, cols=1, right_labels=label,
                           **_legend(keep, color_by))
        out.append(image)
    return np.stack(out)
