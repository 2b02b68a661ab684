"""Training from scratch by the common scheme: the paper's *Default* rows, and the dense
reference at the budget of the pruned rows (``epoch_multiple``). The run also keeps
its weights after epoch k, so that it can be a lottery ticket's round 0 (the study's
dense YOLOv3 is)."""
from __future__ import annotations

from dataclasses import dataclass

from ..method import Method, Outcome
from ..params import override
from ..prune.rewind import train_keeping_snapshot


@dataclass(frozen=True)
class ScratchParams:
    rewind_epoch: int = 10   # the epoch whose weights are kept for rewinding (the study gives the profile's)
    epoch_multiple: int = 1  # train.epochs times this: 2 is the budget of a ticket (dense run + retraining)


def run(params, settings: ScratchParams, inputs, root, log) -> Outcome:
    if not isinstance(settings.epoch_multiple, int) or settings.epoch_multiple < 1:
        raise ValueError(f"train.epoch_multiple: expected a positive integer, got {settings.epoch_multiple!r}")
    params = override(params, **{"train.epochs": params.train.epochs * settings.epoch_multiple})
    return Outcome(train_keeping_snapshot(params, settings.rewind_epoch, root, log=log), params)


METHOD = Method(key="train", settings=ScratchParams, family="trained from scratch", page="training",
                template="01_baseline", run=run)
