"""Charts as SVG text, drawn on the server with matplotlib: pages and reports embed them, and they
need nothing from the network. Glyphs are drawn as paths, so a reader needs no CJK font; the
server draws with the first CJK font it has (Debian's fonts-noto-cjk)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")  # no display: files only
import matplotlib.pyplot as plt
from matplotlib import font_manager

CJK = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "WenQuanYi Micro Hei")
COLOURS = ("#b3261e", "#c98f00", "#1f3a5f", "#2e7d32", "#6b7280", "#7b1fa2")


def _fonts() -> list[str]:
    have = {f.name for f in font_manager.fontManager.ttflist}
    return [name for name in CJK if name in have] + ["DejaVu Sans"]


def lines(
    series: Mapping[str, Sequence[tuple[int, float | None]]],
    *,
    title: str = "",
    y_label: str = "",
    guides: Mapping[str, float] | None = None,
    size: tuple[float, float] = (6.0, 2.6),
) -> str:
    """One line per series over the periods (None: no point), with dashed horizontal guides
    (a standard, a target); the SVG's text."""
    plt.rcParams["font.family"] = _fonts()
    plt.rcParams["svg.fonttype"] = "path"
    figure, axes = plt.subplots(figsize=size)
    try:
        for n, (name, points) in enumerate(series.items()):
            xs = [p for p, v in points if v is not None]
            ys = [v for _, v in points if v is not None]
            axes.plot(xs, ys, marker="o", label=name, color=COLOURS[n % len(COLOURS)])
        for n, (name, value) in enumerate((guides or {}).items()):
            axes.axhline(
                value, linestyle="--", linewidth=1, color=COLOURS[(n + 2) % len(COLOURS)], label=name
            )
        periods = sorted({p for points in series.values() for p, _ in points})
        if periods:
            axes.set_xticks(periods, [str(p) for p in periods])
        axes.set_title(title, fontsize=10)
        axes.set_ylabel(y_label, fontsize=8)
        axes.grid(alpha=0.3)
        if series or guides:
            axes.legend(fontsize=7, loc="best")
        figure.tight_layout()
        out = io.StringIO()
        figure.savefig(out, format="svg")
        return out.getvalue()
    finally:
        plt.close(figure)
