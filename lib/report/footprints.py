"""The paper-scale footprint table: every row of Tables I and II computable without
training (the dense models; LTH at its sparsity on a random initialisation), at 416
and width 1.0, next to the paper's values."""
from __future__ import annotations

import pandas as pd
import torch

from ..measure import footprint
from ..models import build
from ..paper import NUM_CLASSES, paper_table
from ..prune import magnitude_prune
from ..prune.lth import LTHParams
from ..study.rows import DENSE, ROW, Row


def row_footprint(row: Row, dataset: str, img_size: int, seed: int = 0) -> dict:
    """The footprint of ``row``'s model as built (pruned by magnitude if the row's
    footprint says so) for the paper's ``dataset``."""
    torch.manual_seed(seed)
    model = build(row.arch, NUM_CLASSES[dataset], activation=row.activation)
    if row.footprint == "magnitude":
        lth = LTHParams(**row.settings)
        magnitude_prune(model, lth.target_sparsity, lth.scope)
    return footprint(model, img_size)


# Each of our measures beside the paper's and the difference, after the row's labels.
PAPER_SCALE_COLUMNS = ("dataset", "row", "model", "training", "params", "paper params", "Δ params %", "MACs (paper rule)",
                       "paper MACs", "Δ MACs %", "MiB", "paper MB", "Δ storage %")


def paper_scale_table(img_size: int = 416, datasets: tuple[str, ...] = ("voc", "exdark")) -> pd.DataFrame:
    """One row per paper row without training: ours (parameters alive, paper-rule MACs,
    MiB on disk) and the paper's, with our difference in percent."""
    rows, cache = [], {}
    for paper in paper_table():
        row = ROW[paper["row"]]
        if paper["dataset"] not in datasets or row.footprint == "trained":
            continue
        # the dense rows of one model (plain and distilled) share a footprint
        key = (row.arch, row.activation, paper["dataset"]) if row.footprint == "dense" else (row.id, paper["dataset"])
        if key not in cache:
            cache[key] = row_footprint(row, paper["dataset"], img_size)
        ours = cache[key]
        rows.append({"dataset": paper["dataset"], "row": row.id, "model": row.model, "training": row.training,
                     "params": ours["nonzero_params"], "paper params": int(paper["params_mean"]),
                     "MACs (paper rule)": ours["macs_paper"], "paper MACs": int(paper["macs_mean"]),
                     "MiB": ours["storage_bytes"] / 2**20, "paper MB": paper["storage_mb_mean"]})
    table = pd.DataFrame(rows)
    for ours, theirs, label in (("params", "paper params", "Δ params %"), ("MACs (paper rule)", "paper MACs", "Δ MACs %"),
                                ("MiB", "paper MB", "Δ storage %")):
        table[label] = 100 * (table[ours] / table[theirs] - 1)
    return table[list(PAPER_SCALE_COLUMNS)]


def architecture_findings(table: pd.DataFrame) -> dict[str, str]:
    """The numbers the architecture chapter's text quotes, from ``paper_scale_table``."""
    voc = table[table["dataset"] == "voc"].set_index("row")
    dense = table[[ROW[r].footprint == "dense" for r in table["row"]]]
    return {"yolov3_params": f"{voc.loc[DENSE, 'params']:,}",
            "max_macs_gap": f"{dense['Δ MACs %'].abs().max():.2g}",
            "lth_local_mib": f"{voc.loc['yolov3-lth-local', 'MiB']:.1f}",
            "lth_local_paper_mb": f"{voc.loc['yolov3-lth-local', 'paper MB']:.2f}"}
