"""SGD with the paper's parameter groups, cosine schedule and burn-in warm-up.

Groups: 0 = BatchNorm and other weights (no decay), 1 = conv and linear weights
(decay), 2 = biases (no decay). During burn-in the bias lr falls from 0.1 and the
others rise from 0, momentum rises from 0.9, decay from 0, and the number of
accumulated batches rises from 1 (ultralytics/yolov3, early 2020).
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ..params import TrainParams

WARMUP_BIAS_LR = 0.1
WARMUP_MOMENTUM = 0.9


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
    if params.optimizer == "adam":
        return torch.optim.Adam(groups, lr=lr0, betas=(params.momentum, 0.999))
    return torch.optim.SGD(groups, lr=lr0, momentum=params.momentum, nesterov=True)


def set_momentum(group: dict, momentum: float) -> None:
    """SGD's momentum, or Adam's beta1."""
    if "betas" in group:
        group["betas"] = (momentum, group["betas"][1])
    else:
        group["momentum"] = momentum


class Schedule:
    """Sets lr, momentum and decay for iteration ``ni`` of epoch ``epoch``; says how
    many batches to accumulate and how far the warm-up has come (0..1)."""

    def __init__(self, params: TrainParams, lr0: float, batches_per_epoch: int, world_batch: int):
        self.params, self.lr0 = params, lr0
        self.accumulate = max(round(params.nominal_batch / world_batch), 1)
        self.burn_in = min(max(round(params.warmup_epochs * batches_per_epoch), params.warmup_min_iters),
                           params.epochs * batches_per_epoch)

    def epoch_lr(self, epoch: int) -> float:
        """Cosine from lr0 down to lr_final * lr0 over the run."""
        final = self.params.lr_final
        return self.lr0 * ((1 + math.cos(epoch * math.pi / self.params.epochs)) / 2 * (1 - final) + final)

    def apply(self, optimizer: torch.optim.Optimizer, ni: int, epoch: int) -> tuple[int, float]:
        """Returns (batches to accumulate, warm-up progress)."""
        lr = self.epoch_lr(epoch)
        if ni >= self.burn_in:
            for group in optimizer.param_groups:
                group["lr"] = lr
                set_momentum(group, self.params.momentum)
            optimizer.param_groups[1]["weight_decay"] = self.params.weight_decay
            return self.accumulate, 1.0
        span = [0, self.burn_in]
        for j, group in enumerate(optimizer.param_groups):
            group["lr"] = float(np.interp(ni, span, [WARMUP_BIAS_LR if j == 2 else 0.0, lr]))
            set_momentum(group, float(np.interp(ni, span, [WARMUP_MOMENTUM, self.params.momentum])))
        optimizer.param_groups[1]["weight_decay"] = float(np.interp(ni, span, [0.0, self.params.weight_decay]))
        accumulate = max(1, round(float(np.interp(ni, span, [1, self.accumulate]))))
        return accumulate, ni / self.burn_in
