"""Pruning during training (Yin et al.; beyond the paper): weights or filters masked on
Zhu & Gupta's cubic schedule while the model trains from scratch (``lib.prune.gradual``)."""
from __future__ import annotations

from ..method import Method, Outcome
from ..prune.gradual import GradualParams, gradual_params, run_gradual


def run(params, g: GradualParams, inputs, root, log) -> Outcome:
    return Outcome(run_gradual(params, g, root, log=log), gradual_params(params, g))


METHOD = Method(key="gradual", settings=GradualParams, family="pruning during training", page="pruning",
                template="08_gradual", run=run)
