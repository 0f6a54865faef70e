"""Side-by-side pictures: original frames on the left, RLT frames on the right, with titles.

:class:`PanelLayout` says where every tile goes, so tests (and anyone cropping
the picture) can find the exact pixels of each frame.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rlt.optional import import_optional

BACKGROUND = (255, 255, 255)
TEXT = (20, 20, 20)


@dataclass(frozen=True)
class PanelLayout:
    """Two panels of ``tiles`` frames each, ``cols`` per row, titles above, optional legend below."""

    tile_h: int  # frame height in pixels
    tile_w: int  # frame width in pixels
    tiles: int  # frames per panel
    cols: int  # frames per row in each panel
    gap: int = 4  # pixels between frames
    panel_gap: int = 16  # pixels between the two panels
    margin: int = 8  # pixels around everything
    header: int = 22  # title band above the panels
    footer: int = 0  # legend band below the panels (0: none)
    min_width: int = 0  # widen the picture to at least this (e.g. to fit the legend); tiles stay left

    @property
    def rows(self) -> int:
        return math.ceil(self.tiles / self.cols)

    @property
    def panel_w(self) -> int:
        return self.cols * self.tile_w + (self.cols - 1) * self.gap

    @property
    def panel_h(self) -> int:
        return self.rows * self.tile_h + (self.rows - 1) * self.gap

    @property
    def size(self) -> tuple[int, int]:
        """``(height, width)`` of the whole picture."""
        h = self.margin * 2 + self.header + self.panel_h + self.footer
        w = self.margin * 2 + 2 * self.panel_w + self.panel_gap
        return h, max(w, self.min_width)

    def origin(self, side: int, k: int) -> tuple[int, int]:
        """Top-left ``(y, x)`` of frame ``k`` on ``side`` 0 (original) or 1 (RLT)."""
        if side not in (0, 1) or not 0 <= k < self.tiles:
            raise ValueError(f"no tile side={side}, k={k} in a layout of {self.tiles} tiles per side")
        row, col = divmod(k, self.cols)
        y = self.margin + self.header + row * (self.tile_h + self.gap)
        x = self.margin + side * (self.panel_w + self.panel_gap) + col * (self.tile_w + self.gap)
        return y, x


def _font(size: int):
    font_mod = import_optional("PIL.ImageFont", "viz", purpose="draw pictures")
    return font_mod.load_default(size=size)


def compose(
    left: np.ndarray,
    right: np.ndarray,
    *,
    titles: tuple[str, str],
    cols: int = 4,
    legend: Sequence[tuple[str, tuple[int, int, int]]] | None = None,
    legend_title: str = "",
    right_labels: Sequence[str | None] | None = None,
) -> tuple[np.ndarray, PanelLayout]:
    """Lay out ``left`` and ``right`` frames ``(K, H, W, 3)`` uint8 as two panels of ``cols`` columns.

    Returns the picture ``(height, width, 3)`` uint8 and its :class:`PanelLayout`.
    ``legend`` is a list of ``(label, rgb)`` swatches drawn below the panels;
    ``right_labels[k]``, when not ``None``, is written in a box on right tile ``k``
    (e.g. "padding" on a tubelet that is not real content).
    """
    if left.shape != right.shape or left.ndim != 4 or left.shape[-1] != 3:
        raise ValueError(f"left and right must both be (K, H, W, 3), got {left.shape} and {right.shape}")
    image_mod = import_optional("PIL.Image", "viz", purpose="draw pictures")
    draw_mod = import_optional("PIL.ImageDraw", "viz", purpose="draw pictures")
    k, h, w, _ = left.shape
    font = _font(14)
    legend_w = _legend_width(draw_mod.Draw(image_mod.new("RGB", (1, 1))), legend, legend_title, font) if legend else 0
    layout = PanelLayout(h, w, k, min(cols, k), footer=26 if legend else 0, min_width=legend_w + 2 * PanelLayout.margin)
    height, width = layout.size
    canvas = np.empty((height, width, 3), dtype=np.uint8)
    canvas[:] = BACKGROUND
    for side, frames in enumerate((left, right)):
        for i in range(k):
            y, x = layout.origin(side, i)
            canvas[y : y + h, x : x + w] = frames[i]
    picture = image_mod.fromarray(canvas)
    draw = draw_mod.Draw(picture)
    for side, title in enumerate(titles):
        _, x = layout.origin(side, 0)
        draw.text((x, layout.margin + 2), title, fill=TEXT, font=font)
    if legend:
        _draw_legend(draw, legend, legend_title, layout, font)
    for k, label in enumerate(right_labels or ()):
        if label:
            y, x = layout.origin(1, k)
            width = int(draw.textlength(label, font=font))
            draw.rectangle((x, y, x + width + 6, y + 17), fill=BACKGROUND, outline=TEXT)
            draw.text((x + 3, y + 1), label, fill=TEXT, font=font)
    return np.asarray(picture).copy(), layout


def _legend_width(draw, legend, title: str, font) -> int:
    """Pixels :func:`_draw_legend` needs, so the picture can be made wide enough."""
    width = int(draw.textlength(title, font=font)) + 8 if title else 0
    return width + sum(18 + int(draw.textlength(label, font=font)) + 10 for label, _ in legend)


def _draw_legend(draw, legend, title: str, layout: PanelLayout, font) -> None:
    x = layout.margin
    y = layout.margin + layout.header + layout.panel_h + 6
    if title:
        draw.text((x, y), title, fill=TEXT, font=font)
        x += int(draw.textlength(title, font=font)) + 8
    for label, rgb in legend:
        draw.rectangle((x, y + 1, x + 14, y + 15), fill=tuple(rgb), outline=TEXT)
        x += 18
        draw.text((x, y), label, fill=TEXT, font=font)
        x += int(draw.textlength(label, font=font)) + 10
