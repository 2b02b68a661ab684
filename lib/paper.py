"""The paper's Tables I and II (Salvi & Barros), carried as the project's own data
file ``lib/paper_tables.csv``: what the paper reports, shown beside what we measure."""
from __future__ import annotations

import csv
from importlib import resources

# Paper model label -> (our model name, activation override).
PAPER_MODELS = {
    "YOLOv3": ("yolov3", None),
    "YOLOv3-Tiny": ("yolov3-tiny", None),
    "YOLO Nano": ("yolo-nano", None),
    "YOLOv3-Mobile": ("yolov3-mobile", None),
    "YOLO Nano (leaky)": ("yolo-nano", "leaky"),
    "YOLOv3-Mobile (leaky)": ("yolov3-mobile", "leaky"),
}
NUM_CLASSES = {"voc": 20, "exdark": 12}
_NUMERIC = ("map_mean", "map_std", "params_mean", "params_std", "macs_mean", "macs_std",
            "storage_mb_mean", "storage_mb_std")


def paper_table(dataset: str | None = None) -> list[dict]:
    """Rows of Tables I (voc) and II (exdark), numbers as floats, in the paper's order."""
    with resources.files("lib").joinpath("paper_tables.csv").open() as f:
        rows = [{**row, **{k: float(row[k]) for k in _NUMERIC}} for row in csv.DictReader(f)]
    if dataset is not None and dataset not in NUM_CLASSES:
        raise ValueError(f"dataset: expected one of {sorted(NUM_CLASSES)}, got {dataset!r}")
    return [r for r in rows if dataset is None or r["dataset"] == dataset]
