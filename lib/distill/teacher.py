"""What every distillation method shares: a frozen teacher, and a callback that keeps
it on the run's device beside the modules the method learns (hint layers,
discriminators) and their optimiser."""
from __future__ import annotations

from pathlib import Path

import torch

from ..models import Detector, load_weights
from ..train import Callback, Context, freeze


def load_teacher(path: str | Path) -> Detector:
    """A trained model file (e.g. a run's best model), frozen: eval mode, no gradients."""
    return freeze(load_weights(path))


class TeacherCallback(Callback):
    def __init__(self, teacher: Detector):
        self.teacher = teacher
        self.optimizer: torch.optim.Optimizer | None = None  # of the method's own modules

    def on_fit_start(self, ctx: Context) -> None:
        self.teacher.to(ctx.device)
