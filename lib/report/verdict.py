"""The book's one rule for calling a difference between two rows a finding: Welch's
t-test (unequal variances) over their seeds, two-sided, at p < ``ALPHA``. A side with
a single seed has no spread to test against, so its comparisons claim nothing
(n = 1). Every comparison the book states goes through ``compare``."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

ALPHA = 0.05
KEEPS = 0.9  # a row "keeps" another's accuracy with at least this share of its mean, and no finding below it


@dataclass(frozen=True)
class Verdict:
    mean_a: float
    mean_b: float
    n_a: int
    n_b: int
    p: float | None   # None: a side with fewer than 2 seeds (nothing tested)

    @property
    def difference(self) -> float:
        return self.mean_a - self.mean_b

    @property
    def finding(self) -> bool:
        """The difference beats the seed-to-seed spread under the rule."""
        return self.p is not None and self.p < ALPHA

    def short(self) -> str:
        """"finding", "within spread" or "n = 1", for a table's column."""
        if self.p is None:
            return "n = 1"
        return "finding" if self.finding else "within spread"

    def words(self) -> str:
        """"a finding (p = 0.003, n = 3 and 3)", "within the spread (…)" or "n = 1: no claim"."""
        if self.p is None:
            return f"n = {min(self.n_a, self.n_b)}: no claim"
        kind = "a finding" if self.finding else "within the seed spread"
        p = "p < 0.001" if self.p < 0.001 else f"p = {self.p:.3f}"
        return f"{kind} (Welch's t-test {p}, n = {self.n_a} and {self.n_b})"


def compare(a: Sequence[float], b: Sequence[float]) -> Verdict:
    """``a`` against ``b`` (each: one value per seed, e.g. test mAP@0.5)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) == 0 or len(b) == 0:
        raise ValueError(f"compare: a side without values ({len(a)} and {len(b)} seeds)")
    p = None
    if len(a) >= 2 and len(b) >= 2:
        if np.ptp(a) == 0 and np.ptp(b) == 0:  # no spread on either side: only equal means are no finding
            p = 1.0 if a[0] == b[0] else 0.0
        else:
            # imported here: scipy.stats took 0.5 s of every notebook's import of lib.chapter,
            # and only the results notebook tests a difference
            from scipy.stats import ttest_ind
            p = float(ttest_ind(a, b, equal_var=False).pvalue)
    return Verdict(float(a.mean()), float(b.mean()), len(a), len(b), p)
