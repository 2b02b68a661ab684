"""What the labs' figures share."""
from __future__ import annotations

from typing import Callable

import matplotlib.pyplot as plt
import pandas as pd


def beside_map(scan: pd.DataFrame, dense_map50: float, draw: Callable, figsize=(10, 3.8)) -> plt.Figure:
    """Two panels: ``draw(left_axes)``'s, and the scan's validation mAP@0.5 against its MACs
    (shares of dense), before any fine-tuning, with the dense model's line."""
    fig, (left, right) = plt.subplots(1, 2, figsize=figsize)
    draw(left)
    right.plot(scan["macs"], scan["val_map50"], marker="o")
    right.axhline(dense_map50, color="black", linestyle="--", linewidth=1, label="dense")
    right.set(xlabel="MACs (share of dense)", ylabel="validation mAP@0.5", title="Before any fine-tuning")
    for ax in (left, right):
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
