import matplotlib
import pytest

matplotlib.use("Agg")

from lib.study import figures  # noqa: E402
from lib.study.results import runs_frame  # noqa: E402
from tests.study.test_results import RESULTS  # noqa: E402


def test_the_pareto_line_joins_the_undominated_rows_in_cost_order():
    runs = runs_frame(RESULTS + [{**RESULTS[0], "dataset": "builtin-dark"}])
    fig = figures.map_vs_cost(runs, "macs")
    light, dark = fig.axes[:2]
    front = [line for line in light.get_lines() if line.get_label() == "Pareto front"][0]
    # means: YOLOv3 (4000, 0.6), LTH Local (400, 0.45), Tiny (1000, 0.3: dominated), Nano leaky (300, 0.2)
    assert list(front.get_xdata()) == [300, 400, 4000] and list(front.get_ydata()) == [0.2, 0.45, 0.6]
    assert light.get_xscale() == "log" and dark.get_title() == "builtin-dark"


def test_per_layer_sparsity_and_curves_draw_one_line_per_run():
    pruned = [{"training": t, "dataset": "builtin", "layers": [{"sparsity": s} for s in (0.1, 0.9, 0.5)]}
              for t in ("LTH Local", "LTH Global")]
    lines = figures.layer_sparsity(pruned).axes[0].get_lines()
    assert [list(line.get_ydata()) for line in lines] == [[0.1, 0.9, 0.5]] * 2
    history = [{"epoch": e, "map50": 0.1 * e} for e in (1, 2, 3)]
    runs = [{"model": "YOLOv3", "training": "Default", "dataset": d, "history": history} for d in ("a", "b")]
    fig = figures.training_curves(runs)
    assert [len(ax.get_lines()) for ax in fig.axes[:2]] == [1, 1]
    assert list(fig.axes[0].get_lines()[0].get_ydata()) == pytest.approx([0.1, 0.2, 0.3])


def test_a_detection_far_outside_its_image_is_drawn_at_the_edge_and_the_figure_renders(tmp_path):
    """An untrained model can predict a box 1e20 pixels wide: it is drawn clipped to the
    image, so the figure keeps its size and saves."""
    import torch
    sample = {"images": [torch.rand(3, 64, 64)], "classes": ["circle"],
              "predictions": [{"boxes": torch.tensor([[10.0, 5.0, 1e20, 3e20]]), "labels": torch.tensor([0])}],
              "targets": [{"boxes": torch.tensor([[8.0, 8.0, 30.0, 30.0]])}],
              "result": {"model": "YOLO Nano", "training": "Default", "dataset": "builtin"}}
    fig = figures.detection_grid([sample])
    fig.savefig(tmp_path / "grid.png", bbox_inches="tight")
    red = [p for p in fig.axes[0].patches if p.get_edgecolor()[:3] == (1.0, 0.0, 0.0)][0]
    assert (red.get_x(), red.get_y(), red.get_width(), red.get_height()) == (10.0, 5.0, 54.0, 59.0)
