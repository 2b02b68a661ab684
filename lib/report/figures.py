"""The results chapter's figures, each a function of the runs' results returning a
matplotlib Figure: mAP against a cost with the Pareto front, per-layer sparsity,
CS sparsity across the search and training curves (the grid of detections:
``detections_figure``). They only draw: whatever needs computing (means) arrives computed.

Every figure is at most a page wide (``PAGE_WIDTH``) so that the book shows it at its
own size, and every mAP axis starts at 0 and spans at least 0.1 (``figure_axes.map_axis``)."""
from __future__ import annotations

from itertools import product

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from ..methods import METHODS, templates_by_page
from ..result import RunResult
from ..study.rows import ORDER, ROW, ROWS
from .figure_axes import FONT, PAGE_WIDTH, label_points, log_cost_axis, map_axis, map_top, row_label, run_label
from .results import pareto_front, row_means

SMALL_FONT = 8    # legends inside the small multiples' panels
OTHER = "other"  # the chapter and family of a row the table no longer holds (old results still draw)


def families_in_book_order() -> list[str]:
    """The methods' compression families in the order the book presents them: by the
    page that summarises them, then by template."""
    by_template = {method.template: method.family for method in METHODS.values()}
    return list(dict.fromkeys(by_template[t] for templates in templates_by_page().values() for t in templates))


FAMILY_COLOURS = dict(zip([*families_in_book_order(), OTHER], plt.cm.tab10.colors))
MODEL_MARKERS = dict(zip(dict.fromkeys(row.model for row in ROWS), "os^DvP*h"))
CURVES_HEIGHT, LEGEND_LINE = 2.4, 0.17  # inches: a training-curves panel, and each line of its legend


def _in_table_order(results) -> list[RunResult]:
    """Results in the row table's order (a row it no longer holds last), for legends in the tables' order."""
    return sorted(results, key=lambda r: ORDER.get(r.row, len(ORDER)))


def _chapter(row_id: str) -> str:
    return ROW[row_id].chapter if row_id in ROW else OTHER


def _family(row_id: str) -> str:
    return ROW[row_id].family if row_id in ROW else OTHER


def _marker(model: str) -> str:
    return MODEL_MARKERS.get(model, "X")  # "X": a model the row table no longer names


# --- legends ----------------------------------------------------------------------

def _panel_legend_labels(runs: list[RunResult]) -> tuple[str | None, list[str]]:
    """A panel's legend title and one entry per run: runs of one model have it as the
    title and their training as entries; otherwise each entry is the run's full label."""
    models = {r.model for r in runs}
    if len(models) == 1:
        return models.pop(), [r.training for r in runs]
    return None, [run_label(r) for r in runs]


# --- accuracy against cost ------------------------------------------------------------

def map_vs_cost(runs: pd.DataFrame, cost: str = "macs") -> plt.Figure:
    """mAP@0.5 (mean over seeds) against ``cost`` on a log axis, one panel per dataset:
    colour by compression family, marker by model, the Pareto front (no other row
    cheaper and better) drawn through and its rows labelled; each panel has its own
    legends, of the families and models it shows."""
    datasets = list(dict.fromkeys(runs["dataset"]))
    fig, axes = plt.subplots(len(datasets), 1, figsize=(PAGE_WIDTH, 4.6 * len(datasets)), squeeze=False)
    fronts = []
    for ax, dataset in zip(axes[:, 0], datasets):
        means = row_means(runs, dataset, [cost, "map50"]).reset_index()
        front = means[pareto_front(means[cost].to_numpy(), means["map50"].to_numpy())].sort_values(cost)
        _cost_panel(ax, means, front, cost)
        ax.set_title(dataset)
        fronts.append(front)
    fig.tight_layout()
    for ax, front in zip(axes[:, 0], fronts):  # once the layout is final: the labels avoid each other on the page
        label_points(ax, front[cost], front["map50"], [row_label(row["model"], row["training"])
                                                       for _, row in front.iterrows()])
    return fig


def _cost_panel(ax, means: pd.DataFrame, front: pd.DataFrame, cost: str) -> None:
    """One dataset's rows as points, its Pareto front as a dashed line, its axes and legends."""
    ax.set_xscale("log")
    families = [_family(row) for row in means["row"]]
    for (_, row), family in zip(means.iterrows(), families):
        ax.scatter(row[cost], row["map50"], s=50, color=FAMILY_COLOURS[family],
                   marker=_marker(row["model"]), edgecolors="black", linewidths=0.5, zorder=3)
    ax.plot(front[cost], front["map50"], "k--", lw=1, label="Pareto front", zorder=2)
    log_cost_axis(ax, cost)
    map_axis(ax, means["map50"], "test mAP@0.5")
    ax.grid(alpha=0.3)
    _point_legends(ax, [f for f in FAMILY_COLOURS if f in families], list(dict.fromkeys(means["model"])))


def _point_legends(ax, families: list[str], models: list[str]) -> None:
    """Two compact legends right of the panel: colours (families), then markers (models)
    with the front's line."""
    colours = [Line2D([], [], ls="", marker="o", color=FAMILY_COLOURS[f], mec="black", mew=0.5, label=f)
               for f in families]
    markers = [Line2D([], [], ls="", marker=_marker(m), color="0.6", mec="black", mew=0.5, label=m)
               for m in models]
    style = {"fontsize": FONT, "title_fontsize": FONT, "alignment": "left", "borderaxespad": 0}
    first = ax.legend(handles=colours, title="compression", loc="upper left", bbox_to_anchor=(1.03, 1), **style)
    ax.add_artist(first)  # kept: the next legend call replaces the axes' legend
    first.set_clip_on(False)  # add_artist clips to the axes: the layout and the saved figure would cut it
    ax.legend(handles=[*markers, Line2D([], [], color="black", ls="--", lw=1, label="Pareto front")], title="model",
              loc="lower left", bbox_to_anchor=(1.03, 0), **style)


# --- pruning --------------------------------------------------------------------------

def oneshot_figure(curves: pd.DataFrame, dense: RunResult, trained: list[RunResult]) -> plt.Figure:
    """One dataset's one-shot curves (``lib.report.oneshot``): validation mAP@0.5 against
    the share of the dense model's parameters removed, a line per kind of pruning, with
    each ``trained`` pruning row (its best validation mAP@0.5 at its share removed)
    marked and labelled."""
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 4.2))
    for kind, line in curves.groupby("kind", sort=False):
        ax.plot(100 * line["removed"], line["val_map50"], marker=".", lw=1.2, label=f"one-shot: {kind}")
    xs = [100 * (1 - r.footprint.params / dense.footprint.params) for r in trained]
    ys = [r.metrics.val_map50 for r in trained]
    for r, x, y in zip(trained, xs, ys):
        ax.scatter(x, y, s=45, color=FAMILY_COLOURS[_family(r.row)], marker=_marker(r.model), edgecolors="black",
                   linewidths=0.5, zorder=3)
    ax.set_xlabel("parameters removed from the trained dense YOLOv3 (%)")
    map_axis(ax, [*curves["val_map50"], *ys], "validation mAP@0.5")
    ax.set_xlim(-2, 100)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=SMALL_FONT, loc="lower left", title="no retraining", title_fontsize=SMALL_FONT)
    ax.set_title(f"{dense.dataset}: pruned at once, and the rows that trained after pruning (points)")
    fig.tight_layout()
    label_points(ax, xs, ys, [r.training for r in trained])
    return fig


def layer_sparsity(results: list[RunResult]) -> plt.Figure:
    """Fraction of each prunable layer's weights removed, in network order, for every
    pruned run given (``results.pruned``), one panel per dataset; a training has
    the same colour in every panel."""
    datasets = sorted({r.dataset for r in results})  # as the results tables
    colours = dict(zip(dict.fromkeys(r.training for r in results), plt.cm.tab10.colors))
    fig, axes = plt.subplots(len(datasets), 1, figsize=(PAGE_WIDTH, 3 * len(datasets)), squeeze=False)
    for ax, dataset in zip(axes[:, 0], datasets):
        runs = _in_table_order(r for r in results if r.dataset == dataset)
        title, labels = _panel_legend_labels(runs)
        for r, label in zip(runs, labels):
            ax.plot([layer["sparsity"] for layer in r.layers], marker=".", lw=1, color=colours[r.training],
                    label=label)
        ax.set(xlabel="prunable layer (network order)", ylabel="sparsity", ylim=(-0.02, 1.02), title=dataset)
        ax.legend(title=title, fontsize=SMALL_FONT, title_fontsize=SMALL_FONT, loc="upper left",
                  bbox_to_anchor=(1.02, 1), borderaxespad=0)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def cs_search(results: list[RunResult]) -> plt.Figure:
    """CS: sparsity 1[s <= 0] of the scores after each epoch of the search rounds."""
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 3.6))
    for r in results:
        steps = r.extras["search"]
        ax.plot(range(1, len(steps) + 1), [s["sparsity"] for s in steps], marker=".", label=_training_label(r))
    ax.set(xlabel="search epoch (all rounds in order)", ylabel="sparsity of the mask 1[s > 0]")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=FONT)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def _training_label(result: RunResult) -> str:
    return f"{result.training} ({result.dataset})"


# --- training -------------------------------------------------------------------------

def training_curves(results: list[RunResult]) -> plt.Figure:
    """Validation mAP@0.5 after each epoch of every run's final training, one panel per
    chapter (rows) and dataset (columns), all on one mAP scale, each headed by its own
    legend; converted rows (int8) trained no epochs of their own and are left out."""
    trained = _in_table_order(r for r in results if r.history)
    chapters = sorted({_chapter(r.row) for r in trained})  # the book's order
    datasets = sorted({r.dataset for r in trained})        # as the results tables
    panels = {(chapter, dataset): [r for r in trained if _chapter(r.row) == chapter and r.dataset == dataset]
              for chapter, dataset in product(chapters, datasets)}
    # each row as tall as its panel plus its longest legend: the legends sit above the panels
    height = sum(CURVES_HEIGHT + LEGEND_LINE * (3 + max(len(panels[chapter, d]) for d in datasets))
                 for chapter in chapters)
    # one column (a run page's figure): a small panel; two: half a page each
    width = PAGE_WIDTH if len(datasets) > 1 else 0.6 * PAGE_WIDTH
    fig, axes = plt.subplots(len(chapters), len(datasets), figsize=(width, height), squeeze=False, layout="constrained")
    top = map_top(h["map50"] for r in trained for h in r.history)
    colours = {}  # a row's colour, the same in both datasets' panels of its chapter
    for chapter in chapters:
        colours.update(zip(dict.fromkeys(r.row for r in trained if _chapter(r.row) == chapter),
                           plt.cm.tab10.colors))
    for ax, (chapter, dataset) in zip(axes.flat, panels):
        if panels[chapter, dataset]:  # a chapter's runs are of one method: the family of its first
            _curves_panel(ax, panels[chapter, dataset], colours, top,
                          f"{_family(panels[chapter, dataset][0].row)} ({chapter})\n{dataset}")
        else:  # a chapter run on one dataset only: no empty panel
            ax.remove()
    return fig


def _curves_panel(ax, runs: list[RunResult], colours: dict, top: float, heading: str) -> None:
    """The validation curves of a panel's runs (``colours``: by row), up to ``top``,
    under a legend headed by ``heading`` (and the runs' model when they share one).
    Above the panel, the legend hides no curve."""
    model, labels = _panel_legend_labels(runs)
    for r, label in zip(runs, labels):
        ax.plot([h["epoch"] for h in r.history], [h["map50"] for h in r.history], lw=1.2,
                color=colours[r.row], label=label)
    ax.set_ylim(0, top)
    ax.set(xlabel="epoch", ylabel="validation mAP@0.5")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(title=f"{heading}, {model}" if model else heading, fontsize=SMALL_FONT, title_fontsize=FONT,
              loc="lower left", bbox_to_anchor=(0, 1), borderaxespad=0.3, borderpad=0, frameon=False,
              alignment="left")
    ax.grid(alpha=0.3)


def gradual_schedule(results: list[RunResult]) -> plt.Figure:
    """Pruning during training: the masks' sparsity and validation mAP@0.5 after each epoch."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(PAGE_WIDTH, 3.6))
    for r in results:
        epochs = [h["epoch"] for h in r.history]
        left.plot(epochs, [h["gradual_sparsity"] for h in r.history], marker=".", label=_training_label(r))
        right.plot(epochs, [h["map50"] for h in r.history], marker=".", label=_training_label(r))
    left.set(ylabel="sparsity of the masks", ylim=(-0.02, 1.02))
    map_axis(right, [h["map50"] for r in results for h in r.history], "validation mAP@0.5")
    for ax in (left, right):
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=SMALL_FONT)
    fig.tight_layout()
    return fig
