"""How big a lab runs: ``laptop`` (the default, a student's 2-core machine, minutes per
lab) or ``smoke`` (the tests': seconds, a model too small to learn). A lab notebook
names its scale in its parameters cell; everything it trains follows from the scale."""
from __future__ import annotations

from dataclasses import dataclass

from ..params import ParamError


@dataclass(frozen=True)
class LabScale:
    name: str
    profile: str                  # the study's profile the lab's detector is trained at (lib.profiles)
    finetune_epochs: int          # a target's brief fine-tune
    kd_epochs: int                # each student of the distillation lab, with and without its teacher
    kd_seeds: tuple[int, ...]     # the distillation lab's seeds
    # a target's validation mAP@0.5 is at least this share of the dense model's; at the
    # smoke scale nothing learns, so its targets check the sizes only (share 0)
    map_share: float


SCALES: dict[str, LabScale] = {
    "laptop": LabScale("laptop", "cpu", finetune_epochs=2, kd_epochs=10, kd_seeds=(0, 1), map_share=0.9),
    "smoke": LabScale("smoke", "smoke", finetune_epochs=1, kd_epochs=1, kd_seeds=(0, 1), map_share=0.0),
}


def lab_scale(name: str) -> LabScale:
    if name not in SCALES:
        raise ParamError(f"scale: expected one of {sorted(SCALES)}, got {name!r}")
    return SCALES[name]
