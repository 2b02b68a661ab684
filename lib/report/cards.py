"""A chapter page's tables: any table styled for the book, and one run's card."""
from __future__ import annotations

import pandas as pd

from ..result import RunResult


def styled(table: pd.DataFrame, digits: int = 3):
    """A table for the book: thousands separators for counts, fixed digits for the rest,
    and a dash where a value does not exist (a row the paper lacks, a ledger line)."""
    formats = {c: "{:,.0f}" for c in table.columns if pd.api.types.is_integer_dtype(table[c])}
    formats.update({c: f"{{:.{digits}f}}" for c in table.columns if pd.api.types.is_float_dtype(table[c])})
    return table.style.format(formats, na_rep="—").hide(axis="index")


def run_card(*results: RunResult | None) -> pd.DataFrame:
    """One line per run given (None skipped): its row, test metrics and footprint
    (at the run's input size). The dataset is the page's (its settings name it)."""
    return pd.DataFrame([{"model": r.model, "training": r.training, "epochs": r.epochs, "mAP@0.5": r.metrics.map50,
                          "mAP@[.5:.95]": r.metrics.map, "AP small": r.metrics.ap_small,
                          "AP medium": r.metrics.ap_medium, "AP large": r.metrics.ap_large,
                          "params": r.footprint.params, "MACs": r.footprint.macs, "MiB": r.footprint.storage_mib}
                         for r in results if r])
