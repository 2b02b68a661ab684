"""Axis and label helpers of the book's figures (``lib.report.figures``,
``detections_figure``, ``explainers``): the page's width, mAP axes that start at 0 and
span at least 0.1, log cost axes with readable ticks, point labels that do not overlap,
and a run's name in legends and titles."""
from __future__ import annotations

import math

from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

FONT = 9          # legends, point labels, class labels
# The book's text column is about 800 px and the notebooks' inline backend draws at
# 100 dpi: a figure up to 8 in wide is shown at its own size, so a 9 pt font stays 9 pt
# (a wider figure is shrunk to the column, its fonts with it).
PAGE_WIDTH = 8.0
COSTS = {"macs": "MACs (paper rule, one image)", "storage_mib": "storage (MiB, as saved)", "params": "parameters",
         "latency_ms": "CPU latency (ms, 1 thread, batch 1, the study's input size)",
         "latency_416_ms": "CPU latency (ms, 1 thread, batch 1, 416 x 416)"}
COUNTS = ("macs", "params")  # ticks as 2M, 5M; the other costs (ms, MiB) as plain numbers


def map_top(values) -> float:
    """The top of an mAP axis: 10% above the highest value, at least 0.1 (a flat curve
    at 0.009 stays flat rather than filling the panel with its noise), at most 1.05."""
    return min(1.05, max(0.1, 1.1 * max(values, default=0.0)))


def map_axis(ax, values, label: str) -> None:
    ax.set_ylim(0, map_top(values))
    ax.set_ylabel(label)


def compact(value: float, _=None) -> str:
    """A count as a tick label: 500k, 2M, 1.5G."""
    for factor, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= factor:
            return f"{value / factor:g}{suffix}"
    return f"{value:g}"


def plain(value: float, _=None) -> str:
    return f"{value:g}"


def log_cost_axis(ax, cost: str) -> None:
    """A log x axis with labelled ticks at 1, 2 and 5 of each decade. Alone, matplotlib
    labels only the decades, which over the short range of a dataset's rows is a single
    tick; the range is widened to a decade at least, where 1-2-5 gives three ticks or more."""
    low, high = ax.get_xlim()
    if high / low < 10:
        centre = math.sqrt(low * high)
        ax.set_xlim(centre / math.sqrt(10), centre * math.sqrt(10))
    ax.xaxis.set_major_locator(LogLocator(subs=(1, 2, 5)))
    ax.xaxis.set_major_formatter(FuncFormatter(compact if cost in COUNTS else plain))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(COSTS[cost])


def label_points(ax, xs, ys, texts: list[str]) -> None:
    """Each text beside its point, right of it (left near the panel's right edge), moved
    down, with a thin line to its point, until it overlaps no label placed before it
    (placed from the top down)."""
    renderer = ax.figure.canvas.get_renderer()
    placed = []
    for x, y, text in sorted(zip(xs, ys, texts), key=lambda point: -point[1]):
        note = ax.annotate(text, (x, y), xytext=(6, 0), textcoords="offset points", fontsize=FONT, va="center",
                           arrowprops={"arrowstyle": "-", "lw": 0.5, "color": "0.4"}, zorder=4,
                           bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.7})
        if text_extent(note, renderer).x1 > ax.bbox.x1:
            note.xyann = (-6, 0)
            note.set_horizontalalignment("right")
        box = text_extent(note, renderer)
        while above := [b for b in placed if b.overlaps(box)]:
            # the offset is in points, the extents in the renderer's pixels
            down = (box.y1 - min(b.y0 for b in above) + 1) * 72 / ax.figure.dpi
            note.xyann = (note.xyann[0], note.xyann[1] - down)
            box = text_extent(note, renderer)
        placed.append(box)


def text_extent(note, renderer):
    """An annotation's text alone, in pixels (its own extent includes the line to its point)."""
    note.update_positions(renderer)
    return Text.get_window_extent(note, renderer)


def row_label(model: str, training: str) -> str:
    """A row as the legends name it: its model, and its training unless the default."""
    return model if training == "Default" else f"{model}, {training}"


def run_label(result) -> str:
    """A run's row (``lib.result.RunResult``) as the legends name it (``row_label``)."""
    return row_label(result.model, result.training)
