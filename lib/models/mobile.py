"""YOLOv3-Mobile: YOLOv3's exact cfg topology with every conv layer replaced by
a MobileNetV3 bottleneck (book/spec.md, Models). Layer indices match YOLOv3's."""
from __future__ import annotations

from .blocks import ConvBNAct, mobile_bottleneck
from .darknet import DarknetDetector
from .head import MASKS, VOC_ANCHORS
from .yolov3 import HEAD_STAGE, darknet53_topology


def build_yolov3_mobile(num_classes: int, width: float = 1.0, activation: str | None = None,
                        anchors=VOC_ANCHORS) -> DarknetDetector:
    def block(c_in, c_out, k, stride, stage):
        act = activation or ("relu" if 1 <= stage <= 3 else "hswish")
        if stage == 0:
            return ConvBNAct(c_in, c_out, 3, 1, act)
        expand = 6 if stage >= 4 else (1 if stride == 2 and stage == 1 else 4)
        se = stride == 2 or stage == HEAD_STAGE  # down-sampling and head blocks
        # The paper's leaky students kept SE's inner ReLU: its MAC count matches only that way.
        return mobile_bottleneck(c_in, c_out, k, expand, stride, se, act, se_act="relu")

    net = darknet53_topology(8, (8, 16, 32, 64, 128), width, block, num_classes)
    return DarknetDetector(net.layers, num_classes, (32, 16, 8), anchors, MASKS)
