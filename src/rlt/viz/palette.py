"""Colours for run lengths, and the legend strip that explains them."""

from __future__ import annotations

import numpy as np
import torch

from .overlay import GREY_LEVEL

# Five stops of matplotlib's viridis (perceptually uniform, colour-blind safe),
# interpolated here so pictures need no matplotlib.
_VIRIDIS = np.array(
    [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], dtype=np.float64
)


def length_colours(max_length: int) -> torch.Tensor:
    """``(max_length + 1, 3)`` float 0..255: row ``L`` is the colour of run length ``L`` (row 0 unused).

    Length 1 (a token that changes at once) is dark purple, the longest run yellow.
    """
    if max_length < 1:
        raise ValueError(f"max_length must be >= 1, got {max_length}")
    pos = np.linspace(0.0, 1.0, max_length) * (len(_VIRIDIS) - 1)
    lo = np.floor(pos).astype(int).clip(0, len(_VIRIDIS) - 2)
    frac = (pos - lo)[:, None]
    rows = _VIRIDIS[lo] * (1 - frac) + _VIRIDIS[lo + 1] * frac
    return torch.from_numpy(np.vstack([np.zeros((1, 3)), rows])).float()


def legend_items(max_length: int) -> list[tuple[str, tuple[int, int, int]]]:
    """Labels and swatch colours: one per run length, then the grey of dropped tokens."""
    colours = length_colours(max_length).round().to(torch.uint8).tolist()
    items = [(str(n), tuple(colours[n])) for n in range(1, max_length + 1)]
    grey = int(GREY_LEVEL)
    return items + [("dropped", (grey, grey, grey))]
