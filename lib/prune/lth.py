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

import torch

from ..models import Detector
from ..models.io import from_state
from ..params import RunParams, stable_hash, validate
from ..train import Callback, Context, train
from ..train.checkpoint import atomic_save, load_checkpoint
from .magnitude import SCOPES, check_sparsity, magnitude_prune
from .masks import apply_masks, plain_state


@dataclass(frozen=True)
class LTHParams:
    target_sparsity: float = 0.9   # of the prunable weights, after the last round
    rounds: int | None = 1         # pruning rounds; None: derived from rate
    rate: float | None = None      # fraction of the survivors pruned per round
    scope: str = "layer"           # "layer" (per tensor) or "global"
    rewind_epoch: int = 10         # k: survivors go back to their values after epoch k of round 0

    def sparsities(self) -> list[float]:
        """Cumulative sparsity after each round, ending exactly at target_sparsity."""
        keep = 1 - self.target_sparsity
        rounds = self.rounds or math.ceil(math.log(keep) / math.log(1 - self.rate))
        return [1 - keep ** (r / rounds) for r in range(1, rounds)] + [self.target_sparsity]


def check(lth: LTHParams, params: RunParams) -> LTHParams:
    check_sparsity(lth.target_sparsity, "lth.target_sparsity")
    if lth.scope not in SCOPES:
        raise ValueError(f"lth.scope: expected one of {SCOPES}, got {lth.scope!r}")
    if lth.rate is not None:
        check_sparsity(lth.rate, "lth.rate")
    if (lth.rounds is None and lth.rate is None) or (lth.rounds is not None and lth.rounds < 1):
        raise ValueError(f"lth.rounds: expected a positive number of rounds, or a rate, got {lth.rounds!r}")
    if lth.rounds and lth.rate and not math.isclose((1 - lth.rate) ** lth.rounds, 1 - lth.target_sparsity):
        raise ValueError(f"lth: {lth.rounds} rounds at rate {lth.rate} reach sparsity "
                         f"{1 - (1 - lth.rate) ** lth.rounds:.4f}, not the target {lth.target_sparsity}")
    if not 0 <= lth.rewind_epoch < params.train.epochs:
        raise ValueError(f"lth.rewind_epoch: expected 0 <= k < train.epochs ({params.train.epochs}), got {lth.rewind_epoch}")
    return lth


SNAPSHOT = "rewind.pt"


class RewindSnapshot(Callback):
    """Saves the weights after epoch ``epoch`` (0: before training) to ``path``, once."""

    name = "lth_snapshot"

    def __init__(self, epoch: int, path: Path):
        self.epoch, self.path = epoch, Path(path)

    def _save(self, ctx: Context) -> None:
        if not self.path.exists():
            atomic_save({"epoch": self.epoch, "state_dict": plain_state(ctx.model)}, self.path)

    def on_fit_start(self, ctx: Context) -> None:
        if self.epoch == 0:
            self._save(ctx)

    def on_epoch_end(self, ctx: Context) -> None:
        if ctx.epoch + 1 == self.epoch:
            self._save(ctx)


def rewind(model: Detector, snapshot: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]) -> None:
    """Attach ``masks``, then set every weight and buffer to the (dense) snapshot."""
    apply_masks(model, masks)
    masked = {f"{name}.weight" for name in masks}
    state = {(f"{k}_orig" if k in masked else k): v for k, v in snapshot.items()}
    state.update({f"{name}.weight_mask": mask for name, mask in masks.items()})
    model.load_state_dict(state)


class StartFrom(Callback):
    """Starts a round from the rewound, masked weights (before any resume)."""

    name = "lth_start"

    def __init__(self, snapshot: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]):
        self.snapshot, self.masks = snapshot, masks

    def on_fit_start(self, ctx: Context) -> None:
        rewind(ctx.model, self.snapshot, self.masks)


def trained_model(run_dir: Path) -> Detector:
    """The last weights of a round (masked if it was)."""
    state = load_checkpoint(run_dir / "last.pt")
    return from_state(state["arch"], state["model"])


def lth_dir(params: RunParams, lth: LTHParams, root: str | Path = "runs") -> Path:
    """The folder of an LTH run's rounds; the ticket is its last ``round-<n>``."""
    return Path(root) / f"lth-{stable_hash({'run': params.to_dict(), 'lth': asdict(lth)})}"


def run_lth(params: RunParams, lth: LTHParams, root: str | Path = "runs", round0: str | Path | None = None,
            **train_kwargs) -> list[dict]:
    """All rounds (each a resumable run, skipped when finished); returns their metrics,
    the last being the ticket's. ``round0``: a dense run of the same parameters trained
    with a ``RewindSnapshot`` of the same epoch (the study's dense YOLOv3) to start from."""
    validate(params)
    check(lth, params)
    base = lth_dir(params, lth, root)
    rounds = [Path(round0) if round0 else base / "round-0"] + [base / f"round-{r}" for r in range(1, len(lth.sparsities()) + 1)]
    snapshot_path = rounds[0] / SNAPSHOT
    results = [train(params, rounds[0], [RewindSnapshot(lth.rewind_epoch, snapshot_path)], **train_kwargs)]
    if not snapshot_path.exists():
        raise ValueError(f"round0: {rounds[0]} has no rewind snapshot {SNAPSHOT}; train it with RewindSnapshot")
    saved = torch.load(snapshot_path, weights_only=True)
    if saved["epoch"] != lth.rewind_epoch:
        raise ValueError(f"lth.rewind_epoch: {lth.rewind_epoch}, but {snapshot_path} holds epoch {saved['epoch']}")
    for r, sparsity in enumerate(lth.sparsities(), start=1):
        masks = magnitude_prune(trained_model(rounds[r - 1]), sparsity, lth.scope)
        results.append(train(params, rounds[r], [StartFrom(saved["state_dict"], masks)], **train_kwargs))
    return results
