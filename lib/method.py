"""What a compression method is to the study: one ``Method`` that a method module
declares (``lib.methods``), and the ``Outcome`` its ``run`` returns. The study reaches
methods only through these, by key; a row names its method and the rows it reads
by the method's input names.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from torch import nn

from .params import RunParams
from .result import Budget, RunResult

Inputs = dict[str, RunResult | None]  # input name -> the result of the row it names (None: not given)


@dataclass(frozen=True)
class Outcome:
    """A method's run, done: the final training's metrics (as ``lib.train.train``
    returns them, with its ``run_dir``), the parameters that training ran with (a
    method may change the epochs), the method's extras (keys it declares), and the
    budgets of the trainings the final one starts from (``lib.result.after``): the
    runs whose weights it takes, its own earlier stages."""
    metrics: dict
    params: RunParams
    extras: dict = field(default_factory=dict)
    earlier: tuple[Budget, ...] = ()


@dataclass(frozen=True)
class Method:
    key: str                     # names it in rows and results
    settings: type               # its params dataclass (the row's and the profile's settings fill it)
    family: str                  # the compression family it belongs to (the figures' colours)
    page: str                    # the written chapter that summarises its rows: book/<page>.md
    template: str                # its notebook: notebooks/<template>.ipynb
    # run(params, settings, inputs, root, log) -> Outcome; root: training folders (None: lib.paths')
    run: Callable[[RunParams, object, Inputs, str | Path | None, Callable[[str], None]], Outcome]
    inputs: tuple[str, ...] = ()     # the named inputs it reads (a row maps each to a row id)
    required: tuple[str, ...] = ()   # those it cannot run without
    extras: tuple[str, ...] = ()     # the keys of its results' ``extras``
    precision: str = "fp32"          # its models' values ("int8": a quantized row)
    # how its result's model opens, where not as the best model file (lib.models.load_weights)
    loader: Callable[[RunResult], nn.Module] | None = None

    def __post_init__(self):
        if not set(self.required) <= set(self.inputs):
            raise ValueError(f"method {self.key}: required inputs {self.required} not among its inputs {self.inputs}")
