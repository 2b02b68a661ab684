"""What a study runs at a profile beyond each run's parameters: how many seeds, of which
rows, and on which datasets the rows beyond the paper run. A plan is not part of any
run's key: changing it adds or leaves out runs, and never re-runs one.

The cpu plan spends the hour where the comparisons need it (issue on fair comparisons):
3 seeds on the light set of the rows the controls and the headline compare (with the
rows they read), and the rows beyond the paper on the light set only; ``make book
ALL_ROWS=1`` runs those on the dark set too."""
from __future__ import annotations

from dataclasses import dataclass

from .rows import REFERENCES, ROW, Row

# The light set's rows with 3 seeds at the cpu profile: the two dense references, the
# tickets and CS 1 It, the channel-pruned rows, every control, and the rows the
# headline has named (YOLOv3-Tiny; the 3.5% channel row).
SEEDED = ("yolov3", "yolov3-equal-budget", "yolov3-tiny", "yolov3-lth-local", "yolov3-lth-global",
          "yolov3-random-prune", "yolov3-lth-local-reinit", "yolov3-cs-1", "yolov3-channels-11",
          "yolov3-channels-3.5", "yolov3-channels-11-scratch", "yolov3-channels-3.5-scratch")


@dataclass(frozen=True)
class Plan:
    seeds: int = 1                      # seeds of the seeded rows (every row: seed 0)
    seed_rows: tuple[str, ...] = ()     # ROW or ROW@DATASET; empty: every row runs ``seeds`` seeds
    extras_on: tuple[str, ...] | None = None  # datasets the rows beyond the paper run on; None: every one


PLANS = {"cpu": Plan(seeds=3, seed_rows=tuple(f"{row}@builtin" for row in SEEDED), extras_on=("builtin",))}


def plan_of(profile: str) -> Plan:
    return PLANS.get(profile, Plan())


def essential(row: Row) -> bool:
    """A row every dataset runs: one of the paper's, a dense reference, or the control of
    an essential row (the rows they read come with them)."""
    return row.in_paper or row.id in REFERENCES or (row.control_of is not None and essential(ROW[row.control_of]))
