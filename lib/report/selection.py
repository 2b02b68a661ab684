"""Which runs a figure or table of the results chapter shows: predicates on a typed
result (``lib.result.RunResult``), and the lowest seed's runs for figures of single runs."""
from __future__ import annotations

from ..methods import templates_by_page
from ..result import RunResult
from ..study.rows import DENSE, ROW

PRUNING_TEMPLATES = templates_by_page()["pruning"]
DETECTION_ROWS = (DENSE, "yolov3-lth-local", "yolov3-cs-1", "nano-kd-79")  # shown in the detection grid


def first_seed(results: list[RunResult], keep=lambda result: True) -> list[RunResult]:
    """The results of the lowest seed that ``keep`` accepts (for figures of single runs)."""
    seed = min((r.seed for r in results), default=0)
    return [r for r in results if r.seed == seed and keep(r)]


def in_detection_grid(result: RunResult) -> bool:
    return result.row in DETECTION_ROWS


def is_dense(result: RunResult) -> bool:
    """A run of the reference row, the dense YOLOv3."""
    return result.row == DENSE


def pruned(result: RunResult) -> bool:
    """A run whose model carries masks (LTH, its random-pruning control, CS, int8 of a
    ticket, weights pruned during training)."""
    return bool(result.layers)


def on_pruning_page(result: RunResult) -> bool:
    """A run of a row the pruning chapter presents (tickets, their controls, CS, channels,
    pruning during training)."""
    return result.row in ROW and ROW[result.row].chapter in PRUNING_TEMPLATES


def searched(result: RunResult) -> bool:
    """A run that searched its mask before training its ticket (CS)."""
    return "search" in result.extras
