"""What every lab's target check shares: a failed condition is an AssertionError saying
what was expected (otter-grader's failed test), and one line says where the student stands."""
from __future__ import annotations

from .model import Lab


FINETUNE_AT_MOST = 4  # the epochs of fine-tuning a target lets the student choose, at most


def require(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def require_epochs(finetune_epochs) -> None:
    require(isinstance(finetune_epochs, int) and not isinstance(finetune_epochs, bool)
            and 1 <= finetune_epochs <= FINETUNE_AT_MOST,
            f"finetune_epochs: expected a whole number from 1 to {FINETUNE_AT_MOST}, got {finetune_epochs!r}")


def target_line(lab: Lab, score: float, size: str) -> str:
    return (f"{size}; validation mAP@0.5 {score:.3f} (dense {lab.dense_map50:.3f}, "
            f"target at least {lab.scale.map_share * lab.dense_map50:.3f})")


def require_map(lab: Lab, score: float) -> None:
    """The validation mAP@0.5 a target asks: at least the scale's share of the dense model's."""
    require(score >= lab.scale.map_share * lab.dense_map50,
            f"validation mAP@0.5 {score:.3f} is below {lab.scale.map_share:.0%} of the dense model's "
            f"{lab.dense_map50:.3f}")
