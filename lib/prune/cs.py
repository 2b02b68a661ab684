"""Continuous Sparsification (Savarese et al.; the paper's Alg. 2), as its reference
code (lolemacs/continuous-sparsification) and the authors ran it.

Every prunable weight w gets a score s and is used as w * m with the soft mask
m = sigmoid(beta * s) / sigmoid(s0) (so m = 1 at the start). The loss gains
lambda * sum(m); the scores train with their own SGD, whose lr follows the weights'
cosine. Within a round beta grows each epoch by 200^(1 / (E - 1)), reaching 200 at
its last epoch, which pushes m toward 0/1. Between rounds beta returns to 1 first,
then s <- min(beta * s, s0) = min(s, s0), and the weights go on from where the round
left them. After the last round the mask is binarised, 1[s > 0], the weights are
rewound once to the round-0 epoch-k snapshot, and the ticket trains with the mask frozen.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import ClassVar

import torch
from torch import Tensor, nn
from torch.nn.utils import parametrize

from ..models import Detector
from ..params import ParamError, RunParams, check_settings, override, validate
from ..paths import TRAIN_RUNS, round_dir, run_dir, ticket_dir
from ..train import Callback, Context, train
from ..train.optim import lr_factor
from .masks import plain_weights, prunable_layers
from .rewind import RewindSnapshot, StartFrom, last_state, load_snapshot

FINAL_BETA = 200.0


@dataclass(frozen=True)
class CSParams:
    rounds: int = 1               # the paper: "CS 1 It" (1 x 300 epochs), "CS 3 It" (3 x 100)
    round_epochs: int | None = None  # epochs of each soft-mask round; None: train.epochs // rounds, as the
                                     # paper's 1 x 300 and 3 x 100; the ticket trains train.epochs
    lam: float = 1e-8             # lambda (the paper's text says 1e-5; its code used 1e-8)
    s0: float = -0.1              # initial score
    mask_lr: float = 0.1          # the scores' SGD: Nesterov momentum 0.9, no decay
    rewind_epoch: int = 10
    # each number's range, checked with its type before any work (lib.params.check_settings)
    RANGES: ClassVar[dict] = {"rounds": (1, 100, "integer"), "round_epochs": (1, 10**6, "integer"), "lam": (0, 1, ""),
                              "s0": (-100, 100, ""), "mask_lr": (0, 100, "open low"), "rewind_epoch": (0, 10**6, "integer")}


def epochs_per_round(cs: CSParams, params: RunParams) -> int:
    return cs.round_epochs or max(1, params.train.epochs // cs.rounds)


def check(cs: CSParams, params: RunParams) -> CSParams:
    check_settings(cs)
    if not 0 <= cs.rewind_epoch < min(epochs_per_round(cs, params), params.train.epochs):
        raise ParamError(f"cs.rewind_epoch: expected 0 <= k < the epochs of a round and of the ticket, got {cs.rewind_epoch}")
    return cs


class SoftMask(nn.Module):
    """Parametrisation: weight -> weight * sigmoid(beta * score) / sigmoid(s0)."""

    def __init__(self, like: Tensor, s0: float, scores: Tensor | None = None):
        """``like``: the weight, whose shape, device and memory layout the scores take
        (channels-last convs in CPU training, ``lib.train.run.training_form``: scores
        in the default layout sent every product of a CS step down the strided path);
        ``scores``: their values (default: s0)."""
        super().__init__()
        score = torch.full_like(like, s0) if scores is None else torch.empty_like(like).copy_(scores)
        self.score = nn.Parameter(score.detach())
        self.norm = 1 + math.exp(-s0)  # 1 / sigmoid(s0)
        self.beta = 1.0
        self.last: Tensor | None = None  # the mask of the latest forward that tracked gradients

    def mask(self) -> Tensor:
        return torch.sigmoid(self.beta * self.score) * self.norm

    def forward(self, weight: Tensor) -> Tensor:
        mask = self.mask()
        if mask.requires_grad:
            self.last = mask
        return weight * mask

    def step_mask(self) -> Tensor:
        """The mask the training step's forward used, in its graph (then forgotten), so
        that the L0 term does not compute the sigmoid and its backward a second time
        (a CS search step on YOLOv3 at the cpu profile: 210 -> 174 ms); computed afresh
        if no such forward ran."""
        mask, self.last = self.last, None
        return mask if mask is not None else self.mask()


def soft_masks(model: nn.Module) -> dict[str, SoftMask]:
    return {name: m.parametrizations.weight[0] for name, m in model.named_modules()
            if parametrize.is_parametrized(m, "weight") and isinstance(m.parametrizations.weight[0], SoftMask)}


def beta_at(epoch: int, epochs: int) -> float:
    """1 at a round's first epoch, FINAL_BETA at its last."""
    return FINAL_BETA ** (epoch / (epochs - 1)) if epochs > 1 else FINAL_BETA


class SoftMasks(Callback):
    """A round of CS: starts from the given weights (the previous round's last ones),
    attaches soft masks (scores carried from the previous round, or s0), schedules
    beta and the scores' lr (the weights' cosine), adds lambda * sum(m)."""

    name = "cs_masks"

    def __init__(self, cs: CSParams, scores: dict[str, Tensor] | None = None,
                 weights: dict[str, Tensor] | None = None):
        self.cs, self.scores, self.weights = cs, scores, weights
        self.optimizer: torch.optim.Optimizer | None = None

    def on_fit_start(self, ctx: Context) -> None:
        model: Detector = ctx.model
        if self.weights is not None:
            model.load_state_dict(self.weights)  # before the masks wrap the weights
        for name, conv in prunable_layers(model).items():
            init = None if self.scores is None else self.scores[name]
            parametrize.register_parametrization(conv, "weight", SoftMask(conv.weight, self.cs.s0, init))
        scores = [m.score for m in soft_masks(model).values()]
        # fused: one kernel over every score tensor, the same update (as the weights' optimiser)
        self.optimizer = torch.optim.SGD(scores, lr=self.cs.mask_lr, momentum=0.9, nesterov=True, fused=True)

    def on_epoch_start(self, ctx: Context) -> None:
        for m in soft_masks(ctx.model).values():
            m.beta = beta_at(ctx.epoch, ctx.epochs)
        for group in self.optimizer.param_groups:  # the scores follow the weights' schedule
            group["lr"] = self.cs.mask_lr * lr_factor(ctx.epoch, ctx.params.train)

    def extra_loss(self, ctx, images, targets, outputs) -> dict[str, Tensor]:
        return {"mask_l0": self.cs.lam * sum(m.step_mask().sum() for m in soft_masks(ctx.model).values())}

    def on_epoch_end(self, ctx: Context) -> None:
        masks = soft_masks(ctx.model).values()
        total = sum(m.score.numel() for m in masks)
        ctx.history[-1]["cs_sparsity"] = sum(int((m.score <= 0).sum()) for m in masks) / total
        ctx.history[-1]["cs_beta"] = beta_at(ctx.epoch, ctx.epochs)

    def optimizers(self) -> list[torch.optim.Optimizer]:
        return [self.optimizer] if self.optimizer is not None else []


def scores_of(state: dict[str, Tensor]) -> dict[str, Tensor]:
    """The scores in a round's checkpointed weights, by layer name."""
    suffix = ".parametrizations.weight.0.score"
    return {k.removesuffix(suffix): v for k, v in state.items() if k.endswith(suffix)}


def carry_over(scores: dict[str, Tensor], s0: float) -> dict[str, Tensor]:
    """Scores carried into the next round, as the reference code: beta returns to 1
    first, then s <- min(beta * s, s0) = min(s, s0), so a weight not clearly pruned
    restarts near m = 1 and is searched again."""
    return {k: torch.clamp(v, max=s0) for k, v in scores.items()}


def binarised(scores: dict[str, Tensor]) -> dict[str, Tensor]:
    """The ticket's mask 1[s > 0]."""
    return {k: (v > 0).float() for k, v in scores.items()}


def cs_folder(params: RunParams, cs: CSParams, root: str | Path = TRAIN_RUNS) -> Path:
    """The folder of a CS run: its search rounds, then its ticket (``lib.paths``)."""
    return run_dir(root, params, "cs", asdict(cs))


def run_cs(params: RunParams, cs: CSParams, root: str | Path = TRAIN_RUNS, **train_kwargs) -> list[dict]:
    """All soft-mask rounds, then the ticket; returns their metrics (the ticket's last)."""
    validate(params)
    check(cs, params)
    base = cs_folder(params, cs, root)
    round_params = override(params, **{"train.epochs": epochs_per_round(cs, params)})
    results, scores, weights = [], None, None
    for r in range(cs.rounds):  # each round goes on from the last one's weights and scores
        callbacks = [SoftMasks(cs, scores, weights)]
        if r == 0:
            callbacks.append(RewindSnapshot(cs.rewind_epoch))
        results.append(train(round_params, round_dir(base, r), callbacks, **train_kwargs))
        state = last_state(round_dir(base, r))["model"]  # read once: the round's scores and weights
        last, weights = scores_of(state), plain_weights(state)
        scores = carry_over(last, cs.s0)
    masks = binarised(last)
    snapshot = load_snapshot(round_dir(base, 0), cs.rewind_epoch)  # the one rewind: before the ticket
    results.append(train(params, ticket_dir(base), [StartFrom(snapshot, masks)], **train_kwargs))
    return results


def search_history(results: list[dict]) -> list[dict]:
    """Each search round's per-epoch mask sparsity and beta, from ``run_cs``'s metrics."""
    return [{"round": r, "epoch": h["epoch"], "sparsity": h["cs_sparsity"], "beta": h["cs_beta"]}
            for r, rnd in enumerate(results[:-1]) for h in rnd["history"]]
