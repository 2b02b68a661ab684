"""Lottery tickets (the paper's Alg. 1): the trained dense run pruned by magnitude, its
survivors rewound to epoch k and trained again (``lib.prune.lth``)."""
from __future__ import annotations

from ..method import Method, Outcome
from ..prune.lth import LTHParams, run_lth
from ..result import trained


def run(params, lth: LTHParams, inputs, root, log) -> Outcome:
    dense = inputs["dense"]  # round 0; without it, LTH trains its own
    rounds = run_lth(params, lth, root, round0=dense.run_dir if dense else None, log=log)
    return Outcome(rounds[-1], params, earlier=tuple(map(trained, rounds[:-1])))  # round 0: the dense run


METHOD = Method(key="lth", settings=LTHParams, family="weight pruning", page="pruning", template="02_lth", run=run,
                inputs=("dense",))
