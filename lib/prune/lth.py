"""Lottery tickets by iterative magnitude pruning with rewinding (Frankle et al.;
the paper's Alg. 1). Round 0 trains the dense model and snapshots it once at
epoch k; each later round prunes the previous round's trained weights to the next
sparsity of an exact schedule, rewinds the survivors to the round-0 snapshot and
trains again; the last round trains the ticket.

Unlike the authors' script, the snapshot is taken once (not re-taken each round),
and the per-round sparsities land exactly on the requested final one.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import ClassVar

from torch import Tensor

from ..models import fresh
from ..params import ParamError, RunParams, check_settings, validate
from ..paths import TRAIN_RUNS, round_dir, run_dir
from ..train import train
from .magnitude import SCOPES, magnitude_prune
from .rewind import RewindSnapshot, StartFrom, load_snapshot, trained_model


@dataclass(frozen=True)
class LTHParams:
    target_sparsity: float = 0.9   # of the prunable weights, after the last round
    rounds: int | None = 1         # pruning rounds; None: derived from rate
    rate: float | None = None      # fraction of the survivors pruned per round
    scope: str = "layer"           # "layer" (per tensor) or "global"
    rewind_epoch: int = 10         # k: survivors go back to their values after epoch k of round 0
    reinit: bool = False           # the control (Frankle & Carbin): survivors start from new random
                                   # weights (``reinit_seed``), not from round 0's
    # each number's range, checked with its type before any work (lib.params.check_settings)
    RANGES: ClassVar[dict] = {"target_sparsity": (0, 1, "open low open high"), "rounds": (1, 100, "integer"),
                              "rate": (0, 1, "open low open high"), "rewind_epoch": (0, 10**6, "integer")}

    def sparsities(self) -> list[float]:
        """Cumulative sparsity after each round, ending exactly at target_sparsity."""
        keep = 1 - self.target_sparsity
        rounds = self.rounds or math.ceil(math.log(keep) / math.log(1 - self.rate))
        return [1 - keep ** (r / rounds) for r in range(1, rounds)] + [self.target_sparsity]


def check(lth: LTHParams, params: RunParams) -> LTHParams:
    check_settings(lth)
    if lth.scope not in SCOPES:
        raise ParamError(f"lth.scope: expected one of {SCOPES}, got {lth.scope!r}")
    if lth.rounds is None and lth.rate is None:
        raise ParamError("lth.rounds: expected a positive number of rounds, or a rate, got neither")
    if lth.rounds and lth.rate and not math.isclose((1 - lth.rate) ** lth.rounds, 1 - lth.target_sparsity):
        raise ParamError(f"lth: {lth.rounds} rounds at rate {lth.rate} reach sparsity "
                         f"{1 - (1 - lth.rate) ** lth.rounds:.4f}, not the target {lth.target_sparsity}")
    if not 0 <= lth.rewind_epoch < params.train.epochs:
        raise ParamError(f"lth.rewind_epoch: expected 0 <= k < train.epochs ({params.train.epochs}), got {lth.rewind_epoch}")
    return lth


# The re-init control's weights come from a seed no run of the study initialises with: the
# train seed itself would redraw round 0's own epoch-0 weights (then the control would be
# rewinding to epoch 0, Frankle & Carbin's original ticket, not a random re-initialisation).
REINIT_SEED_OFFSET = 1 << 20


def reinit_seed(seed: int) -> int:
    return seed + REINIT_SEED_OFFSET


def starting_weights(params: RunParams, lth: LTHParams, round0: Path) -> dict[str, Tensor]:
    """What the survivors start from: round 0's weights after epoch k, or for the
    re-init control new random weights of the same architecture."""
    if lth.reinit:
        return fresh(trained_model(round0).arch, params.model.zero_init_residual,
                     reinit_seed(params.train.seed)).state_dict()
    return load_snapshot(round0, lth.rewind_epoch)


def lth_rounds(params: RunParams, lth: LTHParams, root: str | Path = TRAIN_RUNS,
               round0: str | Path | None = None) -> list[Path]:
    """The folders of every round; the last holds the ticket."""
    base = run_dir(root, params, "lth", asdict(lth))
    later = [round_dir(base, r) for r in range(1, len(lth.sparsities()) + 1)]
    return [Path(round0) if round0 else round_dir(base, 0), *later]


def run_lth(params: RunParams, lth: LTHParams, root: str | Path = TRAIN_RUNS, round0: str | Path | None = None,
            **train_kwargs) -> list[dict]:
    """All rounds (each a resumable run, skipped when finished); returns their metrics,
    the last being the ticket's. ``round0``: a dense run of the same parameters trained
    with a ``RewindSnapshot`` of the same epoch (the study's dense YOLOv3) to start from."""
    validate(params)
    check(lth, params)
    rounds = lth_rounds(params, lth, root, round0)
    results = [train(params, rounds[0], [RewindSnapshot(lth.rewind_epoch)], **train_kwargs)]
    snapshot = starting_weights(params, lth, rounds[0])
    for r, sparsity in enumerate(lth.sparsities(), start=1):
        masks = magnitude_prune(trained_model(rounds[r - 1]), sparsity, lth.scope)
        results.append(train(params, rounds[r], [StartFrom(snapshot, masks)], **train_kwargs))
    return results
