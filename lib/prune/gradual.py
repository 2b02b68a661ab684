"""Pruning during training (Yin et al. 2020, with Zhu & Gupta's 2017 cubic schedule):
one training run that prunes as it goes, so the compressed model is ready when it
ends, with no separate retraining.

The sparsity follows s_t = s_f + (s_i - s_f) (1 - (t - t0) / (n dt))^3 for
t0 <= t <= t0 + n dt (iterations), s_i before and s_f after; the masks are updated at
t0, t0 + dt, ..., t0 + n dt. Two variants: ``weights`` (unstructured magnitude masks,
the study's sparse file) and ``filters`` (whole channels, by coupling group, 1 - sqrt(1 - s_t)
of each so that about s_t of the weights go; the run keeps the slim model cut from them). Only epochs that end at the final sparsity can
be the run's result.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import ClassVar

import torch

from ..models import Detector
from ..params import ParamError, RunParams, check_settings, override, validate
from ..paths import TRAIN_RUNS, run_dir
from ..train import Callback, Context, train
from .filters import FilterMasks, compact
from .magnitude import SCOPES, magnitude_prune
from .masks import apply_masks, prunable_layers, sparsity as mask_sparsity

STRUCTURES = ("weights", "filters")


@dataclass(frozen=True)
class GradualParams:
    final_sparsity: float = 0.9    # s_f: of the prunable weights (filters: about, see channel_share)
    initial_sparsity: float = 0.0  # s_i
    start: float = 0.1             # t0, as a fraction of the run's iterations
    end: float = 0.6               # t0 + n dt, as a fraction: the rest trains at s_f
    updates: int = 10              # n: mask updates after the one at t0 (dt = (end - start) / n of the run)
    structure: str = "weights"     # "weights" (unstructured) or "filters" (channels)
    scope: str = "layer"           # weights: "layer" (each tensor) or "global" (one threshold)
    epoch_multiple: int = 2        # the run trains train.epochs x this: 2 is LTH's and CS's total
                                   # (a dense or search run, then the ticket's)
    # each number's range, checked with its type before any work (lib.params.check_settings)
    RANGES: ClassVar[dict] = {"final_sparsity": (0, 1, "open low open high"), "initial_sparsity": (0, 1, "open high"),
                              "start": (0, 1, "open high"), "end": (0, 1, "open low open high"),
                              "updates": (1, 10**4, "integer"), "epoch_multiple": (1, 100, "integer")}


def check(g: GradualParams) -> GradualParams:
    check_settings(g)
    if not g.initial_sparsity < g.final_sparsity:
        raise ParamError(f"gradual.initial_sparsity: expected 0 <= s_i < s_f, got {g.initial_sparsity!r}")
    if not g.start < g.end:
        raise ParamError(f"gradual.start, gradual.end: expected 0 <= start < end < 1 (fractions of the run; the "
                         f"last epochs train at the final sparsity), got {g.start!r}, {g.end!r}")
    if g.structure not in STRUCTURES:
        raise ParamError(f"gradual.structure: expected one of {STRUCTURES}, got {g.structure!r}")
    if g.scope not in SCOPES:
        raise ParamError(f"gradual.scope: expected one of {SCOPES}, got {g.scope!r}")
    return g


def cubic_sparsity(t: float, s_i: float, s_f: float, t0: float, n: int, dt: float) -> float:
    """Zhu & Gupta's s_t at iteration ``t``: s_i before t0, s_f from t0 + n dt on."""
    progress = (t - t0) / (n * dt)
    if progress <= 0 or progress >= 1:  # exactly the end points, not the formula's float error there
        return s_i if progress <= 0 else s_f
    return s_f + (s_i - s_f) * (1 - progress) ** 3


@dataclass(frozen=True)
class Schedule:
    """The cubic schedule in a run's iterations."""

    s_i: float
    s_f: float
    t0: float
    n: int
    dt: float

    @classmethod
    def of(cls, g: GradualParams, iterations: int) -> "Schedule":
        return cls(g.initial_sparsity, g.final_sparsity, g.start * iterations, g.updates,
                   (g.end - g.start) * iterations / g.updates)

    def updates_due(self, t: int) -> int:
        """Mask updates due once ``t`` iterations have run (0 .. n + 1)."""
        return 0 if t < self.t0 else min(self.n, int((t - self.t0) // self.dt)) + 1

    def sparsity_of_update(self, k: int) -> float:
        """The target of update k (1-based: update 1 is at t0)."""
        return cubic_sparsity(self.t0 + (k - 1) * self.dt, self.s_i, self.s_f, self.t0, self.n, self.dt)


def channel_share(weight_sparsity: float) -> float:
    """The share of channels to mask so that about ``weight_sparsity`` of the weights go:
    a conv's weights scale with its input times its output channels."""
    return 1 - (1 - weight_sparsity) ** 0.5


class GradualPruning(Callback):
    """Prunes the model being trained along the cubic schedule; see the module's docstring."""

    name = "gradual_pruning"

    def __init__(self, g: GradualParams):
        self.g, self.done = g, 0
        self.schedule: Schedule | None = None
        self.filters: FilterMasks | None = None

    def on_fit_start(self, ctx: Context) -> None:
        self.schedule = Schedule.of(self.g, ctx.batches * ctx.epochs)
        if self.g.structure == "weights":  # masks of ones from the start: every checkpoint has the same keys
            apply_masks(ctx.model, {n: torch.ones_like(m.weight) for n, m in prunable_layers(ctx.model).items()})
        else:
            self.filters = FilterMasks(ctx.model)

    def on_step_end(self, ctx: Context) -> None:
        due = self.schedule.updates_due(ctx.iteration + 1)
        if due > self.done:
            self.done = due
            self.prune_to(ctx.model, self.schedule.sparsity_of_update(due))
        elif self.filters is not None:
            self.filters.zero()  # the optimiser moved the masked channels' weights

    def prune_to(self, model: Detector, target: float) -> None:
        if target <= 0:
            return
        if self.filters is not None:
            self.filters.prune_to(channel_share(target))
        else:
            magnitude_prune(model, target, self.g.scope)

    def sparsity(self, model: Detector) -> float:
        """Of the masks: weights masked (weights), channels masked (filters)."""
        if self.filters is not None:
            return self.filters.sparsity()
        return mask_sparsity({n: m.weight_mask for n, m in prunable_layers(model).items()})

    def on_epoch_end(self, ctx: Context) -> None:
        ctx.history[-1]["gradual_sparsity"] = self.sparsity(ctx.model)

    def final_model(self, ctx: Context, model):
        if self.done < self.schedule.n + 1:
            return None  # still pruning: not a result
        return compact(model, self.filters.masked) if self.filters is not None else model

    def state_dict(self) -> dict:
        return {"done": self.done, "masked": self.filters.masked if self.filters is not None else {}}

    def load_state_dict(self, state: dict) -> None:
        self.done = state.get("done", 0)
        if self.filters is not None:
            self.filters.set_masked(state.get("masked", {}))


def gradual_folder(params: RunParams, g: GradualParams, root: str | Path | None = TRAIN_RUNS) -> Path:
    return run_dir(root, params, "gradual", asdict(g))


def gradual_params(params: RunParams, g: GradualParams) -> RunParams:
    """The run's parameters: ``params`` with ``epoch_multiple`` times its epochs."""
    return override(params, **{"train.epochs": params.train.epochs * g.epoch_multiple})


def run_gradual(params: RunParams, g: GradualParams, root: str | Path | None = TRAIN_RUNS, **train_kwargs) -> dict:
    """One training run from scratch that ends pruned; its metrics (its best model file
    is the masked model, or the slim one for filters)."""
    check(g)
    params = validate(gradual_params(params, g))
    return train(params, gradual_folder(params, g, root), [GradualPruning(g)], **train_kwargs)
