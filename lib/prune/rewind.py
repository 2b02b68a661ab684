"""Rewinding, shared by the lottery ticket and continuous sparsification: keep the
weights after epoch k once, then start a later (masked) training from them."""
from __future__ import annotations

from pathlib import Path

import torch

from ..models import Detector
from ..models.io import from_state, read_file
from ..params import RunParams
from ..paths import LAST, SNAPSHOT, run_dir
from ..train import Callback, Context, train
from ..train.checkpoint import atomic_save, load_checkpoint
from .masks import apply_masks, plain_state


class RewindSnapshot(Callback):
    """Saves the weights after epoch ``epoch`` (0: before training) into the run's
    folder, once; a resumed or repeated run keeps the first snapshot."""

    name = "lth_snapshot"

    def __init__(self, epoch: int):
        self.epoch = epoch

    def _save(self, ctx: Context) -> None:
        path = Path(ctx.run_dir) / SNAPSHOT
        if not path.exists():
            atomic_save({"epoch": self.epoch, "state_dict": plain_state(ctx.model)}, path)

    def on_fit_start(self, ctx: Context) -> None:
        if self.epoch == 0:
            self._save(ctx)

    def on_epoch_end(self, ctx: Context) -> None:
        if ctx.epoch + 1 == self.epoch:
            self._save(ctx)


def train_keeping_snapshot(params: RunParams, rewind_epoch: int, root: str | Path | None = None,
                           **train_kwargs) -> dict:
    """A plain training run that also keeps its weights after ``rewind_epoch``, so that
    it can be a lottery ticket's round 0 (the study's dense YOLOv3)."""
    folder = run_dir(root, params, "train", {"rewind_epoch": rewind_epoch})
    return train(params, folder, [RewindSnapshot(rewind_epoch)], **train_kwargs)


def load_snapshot(run_dir: str | Path, epoch: int) -> dict[str, torch.Tensor]:
    """The weights a run kept after ``epoch``; an error if it kept none or another epoch."""
    path = Path(run_dir) / SNAPSHOT
    if not path.exists():
        raise ValueError(f"rewind: {run_dir} kept no rewind snapshot ({SNAPSHOT}); train it with RewindSnapshot")
    saved = read_file(path, "rewind snapshot", f"delete {run_dir} to train that run again")
    if saved["epoch"] != epoch:
        raise ValueError(f"rewind_epoch: {epoch}, but {path} holds epoch {saved['epoch']}")
    return saved["state_dict"]


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


def last_state(run_dir: str | Path) -> dict:
    """A run's last checkpoint: its architecture and weights (masks and scores included)."""
    return load_checkpoint(Path(run_dir) / LAST)


def trained_model(run_dir: str | Path) -> Detector:
    """The last weights of a run (masked if it was)."""
    state = last_state(run_dir)
    return from_state(state["arch"], state["model"])
