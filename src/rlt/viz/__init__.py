"""Pictures of what RLT keeps and drops, and the tau sweep plot.

Everything takes the plan (``keep (T', H', W')``) computed once by
:func:`rlt.ops.static_keep`; nothing here decides which tokens to drop.
PIL (and matplotlib for plots) come with the ``viz`` extra (``pip install -e ".[viz]"`` in the checkout).
"""

from .figure import PanelLayout, compose
from .overlay import grey_dropped, patch_borders, pixel_keep, render_rlt, tint_by_length, washed_grey
from .palette import legend_items, length_colours
from .picture import COLOR_BY, animation, rlt_frames, still_picture
from .sweep_plot import SweepSeries, plot_sweep
from .writers import picture_kind, save_gif, save_mp4, save_picture, save_png

__all__ = [
    "PanelLayout", "compose", "grey_dropped", "patch_borders", "pixel_keep", "render_rlt", "tint_by_length",
    "washed_grey", "legend_items", "length_colours", "COLOR_BY", "animation", "rlt_frames", "still_picture",
    "SweepSeries", "plot_sweep",
    "picture_kind", "save_gif", "save_mp4", "save_picture", "save_png",
]
