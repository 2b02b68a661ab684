"""The paper's Tables I and II (Salvi & Barros), carried as the project's own data
file ``lib/paper_tables.csv``: what the paper reports, shown beside what we measure.
Each line carries the id of the study's row it reports (``lib.study.rows``)."""
from __future__ import annotations

import csv
from importlib import resources

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


def paper_numbers(dataset: str) -> dict[str, dict]:
    """One paper table by row id."""
    return {r["row"]: r for r in paper_table(dataset)}
