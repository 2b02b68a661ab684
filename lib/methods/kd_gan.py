"""GAN-based distillation of a leaky student against per-scale discriminators of the
trained dense YOLOv3's features (``lib.distill.gan``). It runs as hint KD does
(``run_kd`` picks the training callback by the settings' type), and its results keep
the teacher's test mAP@0.5."""
from __future__ import annotations

from ..distill import GANParams
from ..method import Method
from .kd_hints import run

METHOD = Method(key="kd-gan", settings=GANParams, family="distillation", page="distillation", template="05_kd_gan",
                run=run, inputs=("teacher", "plain"), required=("teacher",), extras=("teacher_map50",))
