"""What a study runs at a profile beyond each run's parameters: how many seeds, of which
rows, and which rows run on which datasets. A plan is not part of any run's key:
changing it adds or leaves out runs, and never re-runs one.

The cpu plan spends the hour where the comparisons need it (issue on fair comparisons),
in the issue's order: the dense references and the controls on both datasets; 3 seeds on
the light set of the rows the controls and the headline compare (with the rows they
read); every row on the light set; then the paper's other rows on the dark set. What did
not fit the hour goes from the end of that order (the cpu-profile appendix measures each
step): on the dark set only the references, LTH Local and its controls run, and on the
light set each student's second choice of hint layers is left out (KD fts 79 and KD fts 91
stay; in the paper the two choices are within a point of each other). ``make book
ALL_ROWS=1`` runs every row on every dataset."""
from __future__ import annotations

from dataclasses import dataclass

from ..params import ParamError
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
    full_on: tuple[str, ...] | None = None  # datasets every row runs on (but ``left_out``); None: every one
    elsewhere: tuple[str, ...] = ()     # row ids run on the other datasets, with the references and
                                        # these rows' controls
    left_out: tuple[str, ...] = ()      # row ids run on no dataset (unless another row reads them)

    def __post_init__(self):
        unknown = set(self.elsewhere + self.left_out) - set(ROW)
        if unknown:
            raise ParamError(f"plan: unknown rows {sorted(unknown)}; expected some of {list(ROW)}")

    def runs(self, row: Row, dataset: str) -> bool:
        """Whether ``row`` runs on ``dataset`` (the rows it reads come with it)."""
        if row.id in self.left_out:
            return False
        return self.full_on is None or dataset in self.full_on or self.kept_elsewhere(row)

    def kept_elsewhere(self, row: Row) -> bool:
        """A dense reference, one of the ``elsewhere`` rows, or the control of one."""
        return (row.id in REFERENCES or row.id in self.elsewhere
                or (row.control_of is not None and self.kept_elsewhere(ROW[row.control_of])))


EVERY_ROW = Plan()
PLANS = {"cpu": Plan(seeds=3, seed_rows=tuple(f"{row}@builtin" for row in SEEDED), full_on=("builtin",),
                     elsewhere=("yolov3-lth-local",), left_out=("nano-kd-36-61", "mobile-kd-36-91"))}


def plan_of(profile: str) -> Plan:
    return PLANS.get(profile, EVERY_ROW)
