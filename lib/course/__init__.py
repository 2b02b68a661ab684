"""The course track (book: Course): one lab per compression family, each an
otter-grader master notebook in notebooks/labs/ that calls this package for its
detector (``lab_model``), its exercises' checks (``verify``) and its measurements and
target. ``python -m lib.course`` writes the student versions (make labs) and trains
the labs' detector (make lab-model)."""
from __future__ import annotations

from . import channels, distillation, efficient, lowrank, magnitude, quantization
from .checks import verify as _verify
from .model import Lab, lab_model

EXERCISES = {**magnitude.EXERCISES, **channels.EXERCISES, **quantization.EXERCISES, **distillation.EXERCISES,
             **lowrank.EXERCISES, **efficient.EXERCISES}


def verify(name: str, student) -> None:
    """Check the student's function ``name`` against the library's (``lib.course.checks``)."""
    _verify(name, EXERCISES[name], student)


__all__ = ["EXERCISES", "Lab", "channels", "distillation", "efficient", "lab_model", "lowrank", "magnitude",
           "quantization", "verify"]
