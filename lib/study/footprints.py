"""The paper-scale footprint table: every row of Tables I and II computable without
training (the dense models; LTH at 90% on a random initialisation), at 416 and
width 1.0, next to the paper's values."""
from __future__ import annotations

import pandas as pd
import torch

from ..measure import footprint
from ..models import build
from ..paper import NUM_CLASSES, PAPER_MODELS, paper_table
from ..prune import magnitude_prune

LTH_SCOPES = {"LTH Local": "layer", "LTH Global": "global"}


def row_footprint(model_label: str, training: str, dataset: str, img_size: int, seed: int = 0) -> dict:
    name, activation = PAPER_MODELS[model_label]
    torch.manual_seed(seed)
    model = build(name, NUM_CLASSES[dataset], activation=activation)
    if training in LTH_SCOPES:
        magnitude_prune(model, 0.9, LTH_SCOPES[training])
    return footprint(model, img_size)


def paper_scale_table(img_size: int = 416, datasets: tuple[str, ...] = ("voc", "exdark")) -> pd.DataFrame:
    """One row per paper row without training: ours (parameters alive, paper-rule MACs,
    MiB on disk) and the paper's, with our difference in percent."""
    rows, cache = [], {}
    for paper in paper_table():
        if paper["dataset"] not in datasets or paper["training"].startswith("CS"):
            continue
        dense = not paper["training"] in LTH_SCOPES
        key = (paper["model"], "dense" if dense else paper["training"], paper["dataset"])
        if key not in cache:
            cache[key] = row_footprint(paper["model"], "Default" if dense else paper["training"], paper["dataset"],
                                       img_size)
        ours = cache[key]
        rows.append({"dataset": paper["dataset"], "model": paper["model"], "training": paper["training"],
                     "params": ours["nonzero_params"], "paper params": int(paper["params_mean"]),
                     "MACs (paper rule)": ours["macs_paper"], "paper MACs": int(paper["macs_mean"]),
                     "MiB": ours["storage_bytes"] / 2**20, "paper MB": paper["storage_mb_mean"]})
    table = pd.DataFrame(rows)
    for ours, theirs, label in (("params", "paper params", "Δ params %"), ("MACs (paper rule)", "paper MACs", "Δ MACs %"),
                                ("MiB", "paper MB", "Δ storage %")):
        table[label] = 100 * (table[ours] / table[theirs] - 1)
    return table
