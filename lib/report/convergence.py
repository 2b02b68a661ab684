"""Whether a run had stopped improving: its validation mAP@0.5 per epoch (the final
training's history) still reaching its best in the last stretch of the run means a
longer schedule would likely have scored higher, and the row's number is a floor; the
runs that stayed near zero, each with the reason its curve gives."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..result import RunResult

LATE = 0.7  # the best validation epoch after this share of the epochs: still rising


def best_epoch(history) -> int | None:
    """The 1-based epoch of the best validation mAP@0.5 (None: nothing trained)."""
    curve = [h["map50"] for h in history]
    return int(np.argmax(curve)) + 1 if curve else None


def still_rising(history) -> bool | None:
    """True where the best validation epoch falls in the run's last 30%; None for a
    model that did not train (a converted one)."""
    best = best_epoch(history)
    return None if best is None else best > LATE * len(history)


def trained_flags(flags) -> list[bool]:
    """The ``still_rising`` flags of the runs that trained (None, or NaN in a frame: not trained)."""
    return [bool(f) for f in flags if f is not None and f == f]


def rising_text(flags) -> str:
    """A row's runs' ``still_rising`` flags in words: "yes", "no", "2 of 3" or "—"."""
    known = trained_flags(flags)
    if not known:
        return "—"
    if all(known) or not any(known):
        return "yes" if known[0] else "no"
    return f"{sum(known)} of {len(known)}"


def near_zero_rows(results: list[RunResult], threshold: float = 0.1) -> pd.DataFrame:
    """The runs whose test mAP@0.5 stays below ``threshold``, each with the reason its
    validation curve gives: still rising when training stopped (too short a schedule
    for this scale), or peaked early and did not recover."""
    out = [{"dataset": r.dataset, "model": r.model, "training": r.training, "seed": r.seed,
            "mAP@0.5": r.metrics.map50, "reason": curve_reason(r.history)}
           for r in results if r.metrics.map50 < threshold]
    return pd.DataFrame(out, columns=["dataset", "model", "training", "seed", "mAP@0.5", "reason"])


def curve_reason(history) -> str:
    """Why a run's score stayed where it is, in words its validation curve gives."""
    best, epochs = best_epoch(history), len(history)
    if best is None:  # a converted model (int8): its source's row says how that trained
        return "converted after training, not trained"
    if still_rising(history):
        return (f"still improving when training stopped (best validation epoch {best} of {epochs}): "
                "too few epochs at this scale")
    return f"validation mAP peaked at epoch {best} of {epochs} and did not recover"
