"""Channel pruning (beyond the paper): the trained dense YOLOv3's least important
channels removed by Torch-Pruning, then fine-tuned (``lib.prune.channels``)."""
from __future__ import annotations

from ..method import Method, Outcome
from ..prune.channels import ChannelParams, run_channels


def run(params, cp: ChannelParams, inputs, root, log) -> Outcome:
    dense = inputs["dense"]  # without it, the method trains its own dense model
    stages = run_channels(params, cp, root, dense=dense.run_dir if dense else None, log=log)
    return Outcome(stages[-1], params)


METHOD = Method(key="channels", settings=ChannelParams, family="channel pruning", page="pruning",
                template="07_channels", run=run, inputs=("dense",))
