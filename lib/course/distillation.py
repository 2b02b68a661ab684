"""Lab 4, distillation: the hint loss with its adaptation layer, then the study's YOLO
Nano student trained with and without its YOLOv3 teacher over seeds, and the student's
decision whether the gap beats the seed-to-seed spread (the study's rule, Welch's t-test
at the book's threshold). The study's chapter: Knowledge distillation."""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from ..distill.hints import hint_layer, hint_term
from ..files import atomic_write_json
from ..report.verdict import compare
from ..result import RunResult
from ..study.rows import DENSE, NANO_PLAIN
from .checks import Case, Exercise
from .model import row_result, runs_root
from .scale import LabScale, lab_scale
from .targets import require

STUDENT = "nano-kd-79"   # the study's hint-distilled Nano (hint at its feature 79)


def hint_reference(student_feature: torch.Tensor, teacher_feature: torch.Tensor, adaptation) -> torch.Tensor:
    return hint_term(adaptation, student_feature, teacher_feature)


def beats_spread_reference(with_teacher, without_teacher) -> bool:
    """The study's rule (lib.report.verdict): the difference of the means is a finding."""
    return compare(with_teacher, without_teacher).finding


def _hint_cases() -> list[Case]:
    g = torch.Generator().manual_seed(5)
    torch.manual_seed(5)  # the adaptation layers' initial weights
    small, wide = hint_layer(4, 6), hint_layer(3, 8)
    return [Case("(2, 4, 3, 3) student and (2, 6, 3, 3) teacher features",
                 (torch.randn(2, 4, 3, 3, generator=g), torch.randn(2, 6, 3, 3, generator=g), small)),
            Case("(1, 3, 5, 5) student and (1, 8, 5, 5) teacher features",
                 (torch.randn(1, 3, 5, 5, generator=g), torch.randn(1, 8, 5, 5, generator=g), wide))]


def _spread_cases() -> list[Case]:
    return [Case("3 seeds each, far apart", ([0.50, 0.52, 0.51], [0.40, 0.41, 0.42])),
            Case("2 seeds each, overlapping", ([0.50, 0.60], [0.55, 0.52])),
            Case("one seed each (nothing to test)", ([0.70], [0.40])),
            Case("3 seeds each, close", ([0.45, 0.47, 0.52], [0.44, 0.48, 0.49]))]


EXERCISES = {"hint_loss": Exercise(hint_reference, _hint_cases, atol=1e-6),
             "beats_spread": Exercise(beats_spread_reference, _spread_cases)}


def result_file(result: RunResult) -> Path:
    """The result of a teacher as a file, as a distilled row reads it (its ``inputs``)."""
    path = runs_root() / "lab-results" / f"{result.row}-{Path(result.run_dir).name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(result.to_dict(), path)
    return path


def distillation_runs(scale: str = "laptop") -> pd.DataFrame:
    """The teacher (the study's YOLOv3 row, seed 0), then for each of the scale's seeds the
    Nano student trained ``kd_epochs`` without and with the teacher's hints: one line per
    student run with its test mAP@0.5."""
    chosen: LabScale = lab_scale(scale)
    teacher = row_result(DENSE, chosen)
    print(f"teacher {DENSE}: test mAP@0.5 {teacher.metrics.map50:.3f}")
    inputs = [str(result_file(teacher))]
    rows = []
    for seed in chosen.kd_seeds:
        for label, row, given in (("without teacher", NANO_PLAIN, []), ("with teacher", STUDENT, inputs)):
            result = row_result(row, chosen, seed, given, epochs=chosen.kd_epochs)
            print(f"seed {seed}, {label}: test mAP@0.5 {result.metrics.map50:.3f}")
            rows.append({"seed": seed, "student": label, "test_map50": result.metrics.map50})
    return pd.DataFrame(rows)


def runs_figure(runs: pd.DataFrame) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(5, 3.4))
    for i, (label, group) in enumerate(runs.groupby("student", sort=False)):
        ax.scatter([i] * len(group), group["test_map50"], s=40, label=label)
        ax.hlines(group["test_map50"].mean(), i - 0.2, i + 0.2, color="black")
    ax.set_xticks(range(runs["student"].nunique()), list(runs["student"].unique()))
    ax.set(ylabel="test mAP@0.5", xlim=(-0.6, runs["student"].nunique() - 0.4), title="Each seed, and the means")
    return fig


def check_decision(runs: pd.DataFrame, teacher_helps) -> None:
    """The lab's target: ``teacher_helps`` is True exactly when the students with the teacher
    beat those without by more than the seed spread (the study's rule) and scored higher."""
    require(isinstance(teacher_helps, (bool, np.bool_)), f"teacher_helps: expected True or False, got {teacher_helps!r}")
    with_t = runs.loc[runs["student"] == "with teacher", "test_map50"].tolist()
    without = runs.loc[runs["student"] == "without teacher", "test_map50"].tolist()
    verdict = compare(with_t, without)
    helps = verdict.finding and verdict.difference > 0
    print(f"with the teacher minus without: {verdict.difference:+.3f} mAP@0.5, {verdict.words()}")
    require(teacher_helps == helps, f"teacher_helps = {teacher_helps}, but on these runs the teacher "
                                    f"{'does' if helps else 'does not'} help beyond the seed spread")
