"""Training from scratch by the common scheme: the paper's *Default* rows. The run also
keeps its weights after epoch k, so that it can be a lottery ticket's round 0 (the
study's dense YOLOv3 is)."""
from __future__ import annotations

from dataclasses import dataclass

from ..method import Method, Outcome
from ..prune.rewind import train_keeping_snapshot


@dataclass(frozen=True)
class ScratchParams:
    rewind_epoch: int = 10   # the epoch whose weights are kept for rewinding (the study gives the profile's)


def run(params, settings: ScratchParams, inputs, root, log) -> Outcome:
    return Outcome(train_keeping_snapshot(params, settings.rewind_epoch, root, log=log), params)


METHOD = Method(key="train", settings=ScratchParams, family="trained from scratch", page="training",
                template="01_baseline", run=run)
