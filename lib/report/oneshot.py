"""One-shot pruning curves (Blalock et al.: several operating points, random pruning
as a baseline): the trained dense model pruned at growing fractions by each kind of
pruning and scored on the validation split at once, with no retraining. Evaluation
only, so cheap; the retraining rows are marked against them in the pruning chapter.
Where the curves fall, retraining had to recover what pruning removed."""
from __future__ import annotations

import pandas as pd

from ..counting import count_nonzero_params
from ..models import Detector, load_weights
from ..models.io import copy_of
from ..parallel import in_workers
from ..prune import apply_masks, channel_prune, magnitude_prune
from ..prune.random import random_masks
from ..result import RunResult
from .inference import map50_on, split_set

FRACTIONS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98)  # of the prunable weights (channels: of all parameters)
KINDS = ("magnitude, global", "magnitude, layer-wise", "random, layer-wise", "channels (L1)")


def pruned_at(model: Detector, kind: str, fraction: float, seed: int) -> Detector | None:
    """A copy of ``model`` pruned by ``kind`` at ``fraction`` (None: channel pruning
    cannot remove that much while every layer keeps some channels)."""
    if kind not in KINDS:
        raise ValueError(f"kind: expected one of {KINDS}, got {kind!r}")
    if fraction == 0:
        return copy_of(model)
    if kind == "channels (L1)":
        try:
            return channel_prune(model, params_ratio=1 - fraction).eval()
        except ValueError:
            return None
    copy = copy_of(model)
    if kind == "random, layer-wise":
        apply_masks(copy, random_masks(copy, fraction, seed))
    else:
        magnitude_prune(copy, fraction, "global" if kind == "magnitude, global" else "layer")
    return copy


def oneshot_curves(result: RunResult, fractions=FRACTIONS) -> pd.DataFrame:
    """The model of ``result`` pruned by every kind at every fraction: one line each with
    its ``kind``, the ``fraction`` asked, the share of the parameters ``removed`` and
    its validation mAP@0.5 (as the training loop scores it)."""
    params, _, loader = split_set(result, "val")
    dense = load_weights(result.model_file)
    total = count_nonzero_params(dense)
    unpruned = map50_on(dense, params, loader) if 0 in fractions else None  # every kind's fraction 0: scored once
    out = []
    for kind in KINDS:
        for fraction in fractions:
            model = pruned_at(dense, kind, fraction, params.train.seed)
            if model is None:
                continue
            out.append({"dataset": result.dataset, "kind": kind, "fraction": fraction,
                        "removed": 1 - count_nonzero_params(model) / total,
                        "val_map50": map50_on(model, params, loader) if fraction else unpruned})
    return pd.DataFrame(out, columns=["dataset", "kind", "fraction", "removed", "val_map50"])


def oneshot_curves_of(results: list[RunResult], workers: int | None = None) -> list[pd.DataFrame]:
    """``oneshot_curves`` of each of ``results``, ``workers`` at once in processes of their
    own (``lib.parallel.in_workers``; evaluation only, nothing timed)."""
    return in_workers(oneshot_curves, [(r,) for r in results], workers)
