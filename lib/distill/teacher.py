"""What every distillation method shares: a frozen teacher, and a callback that keeps
it on the run's device."""
from __future__ import annotations

from pathlib import Path

from ..models import Detector, load_weights
from ..train import Callback, Context, freeze


def load_teacher(path: str | Path) -> Detector:
    """A trained model file (e.g. a run's best model), frozen: eval mode, no gradients."""
    return freeze(load_weights(path))


class TeacherCallback(Callback):
    def __init__(self, teacher: Detector):
        self.teacher = teacher

    def on_fit_start(self, ctx: Context) -> None:
        self.teacher.to(ctx.device)
