"""The paper's findings, each tested on this build's runs by the book's one rule
(``verdict.compare``) and marked *reproduced*, *not reproduced* or *not testable at
this scale* (a side with one seed, or a row this build did not run), with the numbers
that decide it beside the paper's.

A finding is a claim about two rows: that one *beats* the other (its mean test
mAP@0.5 is higher, and the difference is a finding under the rule), or that one
*keeps* the other's accuracy (``verdict.KEEPS`` of its mean at least, and not lower by
a finding; lower by a finding refutes it, and a shortfall within the seed spread cannot
decide it). A "keeps" claim against the dense model is tested against the dense
YOLOv3 of the row's own budget."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..paper import paper_numbers
from ..study.rows import PAPER_DATASET, ROW
from .results import mean_std, reference_of, row_runs
from .verdict import KEEPS, compare

REPRODUCED, NOT_REPRODUCED, UNTESTABLE = "reproduced", "not reproduced", "not testable at this scale"
REFERENCE = "reference"  # a claim's second row: the dense YOLOv3 of the first row's budget


@dataclass(frozen=True)
class Finding:
    claim: str        # the paper's finding, in words
    kind: str         # "beats" or "keeps"
    row: str          # the row it is about
    other: str        # the row it is compared with (REFERENCE: the dense YOLOv3 of ``row``'s budget)
    paper: tuple[str, ...]  # the paper's rows that show it (its table has no leaky student without a
                            # teacher, nor Mobile with our initialisation)
    fewer_params: bool = False  # the claim also says ``row`` has fewer parameters than ``other``


FINDINGS = (
    Finding("LTH Local keeps the dense mAP with 10% of the weights", "keeps", "yolov3-lth-local", REFERENCE,
            ("yolov3-lth-local", "yolov3")),
    Finding("LTH Global keeps the dense mAP with 10% of the weights", "keeps", "yolov3-lth-global", REFERENCE,
            ("yolov3-lth-global", "yolov3")),
    Finding("CS 1 It finds a far sparser ticket than LTH, at a cost in accuracy", "beats", "yolov3-lth-local",
            "yolov3-cs-1", ("yolov3-lth-local", "yolov3-cs-1")),
    Finding("More CS search rounds cost more accuracy (CS 1 It above CS 3 It)", "beats", "yolov3-cs-1", "yolov3-cs-3",
            ("yolov3-cs-1", "yolov3-cs-3")),
    Finding("Hint KD lifts YOLO Nano (KD fts 79 above the student alone)", "beats", "nano-kd-79", "nano-leaky",
            ("nano-kd-79", "yolo-nano")),
    Finding("Hint KD rescues YOLOv3-Mobile (KD fts 91 above the student alone)", "beats", "mobile-kd-91", "mobile-leaky",
            ("mobile-kd-91", "yolov3-mobile")),
    Finding("Aggressive pruning beats NAS + KD (CS 1 It above Nano KD fts 79, with fewer parameters)", "beats",
            "yolov3-cs-1", "nano-kd-79", ("yolov3-cs-1", "nano-kd-79"), fewer_params=True),
    Finding("YOLOv3-Mobile does not learn with the authors' initialisation (ours, residual branches from 0, does)",
            "beats", "yolov3-mobile", "yolov3-mobile-authors-init", ("yolov3-mobile",)),
)


def judged(finding: Finding, runs: pd.DataFrame, dataset: str) -> dict:
    """One finding on ``dataset``: the claim, this build's numbers (mean ± std, n), the
    paper's, and the verdict."""
    mine, other = row_runs(runs, dataset, finding.row), finding.other
    if other == REFERENCE and not mine.empty:
        other = reference_of(runs, dataset, finding.row)
    theirs = row_runs(runs, dataset, other)
    paper = paper_numbers(PAPER_DATASET[dataset])
    line = {"finding": finding.claim, "paper": _paper_text(finding, paper)}
    if mine.empty or theirs.empty:
        return {**line, "this build": "not run in this build (make book ALL_ROWS=1 runs every row on every dataset)",
                "verdict": UNTESTABLE}
    verdict = compare(mine["map50"], theirs["map50"])
    build = (f"{_named(finding.row)} {mean_std(mine['map50'], 3)} (n = {len(mine)}) vs {_named(other)} "
             f"{mean_std(theirs['map50'], 3)} (n = {len(theirs)}); {verdict.words()}")
    if finding.fewer_params:
        build += f"; parameters {mine['params'].mean():,.0f} vs {theirs['params'].mean():,.0f}"
    if verdict.p is None:
        return {**line, "this build": build, "verdict": f"{UNTESTABLE} (n = 1)"}
    lower = verdict.finding and verdict.difference < 0
    if finding.kind == "keeps" and not lower and verdict.mean_a < KEEPS * verdict.mean_b:
        share = verdict.mean_a / verdict.mean_b
        return {**line, "this build": build, "verdict": f"{UNTESTABLE} (keeps {share:.0%}, within the seed spread)"}
    holds = not lower if finding.kind == "keeps" else verdict.finding and verdict.difference > 0
    if finding.fewer_params:
        holds = holds and mine["params"].mean() < theirs["params"].mean()
    return {**line, "this build": build, "verdict": REPRODUCED if holds else NOT_REPRODUCED}


def _named(row: str) -> str:
    return f"{ROW[row].model}, {ROW[row].training}"


def _paper_text(finding: Finding, paper: dict) -> str:
    """The paper's mAP of the rows that show the finding, on the matching dataset."""
    return " vs ".join(f"{_named(row)} {paper[row]['map_mean']:.3f}" for row in finding.paper if row in paper) or "—"


def applies(finding: Finding, dataset: str) -> bool:
    """Both rows of the finding are defined for ``dataset`` (the paper's table or its stand-in)."""
    paper = PAPER_DATASET[dataset]
    return all(r == REFERENCE or paper in ROW[r].datasets for r in (finding.row, finding.other))


def findings_table(runs: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Every finding whose rows ``dataset`` holds, judged on this build."""
    lines = [judged(f, runs, dataset) for f in FINDINGS if applies(f, dataset)]
    return pd.DataFrame(lines, columns=["finding", "paper", "this build", "verdict"])
