"""Random pruning, the control of magnitude pruning (Blalock et al.; Frankle & Carbin):
the trained dense run's prunable weights masked at random, with LTH Local's count in
every layer, the survivors rewound to the dense run's epoch k and trained again
exactly as LTH's ticket. Where the ticket beats it, magnitude chose the weights better
than chance; where it does not, the ticket's accuracy is the retraining's."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import ClassVar

from ..method import Method, Outcome
from ..params import check_settings, validate
from ..paths import run_dir
from ..prune.lth import LTHParams, check
from ..prune.random import random_masks
from ..prune.rewind import StartFrom, load_snapshot, trained_model
from ..train import train


@dataclass(frozen=True)
class RandomPruneParams:
    # of every prunable tensor: LTH's default, as LTH Local's row takes it (a study that sets
    # LTH Local's sparsity gives this row the same setting)
    target_sparsity: float = LTHParams.target_sparsity
    rewind_epoch: int = LTHParams.rewind_epoch  # k: the dense run's weights the survivors start from
    # each number's range, checked with its type before any work (lib.params.check_settings)
    RANGES: ClassVar[dict] = {"target_sparsity": (0, 1, "open low open high"), "rewind_epoch": (0, 10**6, "integer")}


def run(params, rp: RandomPruneParams, inputs, root, log) -> Outcome:
    validate(params)
    check_settings(rp)
    check(LTHParams(target_sparsity=rp.target_sparsity, rewind_epoch=rp.rewind_epoch), params)  # LTH's own checks
    dense = inputs["dense"]
    masks = random_masks(trained_model(dense.run_dir), rp.target_sparsity, params.train.seed)
    snapshot = load_snapshot(dense.run_dir, rp.rewind_epoch)
    folder = run_dir(root, params, "random-prune", {**asdict(rp), "dense": str(Path(dense.run_dir).resolve())})
    return Outcome(train(params, folder, [StartFrom(snapshot, masks)], log=log), params, earlier=(dense.budget,))


METHOD = Method(key="random-prune", settings=RandomPruneParams, family="weight pruning", page="pruning",
                template="11_random_prune", run=run, inputs=("dense",), required=("dense",))
