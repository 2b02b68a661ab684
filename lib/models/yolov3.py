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


def darknet53_topology(stem: int, stages: tuple[int, ...], width: float, block: BlockFactory,
                       num_classes: int) -> LayerList:
    """The YOLOv3 cfg as a layer list; ``block`` decides what each conv layer is.

    stem, stages: the published channel counts (width 1.0); every count, halves
    and quarters included, is scaled by ``width`` through ``scale_channels``.
    """
    net = LayerList()
    ch = lambda n: scale_channels(n, width)  # noqa: E731
    c = net.add(block(3, ch(stem), 3, 1, 0), ch(stem))
    for stage, (base, repeats) in enumerate(zip(stages, STAGE_REPEATS), start=1):
        c = net.add(block(c, ch(base), 3, 2, stage), ch(base))
        for _ in range(repeats):
            net.add(block(c, ch(base // 2), 1, 1, stage), ch(base // 2))
            net.add(block(ch(base // 2), c, 3, 1, stage), c)
            c = net.shortcut(-3)
    backbone_routes = {stages[3]: 61, stages[2]: 36}  # 26x26 and 52x52 features
    for scale, base in enumerate(reversed(stages[2:])):
        if scale > 0:
            net.route(-4)  # back to the head's 5th conv (79, 91)
            c = net.add(block(net.channels[-1], ch(base // 2), 1, 1, HEAD_STAGE), ch(base // 2))
            net.add(nn.Upsample(scale_factor=2, mode="nearest"), c)
            c = net.route(-1, backbone_routes[base])
        for _ in range(3):
            c = net.add(block(c, ch(base // 2), 1, 1, HEAD_STAGE), ch(base // 2))
            c = net.add(block(c, ch(base), 3, 1, HEAD_STAGE), ch(base))
        net.head(c, num_classes)
    return net


def build_yolov3(num_classes: int, width: float = 1.0, activation: str | None = None,
                 anchors=VOC_ANCHORS) -> DarknetDetector:
    act = activation or "leaky"

    def conv(c_in, c_out, k, stride, stage):
        return ConvBNAct(c_in, c_out, k, stride, act)

    net = darknet53_topology(32, (64, 128, 256, 512, 1024), width, conv, num_classes)
    return DarknetDetector(net.layers, num_classes, (32, 16, 8), anchors, MASKS)
