"""Random pruning, the control of magnitude pruning (Blalock et al.; Frankle & Carbin):
as many weights in every layer as LTH Local keeps, chosen uniformly at random."""
from __future__ import annotations

import torch
from torch import Tensor

from ..models import Detector
from .magnitude import check_sparsity, layer_kept
from .masks import prunable_layers


def random_masks(model: Detector, sparsity: float, seed: int) -> dict[str, Tensor]:
    """A mask per prunable layer keeping a uniformly random set of its weights, as many
    as LTH Local keeps of it (``layer_kept``); ``seed`` fixes them."""
    check_sparsity(sparsity, "random_prune.target_sparsity")
    generator = torch.Generator().manual_seed(seed)
    masks = {}
    for name, module in prunable_layers(model).items():
        n = module.weight.numel()
        kept = torch.zeros(n)
        kept[torch.randperm(n, generator=generator)[:layer_kept(n, sparsity)]] = 1
        masks[name] = kept.view_as(module.weight)
    return masks
