"""What chapter notebooks call besides the methods: writing their result and
showing numbers in the book."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..train.checkpoint import atomic_write_json


def save_result(path: str, payload: dict) -> None:
    """The notebook's last act: its result JSON, written atomically (the runner's 'done')."""
    if not path:
        raise ValueError("result_path: empty; the study runner passes it (or give one when running by hand)")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(payload, Path(path))


def styled(table: pd.DataFrame, digits: int = 3):
    """A table for the book: thousands separators for counts, fixed digits for the rest."""
    formats = {c: "{:,.0f}" for c in table.columns if pd.api.types.is_integer_dtype(table[c])}
    formats.update({c: f"{{:.{digits}f}}" for c in table.columns if pd.api.types.is_float_dtype(table[c])})
    return table.style.format(formats).hide(axis="index")


def run_card(*results: dict) -> pd.DataFrame:
    """One line per run: its row, test metrics and footprint (at the run's input size)."""
    keys = {"model": "model", "training": "training", "dataset": "dataset", "epochs": "epochs", "map50": "mAP@0.5",
            "map": "mAP@[.5:.95]", "ap_small": "AP small", "ap_medium": "AP medium", "ap_large": "AP large",
            "params": "params", "macs": "MACs", "storage_mb": "MB"}
    return pd.DataFrame([{label: r[k] for k, label in keys.items()} for r in results])
