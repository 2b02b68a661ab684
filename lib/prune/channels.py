"""Structured (channel) pruning: whole filters removed, so the result is a smaller
dense model that runs faster on any hardware, not a masked one.

Torch-Pruning's dependency graph (DepGraph, Fang et al. 2023) finds the channels
that must go together: YOLOv3's residual adds couple the channels of every block
they join, its routes concatenate. Importance is the filters' L1 magnitude, or the
BatchNorm scale |gamma| (network slimming, Liu et al. 2017), which ``SlimmingPenalty``
drives toward zero during a training run first. The output convs keep every channel.
The pruning ratio is found by bisection so that the slim model's MACs (or
parameters) are at most the requested share of the original's.
"""
from __future__ import annotations

import copy
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import ClassVar

import torch
import torch_pruning as tp
from torch import Tensor, nn

from ..counting import count_macs, count_params
from ..models import Detector, channel_counts, fresh, load_weights
from ..params import ParamError, RunParams, check_settings, override, validate
from ..paths import BEST, TRAIN_RUNS, run_dir
from ..train import Callback, Context, train

IMPORTANCES = ("magnitude", "bn")
TRACE_SIZE = 128      # the input the graph is traced and MACs counted at: a conv net's MAC *ratio* is size-free
MAX_LAYER_RATIO = 0.9  # no layer loses more than this share of its channels (a layer must keep some)
GRID = [round(0.05 * i, 2) for i in range(1, 19)]  # 0.05 ... MAX_LAYER_RATIO
BISECTION_STEPS = 8    # then the ratio to within 0.05 / 2^8


@dataclass(frozen=True)
class ChannelParams:
    macs_ratio: float = 0.11       # slim MACs / original MACs, at most (the paper's LTH Local row: ~11%)
    importance: str = "magnitude"  # "magnitude" (filters' L1) or "bn" (|gamma| after training with an L1 term)
    slimming_lam: float = 1e-4     # "bn": the L1 term's weight on sum |gamma| (Liu et al.: 1e-4)
    from_scratch: bool = False     # the control (Liu et al. 2019, Scratch-B): the slim architecture from
                                   # new weights, trained as long as the source and fine-tuning together
    # each number's range, checked with its type before any work (lib.params.check_settings)
    RANGES: ClassVar[dict] = {"macs_ratio": (0, 1, "open low open high"), "slimming_lam": (0, 1, "")}


def check(cp: ChannelParams) -> ChannelParams:
    check_settings(cp)
    if cp.importance not in IMPORTANCES:
        raise ParamError(f"channels.importance: expected one of {IMPORTANCES}, got {cp.importance!r}")
    return cp


def _check_plain(model: nn.Module) -> None:
    if any(hasattr(m, "weight_mask") or hasattr(m, "parametrizations") for m in model.modules()):
        raise ValueError("channel_prune: the model carries masks or soft masks; give a dense model "
                         "(channel pruning removes whole filters of a dense model)")


def _pruned(model: Detector, ratio: float, importance: str) -> Detector:
    """A copy of ``model`` with ``ratio`` of its channels removed (per layer for
    magnitude; by one threshold across layers for the BatchNorm scale, as Liu et al.)."""
    slim = copy.deepcopy(model).eval()
    if ratio > 0:
        example = torch.zeros(1, 3, TRACE_SIZE, TRACE_SIZE, device=next(model.parameters()).device)
        scorer = tp.importance.BNScaleImportance() if importance == "bn" else tp.importance.MagnitudeImportance(p=1)
        pruner = tp.pruner.MetaPruner(slim, example, importance=scorer, pruning_ratio=ratio,
                                      global_pruning=importance == "bn", max_pruning_ratio=MAX_LAYER_RATIO,
                                      ignored_layers=slim.output_convs())
        pruner.step()
    slim.arch = {**model.arch, "channels": channel_counts(slim)}
    return slim


def channel_prune(model: Detector, macs_ratio: float | None = None, *, params_ratio: float | None = None,
                  importance: str = "magnitude") -> Detector:
    """The slim copy of ``model`` whose MACs (or, with ``params_ratio``, parameters) are
    at most that share of the original's, keeping as many channels as that allows.
    Its ``arch`` records its channel counts, so ``save_weights`` / ``load_weights``
    round-trip it and it trains like any model. ``model`` is left as it was."""
    if (macs_ratio is None) == (params_ratio is None):
        raise ValueError("channel_prune: give one target, macs_ratio or params_ratio")
    target = macs_ratio if macs_ratio is not None else params_ratio
    check(ChannelParams(macs_ratio=target, importance=importance))
    _check_plain(model)

    def cost(m: nn.Module) -> int:
        return count_macs(m, TRACE_SIZE)["macs"] if macs_ratio is not None else count_params(m)

    full = cost(model)
    # The cost is not monotone in the ratio over the whole range (global thresholds
    # clamped per layer), so first the smallest ratio on a coarse grid that is within
    # the target, then bisection between it and the grid point before.
    low, best = 0.0, None
    for high in GRID:
        best = _pruned(model, high, importance)
        if cost(best) / full <= target:
            break
        low = high
    else:
        raise ValueError(f"channel_prune: removing up to {MAX_LAYER_RATIO:.0%} of the channels leaves "
                         f"{cost(best) / full:.3f} of the cost, above the target {target}")
    for _ in range(BISECTION_STEPS):
        middle = (low + high) / 2
        candidate = _pruned(model, middle, importance)
        if cost(candidate) / full <= target:
            high, best = middle, candidate
        else:
            low = middle
    return best


class SlimmingPenalty(Callback):
    """Network slimming's training term: lam * sum |gamma| over every BatchNorm, which
    drives the scales of unneeded channels toward zero before pruning by them."""

    name = "slimming_penalty"

    def __init__(self, lam: float):
        self.lam = lam

    def extra_loss(self, ctx: Context, images, targets, outputs) -> dict[str, Tensor]:
        gammas = [m.weight for m in ctx.model.modules() if isinstance(m, nn.BatchNorm2d)]
        return {"bn_l1": self.lam * sum(g.abs().sum() for g in gammas)}


def run_channels(params: RunParams, cp: ChannelParams, root: str | Path | None = TRAIN_RUNS,
                 dense: str | Path | None = None, **train_kwargs) -> list[dict]:
    """The source run, then the slim model fine-tuned for ``params.train.epochs``; their
    metrics. The source: for "magnitude", the trained dense run in ``dense`` (the
    study's YOLOv3) or one trained here; for "bn", a run from scratch with the
    network-slimming term. ``cp.from_scratch``: the slim architecture trained from new
    weights (the train seed's) for the source's epochs plus ``params.train.epochs``
    instead of fine-tuned."""
    validate(params)
    check(cp)
    base = run_dir(root, params, "channels", asdict(cp))
    if cp.importance == "bn":
        source = train(params, base / "sparsity", [SlimmingPenalty(cp.slimming_lam)], **train_kwargs)
    else:
        source = train(params, Path(dense) if dense else base / "dense", **train_kwargs)
    slim = channel_prune(load_weights(Path(source["run_dir"]) / BEST), cp.macs_ratio, importance=cp.importance)
    if cp.from_scratch:
        scratch = override(params, **{"train.epochs": source["epochs"] + params.train.epochs})
        model = fresh(slim.arch, params.model.zero_init_residual, params.train.seed)
        return [source, train(scratch, base / "scratch", model=model, **train_kwargs)]
    return [source, train(params, base / "finetune", model=slim, **train_kwargs)]
