"""The detector zoo by name (``REGISTRY``) and ``build``, the one way a detector is
made: the model file's loader (``lib.models.io``) rebuilds a saved model through it, so
it imports the architectures only, never the file format."""
from __future__ import annotations

import json
from typing import Callable

from torch import nn

from .blocks import ACTIVATIONS, Residual, final_norm
from .darknet import DarknetDetector, Shortcut
from .factored import set_ranks
from .head import VOC_ANCHORS, VOC_TINY_ANCHORS, Detector
from .mobile import build_yolov3_mobile
from .nano import YoloNano
from .slim import channel_counts, set_channels
from .tiny import build_yolov3_tiny
from .yolov3 import build_yolov3

REGISTRY: dict[str, Callable[..., Detector]] = {
    "yolov3": build_yolov3,
    "yolov3-tiny": build_yolov3_tiny,
    "yolo-nano": YoloNano,
    "yolov3-mobile": build_yolov3_mobile,
}


def default_anchors(name: str):
    return VOC_TINY_ANCHORS if name == "yolov3-tiny" else VOC_ANCHORS


def residual_norms(model: Detector) -> list[nn.BatchNorm2d]:
    """The BatchNorm that ends each residual branch with no activation after it: in
    Residual blocks (Nano's EP/PEP, Mobile's bottlenecks) and in the block before each
    Darknet shortcut (Mobile's; YOLOv3's end in an activation)."""
    branches = [m.body for m in model.modules() if isinstance(m, Residual) and m.enabled]
    if isinstance(model, DarknetDetector):
        branches += [model.layers[i - 1] for i, layer in enumerate(model.layers) if isinstance(layer, Shortcut)]
    return [norm for norm in map(final_norm, branches) if norm is not None]


def build(name: str, num_classes: int, width: float = 1.0, activation: str | None = None,
          anchors=None, zero_init_residual: bool = False, channels: dict | None = None,
          lowrank: dict | None = None) -> Detector:
    """A freshly initialised detector (smart bias init on the output convs).

    activation: None keeps each model's own (LeakyReLU for YOLOv3/Tiny, ReLU6 for
    Nano, ReLU/hard-swish for Mobile); "leaky" swaps every activation to
    LeakyReLU(0.1), as for the paper's distillation students.
    anchors: (w, h) pairs in input pixels (9, or 6 for Tiny); default VOC's.
    zero_init_residual: start the scale of every BatchNorm that ends a residual branch
    (``residual_norms``) at 0, so each block starts as the identity (torchvision's
    option); the authors did not.
    channels: the layers' channel counts of a channel-pruned model (``lib.models.slim``),
    as its file records them; None: the architecture's own.
    lowrank: the Tucker-2 ranks of a factorised model (``lib.models.factored``), as its
    file records them; None: no factorised layer.
    """
    if name not in REGISTRY:
        raise ValueError(f"model: unknown name {name!r}; expected one of {sorted(REGISTRY)}")
    if not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes: expected a positive integer, got {num_classes!r}")
    if not width > 0:
        raise ValueError(f"width: expected a positive multiplier, got {width!r}")
    if activation is not None and activation not in ACTIVATIONS:
        raise ValueError(f"activation: expected None or one of {sorted(ACTIVATIONS)}, got {activation!r}")
    model = REGISTRY[name](num_classes, width=width, activation=activation,
                          anchors=default_anchors(name) if anchors is None else anchors)
    model.init_output_biases()
    if zero_init_residual:
        for norm in residual_norms(model):
            nn.init.zeros_(norm.weight)
    model.arch = {"name": name, "num_classes": num_classes, "width": width, "activation": activation,
                  "anchors": [list(map(float, a)) for a in (default_anchors(name) if anchors is None else anchors)]}
    if channels is not None:
        set_channels(model, channels)
        model.arch["channels"] = channel_counts(model)
    if lowrank:
        set_ranks(model, lowrank)
        model.arch["lowrank"] = {name: list(ranks) for name, ranks in lowrank.items()}
    return model


def computation(arch: dict) -> str:
    """What a model computes besides its weights, as JSON: its ``arch``, channels and
    ranks included, anchors not (only ``decode`` reads them, after the network)."""
    return json.dumps({k: v for k, v in arch.items() if k != "anchors"}, sort_keys=True, default=str)
