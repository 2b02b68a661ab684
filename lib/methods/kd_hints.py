"""Hint-based distillation (Chen et al.) of a leaky student from the trained dense
YOLOv3 (``lib.distill.hints``). Its results keep the teacher's test mAP@0.5."""
from __future__ import annotations

from ..distill import GANParams, KDParams, run_kd
from ..method import Method, Outcome


def run(params, kd: KDParams | GANParams, inputs, root, log) -> Outcome:
    teacher = inputs["teacher"]
    return Outcome(run_kd(params, teacher.model_file, kd, root, log=log), params,
                   {"teacher_map50": teacher.metrics.map50})


METHOD = Method(key="kd-hints", settings=KDParams, family="distillation", page="distillation",
                template="04_kd_hints", run=run, inputs=("teacher", "plain"), required=("teacher",),
                extras=("teacher_map50",))
