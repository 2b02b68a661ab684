"""Which dense YOLOv3 a row is measured against: the reference trained for the same
budget. A pruned row that starts from the trained dense run and trains again has had
two dense runs' worth of training; compared with the one-run *Default*, its
percentage would count the extra epochs as compression (Blalock et al.). Budgets are
in images seen over every training behind a model (``lib.result.Budget``), as a
multiple of one *Default* dense run of the same dataset."""
from __future__ import annotations

import pandas as pd

from ..study.rows import DENSE, REFERENCES

TOLERANCE = 0.01  # budgets within 1% are the same (the loop's last, partial batches)


def budget_multiples(runs: pd.DataFrame) -> pd.Series:
    """Each run's total budget as a multiple of its dataset's *Default* dense run's (mean
    over its seeds): by images seen where every run counted them, else by epochs."""
    unit = "total_images" if runs["total_images"].notna().all() else "total_epochs"
    dense = runs[runs["row"] == DENSE].groupby("dataset")[unit].mean()
    return runs[unit] / runs["dataset"].map(dense)


def reference_rows(budgets: pd.Series) -> dict[str, str]:
    """row -> the reference row it is compared with, from one dataset's mean budget per
    row (``budgets``, indexed by row): the reference of the smallest budget that is at
    least the row's, or the largest where none is (stated beside the row as its budget)."""
    references = sorted((budgets[r], r) for r in REFERENCES if r in budgets.index)
    if not references:
        raise ValueError(f"references: none of {REFERENCES} ran on this dataset")
    out = {}
    for row, budget in budgets.items():
        enough = [r for b, r in references if b >= budget * (1 - TOLERANCE)]
        out[row] = enough[0] if enough else references[-1][1]
    return out


def with_references(means: pd.DataFrame) -> pd.DataFrame:
    """One dataset's row means (``results.row_means`` with "budget" and "map50", indexed
    by row, model, training) with each row's ``reference`` row and its ``reference_map50``."""
    rows = means.index.get_level_values("row")
    chosen = reference_rows(pd.Series(means["budget"].to_numpy(), index=rows))
    maps = dict(zip(rows, means["map50"]))
    out = means.copy()
    out["reference"] = [chosen[r] for r in rows]
    out["reference_map50"] = [maps[chosen[r]] for r in rows]
    return out
