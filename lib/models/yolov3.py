"""YOLOv3 (Darknet-53 backbone, 3-scale head) and the cfg topology it shares
with YOLOv3-Mobile: layers 0..106 with the routes from layers 61 and 36."""
from __future__ import annotations

from typing import Callable

from torch import nn

from .blocks import ConvBNAct, scale_channels
from .darknet import DarknetDetector, LayerList
from .head import MASKS, VOC_ANCHORS

STAGE_REPEATS = (1, 2, 8, 8, 4)
HEAD_STAGE = 6  # the `stage` passed to the block factory for head layers

# block(c_in, c_out, kernel, stride, stage) -> module; stage 0 = stem, 1..5 backbone, 6 head.
BlockFactory = Callable[[int, int, int, int, int], nn.Module]


def darknet53_topology(stem: int, stages: tuple[int, ...], block: BlockFactory, num_classes: int) -> LayerList:
    """The YOLOv3 cfg as a layer list; ``block`` decides what each conv layer is."""
    net = LayerList()
    c = net.add(block(3, stem, 3, 1, 0), stem)
    for stage, (width, repeats) in enumerate(zip(stages, STAGE_REPEATS), start=1):
        c = net.add(block(c, width, 3, 2, stage), width)
        for _ in range(repeats):
            net.add(block(c, width // 2, 1, 1, stage), width // 2)
            net.add(block(width // 2, width, 3, 1, stage), width)
            c = net.shortcut(-3)
    backbone_routes = {stages[3]: 61, stages[2]: 36}  # 26x26 and 52x52 features
    for scale, width in enumerate(reversed(stages[2:])):
        if scale > 0:
            net.route(-4)  # back to the head's 5th conv (79, 91)
            c = net.add(block(net.channels[-1], width // 2, 1, 1, HEAD_STAGE), width // 2)
            net.add(nn.Upsample(scale_factor=2, mode="nearest"), c)
            c = net.route(-1, backbone_routes[width])
        for _ in range(3):
            c = net.add(block(c, width // 2, 1, 1, HEAD_STAGE), width // 2)
            c = net.add(block(c, width, 3, 1, HEAD_STAGE), width)
        net.head(c, num_classes)
    return net


def build_yolov3(num_classes: int, width: float = 1.0, activation: str | None = None,
                 anchors=VOC_ANCHORS) -> DarknetDetector:
    act = activation or "leaky"

    def conv(c_in, c_out, k, stride, stage):
        return ConvBNAct(c_in, c_out, k, stride, act)

    stages = tuple(scale_channels(c, width) for c in (64, 128, 256, 512, 1024))
    net = darknet53_topology(scale_channels(32, width), stages, conv, num_classes)
    return DarknetDetector(net.layers, num_classes, (32, 16, 8), anchors, MASKS)
