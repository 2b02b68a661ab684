import re
from dataclasses import replace

import matplotlib
import pytest
import torch

matplotlib.use("Agg")

from matplotlib.legend import Legend  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from lib.report import detections_figure, figures  # noqa: E402
from lib.report.results import runs_frame  # noqa: E402
from lib.result import RunResult  # noqa: E402
from lib.study.rows import ROWS  # noqa: E402
from tests.report.test_results import RESULTS, curve, result, scored  # noqa: E402


def legends(ax) -> list[list[str]]:
    """The entries of every legend drawn on ``ax`` (its own and any added beside it)."""
    return [[t.get_text() for t in child.get_texts()] for child in ax.get_children() if isinstance(child, Legend)]


def run(row: str, dataset: str, values: list[float]) -> RunResult:
    """A trained run's result as the figures read it: its row and validation curve."""
    return result(row, 0, 0.5, 100, dataset=dataset, history=curve(*values))


def test_every_row_has_a_compression_family():
    assert all(row.family for row in ROWS)
    assert {row.family for row in ROWS} <= set(figures.FAMILY_COLOURS)  # and every family its colour
    # the colours in the book's order of the families: by the page that presents them
    assert list(figures.FAMILY_COLOURS)[:7] == ["trained from scratch", "weight pruning", "channel pruning",
                                                "pruning during training", "distillation", "quantization", "low-rank"]
    assert list(figures.FAMILY_COLOURS)[-1] == figures.OTHER


def test_the_pareto_line_joins_the_undominated_rows_in_cost_order():
    runs = runs_frame(RESULTS + [replace(RESULTS[0], dataset="builtin-dark")])
    fig = figures.map_vs_cost(runs, "macs")
    light, dark = fig.axes[:2]
    front = [line for line in light.get_lines() if line.get_label() == "Pareto front"][0]
    # means: YOLOv3 (4000, 0.6), LTH Local (400, 0.45), Tiny (1000, 0.3: dominated), Nano leaky (300, 0.2)
    assert list(front.get_xdata()) == [300, 400, 4000] and list(front.get_ydata()) == [0.2, 0.45, 0.6]
    assert light.get_xscale() == "log" and dark.get_title() == "builtin-dark"
    # the front's rows are named beside their points; the dominated Tiny is not
    assert sorted(t.get_text() for t in light.texts) == ["YOLO Nano (leaky)", "YOLOv3", "YOLOv3, LTH Local"]


def test_each_cost_panel_has_its_own_legends_of_the_families_and_models_it_shows():
    """The dark set has only the dense YOLOv3: its panel still has legends, and they
    list what it shows, not the light set's rows."""
    runs = runs_frame(RESULTS + [replace(RESULTS[0], dataset="builtin-dark")])
    light, dark = figures.map_vs_cost(runs, "macs").axes
    assert sorted(map(sorted, legends(light))) == [
        ["Pareto front", "YOLO Nano (leaky)", "YOLOv3", "YOLOv3-Tiny"], ["trained from scratch", "weight pruning"]]
    assert sorted(map(sorted, legends(dark))) == [["Pareto front", "YOLOv3"], ["trained from scratch"]]


def test_labels_of_a_crowded_front_do_not_overlap():
    rows = ("yolov3-tiny", "yolov3", "yolov3-lth-local", "yolov3-lth-global", "yolov3-cs-1")
    runs = runs_frame([result(row, 0, 0.5 + 0.002 * i, 100, macs=1000 + 10 * i) for i, row in enumerate(rows)])
    fig = figures.map_vs_cost(runs, "macs")
    fig.canvas.draw()
    # the texts alone: their thin lines to their points may cross other labels
    boxes = [Text.get_window_extent(text) for text in fig.axes[0].texts]
    assert len(boxes) == len(rows)
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


@pytest.mark.parametrize("cost, pattern", [("macs", r"\d+(\.\d+)?[kMG]?"), ("latency_ms", r"\d+(\.\d+)?")])
def test_a_short_log_range_still_has_three_labelled_ticks(cost, pattern):
    """Costs within a factor of 1.3: matplotlib alone labels one decade tick or none."""
    runs = runs_frame(RESULTS)
    runs[cost] = [3.0e6, 3.1e6, 3.5e6, 3.6e6, 3.9e6, 3.2e6] if cost == "macs" else [30, 31, 35, 36, 39, 32]
    fig = figures.map_vs_cost(runs, cost)
    fig.canvas.draw()
    ax = fig.axes[0]
    low, high = ax.get_xlim()
    labels = [t.get_text() for t in ax.xaxis.get_ticklabels() if low <= t.get_position()[0] <= high]
    assert len([label for label in labels if label]) >= 3
    assert all(re.fullmatch(pattern, label) for label in labels if label)


def test_a_flat_map_near_zero_is_drawn_flat_on_an_axis_from_0_to_at_least_0_1():
    flat = [0.00904, 0.00906, 0.00905]
    curves = figures.training_curves([run("yolov3", "builtin", flat)])
    assert curves.axes[0].get_ylim() == pytest.approx((0, 0.1))
    runs = runs_frame([scored(r, flat[i % 3]) for i, r in enumerate(RESULTS)])
    assert figures.map_vs_cost(runs, "macs").axes[0].get_ylim() == pytest.approx((0, 0.1))
    history = tuple({**h, "gradual_sparsity": s} for h, s in zip(curve(*flat), (0.3, 0.6, 0.9)))
    gradual = [result("yolov3-gradual-weights", 0, 0.5, 100, training="During training", history=history)]
    assert figures.gradual_schedule(gradual).axes[1].get_ylim() == pytest.approx((0, 0.1))
    # a high curve: 10% headroom, never past 1.05
    high = figures.training_curves([run("yolov3", "builtin", [0.5, 0.99])])
    assert high.axes[0].get_ylim() == pytest.approx((0, 1.05))


def test_training_curves_draw_one_panel_per_chapter_and_dataset_each_with_its_legend():
    results = [run("yolov3", d, [0.1, 0.2, 0.3]) for d in ("builtin", "builtin-dark")] + \
              [run("yolov3-tiny", "builtin", [0.2, 0.3]), run("yolov3-lth-local", "builtin", [0.3, 0.4]),
               run("yolov3-int8", "builtin", [])]  # converted, not trained: no panel
    fig = figures.training_curves(results)
    panels = {ax.get_legend().get_title().get_text().replace("\n", " "): ax for ax in fig.axes}
    assert sorted(panels) == ["trained from scratch (01_baseline) builtin",
                              "trained from scratch (01_baseline) builtin-dark, YOLOv3",
                              "weight pruning (02_lth) builtin, YOLOv3"]
    baseline = panels["trained from scratch (01_baseline) builtin"]
    assert [line.get_label() for line in baseline.get_lines()] == ["YOLOv3-Tiny", "YOLOv3"]  # the table's order
    assert list(baseline.get_lines()[1].get_ydata()) == pytest.approx([0.1, 0.2, 0.3])
    assert legends(panels["weight pruning (02_lth) builtin, YOLOv3"]) == [["LTH Local"]]
    assert fig.get_figwidth() <= figures.PAGE_WIDTH


def test_a_run_pages_single_curve_is_one_small_panel():
    fig = figures.training_curves([run("yolov3", "builtin", [0.1, 0.2])])
    assert len(fig.axes) == 1 and fig.get_figwidth() < figures.PAGE_WIDTH and fig.get_figheight() < 4


def test_per_layer_sparsity_draws_one_line_per_run_and_one_panel_per_dataset():
    pruned = [result(row, 0, 0.5, 100, dataset=d, layers=tuple({"sparsity": s} for s in (0.1, 0.9, 0.5)))
              for d in ("builtin", "builtin-dark") for row in ("yolov3-lth-local", "yolov3-lth-global")]
    assert {r.model for r in pruned} == {"YOLOv3"}
    fig = figures.layer_sparsity(pruned)
    assert [len(ax.get_lines()) for ax in fig.axes] == [2, 2]
    assert [list(line.get_ydata()) for line in fig.axes[0].get_lines()] == [[0.1, 0.9, 0.5]] * 2
    assert legends(fig.axes[1]) == [["LTH Local", "LTH Global"]]


def sample(n_images: int, box: list[float]) -> dict:
    """One run's detections on ``n_images`` 64 x 64 images, one box each."""
    return {"images": [torch.rand(3, 64, 64)] * n_images, "classes": ["circle"],
            "predictions": [{"boxes": torch.tensor([box]), "labels": torch.tensor([0])}] * n_images,
            "targets": [{"boxes": torch.tensor([[8.0, 8.0, 30.0, 30.0]])}] * n_images,
            "result": result("yolo-nano", 0, 0.5, 100)}  # YOLO Nano, Default, on builtin


def test_a_detection_far_outside_its_image_is_drawn_at_the_edge_and_the_figure_renders(tmp_path):
    """An untrained model can predict a box 1e20 pixels wide: it is drawn clipped to the
    image, so the figure keeps its size and saves."""
    fig = detections_figure.detection_grid([sample(1, [10.0, 5.0, 1e20, 3e20])])
    fig.savefig(tmp_path / "grid.png", bbox_inches="tight")
    red = [p for p in fig.axes[0].patches if p.get_edgecolor()[:3] == (1.0, 0.0, 0.0)][0]
    assert (red.get_x(), red.get_y(), red.get_width(), red.get_height()) == (10.0, 5.0, 54.0, 59.0)


def test_the_detection_grid_is_legible_at_page_width():
    """At most a page wide (shown at its own size), class labels and titles of 9 pt or
    more, and images beyond a line's four on the next line."""
    fig = detections_figure.detection_grid([sample(6, [10.0, 5.0, 40.0, 40.0])] * 2)
    assert fig.get_figwidth() <= figures.PAGE_WIDTH
    assert len(fig.axes) == 2 * 2 * detections_figure.IMAGES_PER_LINE and sum(bool(ax.images) for ax in fig.axes) == 12
    texts = [t for ax in fig.axes for t in (*ax.texts, ax.title) if t.get_text()]
    assert [t.get_text() for t in texts].count("circle") == 12 and min(t.get_fontsize() for t in texts) >= 9
