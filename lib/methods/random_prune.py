"""Random pruning, the control of magnitude pruning (Blalock et al.; Frankle & Carbin):
the trained dense run's prunable weights masked at random, with LTH Local's count in
every layer, the survivors rewound to the dense run's epoch k and trained again
exactly as LTH's ticket. Where the ticket beats it, magnitude chose the weights better
than chance; where it does not, the ticket's accuracy is the retraining's."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import Tensor

from ..method import Method, Outcome
from ..models import Detector
from ..paths import run_dir
from ..prune.lth import LTHParams
from ..prune.magnitude import check_sparsity
from ..prune.masks import prunable_layers
from ..prune.rewind import StartFrom, load_snapshot, trained_model
from ..train import train


@dataclass(frozen=True)
class RandomPruneParams:
    target_sparsity: float = LTHParams.target_sparsity  # of every prunable tensor, as LTH Local's
    rewind_epoch: int = LTHParams.rewind_epoch          # k: the dense run's weights the survivors start from


def random_masks(model: Detector, sparsity: float, seed: int) -> dict[str, Tensor]:
    """A mask per prunable layer keeping a uniformly random set of its weights, as many
    as LTH Local keeps of a tensor of n (n - floor(sparsity * n)); ``seed`` fixes them."""
    check_sparsity(sparsity, "random_prune.target_sparsity")
    generator = torch.Generator().manual_seed(seed)
    masks = {}
    for name, module in prunable_layers(model).items():
        n = module.weight.numel()
        kept = torch.zeros(n)
        kept[torch.randperm(n, generator=generator)[:n - math.floor(sparsity * n + 1e-9)]] = 1
        masks[name] = kept.view_as(module.weight)
    return masks


def run(params, rp: RandomPruneParams, inputs, root, log) -> Outcome:
    dense = inputs["dense"]
    masks = random_masks(trained_model(dense.run_dir), rp.target_sparsity, params.train.seed)
    snapshot = load_snapshot(dense.run_dir, rp.rewind_epoch)
    folder = run_dir(root, params, "random-prune", {**asdict(rp), "dense": dense.run_dir})
    return Outcome(train(params, folder, [StartFrom(snapshot, masks)], log=log), params)


METHOD = Method(key="random-prune", settings=RandomPruneParams, family="weight pruning", page="pruning",
                template="11_random_prune", run=run, inputs=("dense",), required=("dense",))
