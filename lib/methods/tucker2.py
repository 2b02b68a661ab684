"""Low-rank factorisation (beyond the paper): the trained dense YOLOv3's 3x3 convs as
Tucker-2 factors, then fine-tuned (``lib.lowrank``)."""
from __future__ import annotations

from ..lowrank import LowRankParams, finetune_params, run_tucker2
from ..method import Method, Outcome


def run(params, lp: LowRankParams, inputs, root, log) -> Outcome:
    metrics = run_tucker2(params, lp, inputs["dense"].model_file, root, log=log)
    return Outcome(metrics, finetune_params(params, lp), earlier=(inputs["dense"].budget,))


METHOD = Method(key="tucker2", settings=LowRankParams, family="low-rank", page="quantization", template="10_lowrank",
                run=run, inputs=("dense",), required=("dense",))
