"""YOLOv3-Tiny: the standard tiny cfg (layers 0..23), heads at strides 32 and 16."""
from __future__ import annotations

from torch import nn

from .blocks import ConvBNAct, scale_channels
from .darknet import DarknetDetector, LayerList
from .head import TINY_MASKS, VOC_TINY_ANCHORS


def build_yolov3_tiny(num_classes: int, width: float = 1.0, activation: str | None = None,
                      anchors=VOC_TINY_ANCHORS) -> DarknetDetector:
    act = activation or "leaky"
    ch = [scale_channels(c, width) for c in (16, 32, 64, 128, 256, 512, 1024)]
    net = LayerList()
    c = 3
    for i, width_i in enumerate(ch[:6]):
        c = net.add(ConvBNAct(c, width_i, 3, 1, act), width_i)
        if i < 5:
            net.add(nn.MaxPool2d(2, 2), c)
        else:  # Darknet's size-2 stride-1 max-pool keeps 13x13 by padding right and bottom
            net.add(nn.Sequential(nn.ZeroPad2d((0, 1, 0, 1)), nn.MaxPool2d(2, 1)), c)
    c = net.add(ConvBNAct(c, ch[6], 3, 1, act), ch[6])
    c = net.add(ConvBNAct(c, ch[4], 1, 1, act), ch[4])          # layer 13
    c = net.add(ConvBNAct(c, ch[5], 3, 1, act), ch[5])
    net.head(c, num_classes)                                     # 15, 16
    net.route(-4)                                                # 17 -> 13
    c = net.add(ConvBNAct(ch[4], ch[3], 1, 1, act), ch[3])
    net.add(nn.Upsample(scale_factor=2, mode="nearest"), c)
    c = net.route(-1, 8)                                         # 20: with layer 8 (26x26)
    c = net.add(ConvBNAct(c, ch[4], 3, 1, act), ch[4])
    net.head(c, num_classes)                                     # 22, 23
    return DarknetDetector(net.layers, num_classes, (32, 16), anchors, TINY_MASKS)
