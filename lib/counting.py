"""Counting a model's parameters and multiply-accumulates, by the study's rule and the
paper's. Below every method (pruning, quantisation, low rank, training), so that any of
them can size a model without importing how another one stores it.

A module is *masked* when it carries a ``weight_mask`` buffer (the convention of
``torch.nn.utils.prune``); its alive weights are the mask's non-zeros.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

# thop-style extras the paper's MAC column included (book/spec.md, Metrics), per output element.
PAPER_ELEMENT_COST = {nn.BatchNorm2d: 2, nn.LeakyReLU: 1}


def alive_weights(module: nn.Module) -> int:
    """Weights that do work: the mask's non-zeros for a masked module, else all."""
    mask = getattr(module, "weight_mask", None)
    return int(mask.count_nonzero()) if mask is not None else module.weight.numel()


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def count_nonzero_params(model: nn.Module) -> int:
    """Parameters that survive the masks: a masked tensor counts its mask's non-zeros,
    any other counts in full. (The paper's pruned counts, e.g. 6,331,114 for YOLOv3 at
    90%, are of this kind: they include BatchNorm biases that are zero at initialisation.)"""
    total = 0
    for module in model.modules():
        for name, param in module.named_parameters(recurse=False):
            mask = getattr(module, name.removesuffix("_orig") + "_mask", None) if name.endswith("_orig") else None
            total += param.numel() if mask is None else int(mask.count_nonzero())
    return total


def _layer_macs(module: nn.Module, out: Tensor) -> int:
    """Multiply-accumulates of one conv or linear call: alive weights x output positions."""
    if isinstance(module, nn.Conv2d):
        positions = out.shape[0] * out.shape[2] * out.shape[3]
    else:  # nn.Linear: one position per row of the input
        positions = out.numel() // module.out_features
    return alive_weights(module) * positions


def count_macs(model: nn.Module, img_size: int = 416, input_shape: tuple[int, ...] | None = None) -> dict[str, int]:
    """MACs for one (3, img_size, img_size) image (or one input of ``input_shape``,
    batch included, for a module that is not a detector), by two rules.

    macs: conv and linear multiply-accumulates only (the study's definition).
    macs_paper: the paper's thop-based counter (book/spec.md, Metrics): macs, plus 1 per
    output element of a biased conv, 2 per BatchNorm output element, 1 per
    LeakyReLU output element, input + output elements per adaptive average pool.
    """
    totals = {"macs": 0, "macs_paper": 0}

    def hook(module: nn.Module, inputs: tuple[Tensor, ...], out: Tensor) -> None:
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            macs = _layer_macs(module, out)
            totals["macs"] += macs
            totals["macs_paper"] += macs + (out.numel() if isinstance(module, nn.Conv2d) and module.bias is not None else 0)
        elif isinstance(module, nn.AdaptiveAvgPool2d):
            totals["macs_paper"] += inputs[0].numel() + out.numel()
        else:
            totals["macs_paper"] += PAPER_ELEMENT_COST.get(type(module), 0) * out.numel()

    leaves = [m for m in model.modules() if not list(m.children())]
    handles = [m.register_forward_hook(hook) for m in leaves]
    was_training = model.training
    device = next(model.parameters()).device
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros(input_shape or (1, 3, img_size, img_size), device=device))
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    return totals
