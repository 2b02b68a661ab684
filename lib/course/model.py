"""The detector a lab compresses: the study's YOLOv3-Tiny row trained on the generated
dataset at the lab's scale. Its training folder is named by its parameters (lib.paths),
so a finished ``make book`` run of that row is found and not trained again; without
one it trains here (about half a minute on 2 cores at the laptop scale). Every other
training a lab does (a target's fine-tune, the distillation lab's students) goes
through the same loop into folders named the same way, so a rerun finds them done."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..models import Detector, load_weights
from ..params import RunParams, from_dict, override
from ..paths import BEST, REPO, TRAIN_RUNS, run_dir
from ..report.inference import map50_on, split_set
from ..result import RunResult
from ..study.chapter import run_row
from ..train import train
from .scale import LabScale, lab_scale

LAB_ROW = "yolov3-tiny"   # the study's row a lab compresses
LAB_DATASET = "builtin"
RUNS_VARIABLE = "LAB_RUNS"  # where a lab's trainings go; default: the repository's runs/train


def runs_root() -> Path:
    """The labs' training folders: $LAB_RUNS, else the study's own (``make book``'s), so
    the study's finished runs are found. Absolute: otter-grader runs a notebook elsewhere."""
    return Path(os.environ.get(RUNS_VARIABLE) or REPO / TRAIN_RUNS).resolve()


def say(line: str) -> None:
    print(line, flush=True)


def row_result(row: str, scale: LabScale, seed: int = 0, inputs: list[str] = (), log: Callable = say,
               **shortcuts) -> RunResult:
    """The study's ``row`` at the lab's scale, trained here unless its folder holds a finished run."""
    result, _ = run_row(row, scale.profile, LAB_DATASET, None, seed, list(inputs), str(runs_root()), log=log,
                        **shortcuts)
    return result


@dataclass
class Lab:
    """A lab's trained detector, its validation split and how it scores a model there."""
    scale: LabScale
    result: RunResult
    params: RunParams = field(init=False)
    dense_map50: float = field(init=False)

    def __post_init__(self):
        self.params, _, self._loader = split_set(self.result, "val")
        self.dense_map50 = self.val_map50(self.model())

    def model(self) -> Detector:
        """A fresh copy of the trained dense detector."""
        return load_weights(self.result.model_file)

    def val_map50(self, model: Detector) -> float:
        return map50_on(model, self.params, self._loader)

    def finetune(self, model: Detector, lab: str, choice: dict, epochs: int | None = None) -> Detector:
        """``model`` (pruned, factored, ...) trained ``epochs`` (default: the scale's
        ``finetune_epochs``) more epochs by the study's loop; its folder is named by the lab
        and the student's ``choice``, so the same choice is trained once. Returns the best
        weights by validation mAP@0.5."""
        epochs = epochs or self.scale.finetune_epochs
        params = override(from_dict(self.result.run_params), **{"train.epochs": epochs})
        folder = run_dir(runs_root(), params, f"lab-{lab}", {"choice": choice, "source": self.result.run_dir})
        train(params, folder, model=model, log=lambda _: None)
        return load_weights(folder / BEST)


def lab_model(scale: str = "laptop") -> Lab:
    """The lab's trained detector at ``scale`` (``lib.course.scale``), found or trained."""
    chosen = lab_scale(scale)
    say(f"The lab's detector: the study's {LAB_ROW} row, profile {chosen.profile}, in {runs_root()}")
    result = row_result(LAB_ROW, chosen, log=lambda _: None)
    lab = Lab(chosen, result)
    say(f"  trained {result.epochs} epochs, folder {Path(result.run_dir).name}; "
        f"validation mAP@0.5 {lab.dense_map50:.3f}")
    return lab
