"""Training from scratch by the common scheme: the paper's *Default* rows, and the dense
reference at the budget of the pruned rows (``epoch_multiple``). The run also keeps
its weights after epoch k, so that it can be a lottery ticket's round 0 (the study's
dense YOLOv3 is)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..method import Method, Outcome
from ..params import check_settings, override
from ..prune.rewind import train_keeping_snapshot


@dataclass(frozen=True)
class ScratchParams:
    rewind_epoch: int = 10   # the epoch whose weights are kept for rewinding (the study gives the profile's)
    epoch_multiple: int = 1  # train.epochs times this: 2 is the budget of a ticket (dense run + retraining)
    # each number's range, checked with its type before any work (lib.params.check_settings)
    RANGES: ClassVar[dict] = {"rewind_epoch": (0, 10**6, "integer"), "epoch_multiple": (1, 100, "integer")}


def run(params, settings: ScratchParams, inputs, root, log) -> Outcome:
    check_settings(settings)
    params = override(params, **{"train.epochs": params.train.epochs * settings.epoch_multiple})
    return Outcome(train_keeping_snapshot(params, settings.rewind_epoch, root, log=log), params)


METHOD = Method(key="train", settings=ScratchParams, family="trained from scratch", page="training",
                template="01_baseline", run=run)
