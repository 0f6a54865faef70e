"""The tau sweep plot: tokens kept against tau, and PSNR against tokens kept (RLT's rate-distortion curve)."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

from rlt.optional import import_optional

PAPER_TAU = 0.1  # the paper's default threshold, marked on both panels


@dataclass(frozen=True)
class SweepSeries:
    """One curve: a sampling setting (e.g. "interval 4") measured at several taus."""

    label: str  # legend entry
    taus: Sequence[float]  # (K,) thresholds, ascending
    kept_fractions: Sequence[float]  # (K,) tokens kept / tokens total at each tau
    psnrs: Sequence[float | None]  # (K,) mean clip PSNR in dB; None where every clip was exact


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def plot_sweep(series: Sequence[SweepSeries], path: str | os.PathLike, *, title: str = "") -> None:
    """Draw the two-panel sweep figure to ``path`` (any suffix matplotlib saves, e.g. .png, .svg).

    Left: percent of tokens kept vs tau. Right: PSNR vs percent kept, each
    point labelled with its tau. ``tau = 0.1`` is marked on both.
    """
    if not series:
        raise ValueError("plot_sweep needs at least one series")
    import_optional("matplotlib", "viz", purpose="draw the sweep plot")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4), layout="constrained")
    FigureCanvasAgg(fig)
    ax_kept, ax_rd = fig.subplots(1, 2)
    for s in series:
        kept = [100 * k for k in s.kept_fractions]
        (line,) = ax_kept.plot(s.taus, kept, marker="o", label=s.label)
        colour = line.get_color()
        points = [(k, p, t) for k, p, t in zip(kept, s.psnrs, s.taus, strict=True) if _finite(p)]
        if points:
            ax_rd.plot([k for k, _, _ in points], [p for _, p, _ in points], marker="o", color=colour, label=s.label)
            for k, p, t in points:
                ax_rd.annotate(f"{t:g}", (k, p), textcoords="offset points", xytext=(4, 4), fontsize=8)
        for t, k, p in zip(s.taus, kept, s.psnrs, strict=True):
            if math.isclose(t, PAPER_TAU):
                ax_kept.plot([t], [k], marker="*", markersize=16, color=colour, zorder=3)
                if _finite(p):
                    ax_rd.plot([k], [p], marker="*", markersize=16, color=colour, zorder=3)
    ax_kept.axvline(PAPER_TAU, color="grey", linestyle="--", linewidth=1, label=f"paper default tau={PAPER_TAU:g}")
    ax_kept.set(xlabel="tau (ImageNet-normalised units)", ylabel="tokens kept (%)", ylim=(0, 105))
    ax_kept.set_title("tokens kept vs tau")
    ax_rd.set(xlabel="tokens kept (%)", ylabel="PSNR of RLT reconstruction (dB)")
    ax_rd.set_title("PSNR vs tokens kept (labels: tau; star: tau=0.1)")
    for ax in (ax_kept, ax_rd):
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.savefig(path, dpi=100)
