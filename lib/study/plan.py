"""What a study runs at a profile beyond each run's parameters: how many seeds, of which
rows, and which rows run on which datasets. A plan is not part of any run's key:
changing it adds or leaves out runs, and never re-runs one.

The cpu plan spends the hour where the comparisons need it (issue on fair comparisons),
in the issue's order: the dense references and the controls on both datasets; 3 seeds on
the light set of the rows the controls and the headline compare (with the rows they
read); every row on the light set; on the dark set, of the paper's rows, the trained
models and the tickets. ``make book ALL_ROWS=1`` runs every row on the dark set too
(its measured cost: the cpu-profile appendix)."""
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
    full_on: tuple[str, ...] | None = None  # datasets every row runs on; None: every one
    elsewhere: tuple[str, ...] = ()     # on the other datasets: the paper's rows of these methods
                                        # (lib.methods keys), the references and their controls

    def runs(self, row: Row, dataset: str) -> bool:
        """Whether ``row`` runs on ``dataset`` (the rows it reads come with it)."""
        return self.full_on is None or dataset in self.full_on or self.kept_elsewhere(row)

    def kept_elsewhere(self, row: Row) -> bool:
        """A dense reference, one of the paper's rows of the ``elsewhere`` methods, or the
        control of such a row."""
        return (row.id in REFERENCES or (row.in_paper and row.method in self.elsewhere)
                or (row.control_of is not None and self.kept_elsewhere(ROW[row.control_of])))


EVERY_ROW = Plan()
PLANS = {"cpu": Plan(seeds=3, seed_rows=tuple(f"{row}@builtin" for row in SEEDED), full_on=("builtin",),
                     elsewhere=("train", "lth"))}


def plan_of(profile: str) -> Plan:
    return PLANS.get(profile, EVERY_ROW)
