"""The optimiser, its parameter groups, and the schedule of the authors' scheme
(book/spec.md, Training scheme).

Groups: 0 = BatchNorm and other weights (no decay), 1 = conv and linear weights
(decay), 2 = biases (no decay). The lr follows a cosine from lr0 to lr_final * lr0,
set per epoch. Two warm-ups:

- "prebias" (the authors'): for max(round(30 / batches per epoch), 3) epochs only the
  bias group moves, its lr from 0.1 to 2 * lr0 and its momentum from 0.9 to the
  final momentum, per epoch; the weights run on the cosine from the start.
- "burn-in" (ultralytics' per-iteration ramp): every group's lr from 0 (the biases'
  from 0.1), momentum from 0.9, decay from 0 and the accumulated batches from 1,
  over max(warmup_epochs epochs, warmup_min_iters iterations).

The objectness target's GIoU share gr rises as the authors': 0 at epoch 0, 1 from
half of the training on, on a cosine.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ..params import TrainParams

WARMUP_BIAS_LR = 0.1
WARMUP_MOMENTUM = 0.9
BIASES = 2  # the bias group's index


def parameter_groups(model: nn.Module) -> tuple[list, list, list]:
    other, decayed, biases = [], [], []
    for module in model.modules():
        for name, param in module.named_parameters(recurse=False):
            if not param.requires_grad:
                continue
            if name == "bias":
                biases.append(param)
            elif isinstance(module, (nn.Conv2d, nn.Linear)):
                decayed.append(param)
            else:
                other.append(param)
    return other, decayed, biases


def make_optimizer(model: nn.Module, params: TrainParams, lr0: float) -> torch.optim.Optimizer:
    """SGD with Nesterov momentum, or Adam with beta1 = momentum; same three groups."""
    other, decayed, biases = parameter_groups(model)
    groups = [{"params": other, "weight_decay": 0.0}, {"params": decayed, "weight_decay": params.weight_decay},
              {"params": biases, "weight_decay": 0.0}]
    # fused: one kernel over all tensors instead of a loop per tensor, the same update
    # (Adam's step on YOLOv3 at width 0.25, 1 thread: 3.5 ms fused against 12.9 ms per tensor)
    if params.optimizer == "adam":
        return torch.optim.Adam(groups, lr=lr0, betas=(params.momentum, 0.999), fused=True)
    return torch.optim.SGD(groups, lr=lr0, momentum=params.momentum, nesterov=True, fused=True)


def set_momentum(group: dict, momentum: float) -> None:
    """SGD's momentum, or Adam's beta1."""
    if "betas" in group:
        group["betas"] = (momentum, group["betas"][1])
    else:
        group["momentum"] = momentum


def lr_factor(epoch: int, params: TrainParams) -> float:
    """The cosine's factor on lr0 at ``epoch``: 1 at the start, lr_final at the end
    (the authors': ((1 + cos(pi e / E)) / 2) * 0.95 + 0.05)."""
    final = params.lr_final
    return (1 + math.cos(epoch * math.pi / params.epochs)) / 2 * (1 - final) + final


def objectness_ratio(epoch: int, epochs: int) -> float:
    """gr = 1 - (1 + cos(min(2e, E) pi / E)) / 2: 0 at the first epoch, 1 from E / 2 on."""
    return 1 - (1 + math.cos(min(2 * epoch, epochs) * math.pi / epochs)) / 2


class Schedule:
    """Sets lr, momentum and decay for iteration ``ni`` of epoch ``epoch`` and says how
    many batches to accumulate."""

    def __init__(self, params: TrainParams, lr0: float, batches_per_epoch: int, world_batch: int):
        self.params, self.lr0 = params, lr0
        self.accumulate = max(round(params.nominal_batch / world_batch), 1)
        self.prebias_epochs = max(round(30 / batches_per_epoch), 3)
        self.burn_in = min(max(round(params.warmup_epochs * batches_per_epoch), params.warmup_min_iters),
                           params.epochs * batches_per_epoch)

    def epoch_lr(self, epoch: int) -> float:
        return self.lr0 * lr_factor(epoch, self.params)

    def apply(self, optimizer: torch.optim.Optimizer, ni: int, epoch: int) -> int:
        """Returns the number of batches to accumulate."""
        if self.params.warmup == "burn-in" and ni < self.burn_in:
            return self._burn_in(optimizer, ni, epoch)
        for group in optimizer.param_groups:
            group["lr"] = self.epoch_lr(epoch)
            set_momentum(group, self.params.momentum)
        optimizer.param_groups[1]["weight_decay"] = self.params.weight_decay
        if self.params.warmup == "prebias" and epoch <= self.prebias_epochs:
            span = [0, self.prebias_epochs]
            bias = optimizer.param_groups[BIASES]
            bias["lr"] = float(np.interp(epoch, span, [WARMUP_BIAS_LR, 2 * self.lr0]))
            set_momentum(bias, float(np.interp(epoch, span, [WARMUP_MOMENTUM, self.params.momentum])))
        return self.accumulate

    def _burn_in(self, optimizer: torch.optim.Optimizer, ni: int, epoch: int) -> int:
        span, lr = [0, self.burn_in], self.epoch_lr(epoch)
        for j, group in enumerate(optimizer.param_groups):
            group["lr"] = float(np.interp(ni, span, [WARMUP_BIAS_LR if j == BIASES else 0.0, lr]))
            set_momentum(group, float(np.interp(ni, span, [WARMUP_MOMENTUM, self.params.momentum])))
        optimizer.param_groups[1]["weight_decay"] = float(np.interp(ni, span, [0.0, self.params.weight_decay]))
        return max(1, round(float(np.interp(ni, span, [1, self.accumulate]))))
