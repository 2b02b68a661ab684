"""Channel pruning (beyond the paper): the trained dense YOLOv3's least important
channels removed by Torch-Pruning, then fine-tuned (``lib.prune.channels``); or, as
its control (``from_scratch``, Liu et al.'s Scratch-B), the slim architecture trained
from new weights for the same total epochs."""
from __future__ import annotations

from ..method import Method, Outcome
from ..params import override
from ..prune.channels import ChannelParams, run_channels
from ..result import trained


def run(params, cp: ChannelParams, inputs, root, log) -> Outcome:
    dense = inputs["dense"]  # without it, the method trains its own dense model
    *source, final = run_channels(params, cp, root, dense=dense.run_dir if dense else None, log=log)
    if cp.from_scratch:  # the source gave the architecture only, not the weights
        return Outcome(final, override(params, **{"train.epochs": final["epochs"]}))
    return Outcome(final, params, earlier=tuple(map(trained, source)))


METHOD = Method(key="channels", settings=ChannelParams, family="channel pruning", page="pruning",
                template="07_channels", run=run, inputs=("dense",))
