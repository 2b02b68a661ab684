"""Continuous sparsification (the paper's Alg. 2): soft-mask search rounds, then the
binarised mask's ticket (``lib.prune.cs``). Its results keep the search's sparsity
and beta per epoch (``search``)."""
from __future__ import annotations

from ..method import Method, Outcome
from ..prune.cs import CSParams, run_cs, search_history
from ..result import trained


def run(params, cs: CSParams, inputs, root, log) -> Outcome:
    stages = run_cs(params, cs, root, log=log)  # the search rounds, then the ticket
    return Outcome(stages[-1], params, {"search": search_history(stages)}, tuple(map(trained, stages[:-1])))


METHOD = Method(key="cs", settings=CSParams, family="weight pruning", page="pruning", template="03_cs", run=run,
                extras=("search",))
