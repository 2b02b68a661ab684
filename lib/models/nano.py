"""YOLO Nano (Wong et al. 2019), the paper's variant (book/spec.md, Models).

Taps by name: pep7 (150 x 52 x 52), pep15 (325 x 26 x 26), conv5 (189 x 13 x 13),
conv7 (98 x 26 x 26), and the output convs out13 / out26 / out52.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from .blocks import ConvBNAct, ep, fca, pep, scale_channels
from .head import MASKS, VOC_ANCHORS, Detector, output_channels

# Expansion widths x of the eight PEP blocks at 26 x 26 (pep8 .. pep15).
STAGE4_X = (132, 124, 141, 140, 137, 135, 133, 140)


class YoloNano(Detector):
    def __init__(self, num_classes: int, width: float = 1.0, activation: str | None = None, anchors=VOC_ANCHORS):
        super().__init__()
        act = activation or "relu6"
        c = lambda n: scale_channels(n, width)  # noqa: E731 - a one-word alias keeps the layer list readable
        c150, c325 = c(150), c(325)
        self.num_classes, self.strides = num_classes, (32, 16, 8)
        self.set_anchors(anchors, MASKS)
        self.stem = nn.Sequential(ConvBNAct(3, c(12), 3, 1, act), ConvBNAct(c(12), c(24), 3, 2, act))
        self.stage52 = nn.Sequential(  # -> pep7, stride 8
            pep(c(24), c(24), c(7), act), ep(c(24), c(70), 2, act),
            pep(c(70), c(70), c(25), act), pep(c(70), c(70), c(24), act), ep(c(70), c150, 2, act),
            pep(c150, c150, c(56), act), ConvBNAct(c150, c150, 1, 1, act), fca(c150, act),
            pep(c150, c150, c(73), act), pep(c150, c150, c(71), act), pep(c150, c150, c(75), act),
        )
        self.stage26 = nn.Sequential(  # -> pep15, stride 16
            ep(c150, c325, 2, act), *(pep(c325, c325, c(x), act) for x in STAGE4_X))
        self.stage13 = nn.Sequential(  # -> conv5, stride 32
            ep(c325, c(545), 2, act), pep(c(545), c(545), c(276), act), ConvBNAct(c(545), c(230), 1, 1, act),
            ep(c(230), c(489), 1, act), pep(c(489), c(469), c(213), act), ConvBNAct(c(469), c(189), 1, 1, act))
        self.conv6 = ConvBNAct(c(189), c(105), 1, 1, act)
        self.neck26 = nn.Sequential(  # -> conv7
            pep(c(105) + c325, c325, c(113), act), pep(c325, c(207), c(99), act), ConvBNAct(c(207), c(98), 1, 1, act))
        self.conv8 = ConvBNAct(c(98), c(47), 1, 1, act)
        self.neck52 = nn.Sequential(
            pep(c(47) + c150, c(122), c(58), act), pep(c(122), c(87), c(52), act), pep(c(87), c(93), c(47), act))
        self.ep13, self.ep26 = ep(c(189), c(462), 1, act), ep(c(98), c(183), 1, act)
        n_out = output_channels(num_classes)
        self.out13, self.out26, self.out52 = nn.Conv2d(c(462), n_out, 1), nn.Conv2d(c(183), n_out, 1), nn.Conv2d(c(93), n_out, 1)
        self.upsample = nn.Upsample(scale_factor=2, mode="nearest")

    def forward(self, x: Tensor) -> list[Tensor]:
        pep7 = self.stage52(self.stem(x))
        pep15 = self.stage26(pep7)
        conv5 = self.stage13(pep15)
        conv7 = self.neck26(torch.cat((self.upsample(self.conv6(conv5)), pep15), 1))
        neck52 = self.neck52(torch.cat((self.upsample(self.conv8(conv7)), pep7), 1))
        return [self.out13(self.ep13(conv5)), self.out26(self.ep26(conv7)), self.out52(neck52)]

    def output_convs(self) -> list[nn.Conv2d]:
        return [self.out13, self.out26, self.out52]

    def tap_modules(self) -> dict[str, nn.Module]:
        return {"pep7": self.stage52, "pep15": self.stage26, "conv5": self.stage13, "conv7": self.neck26,
                "out13": self.out13, "out26": self.out26, "out52": self.out52}
