"""What every detector in the zoo shares: anchors, the raw-map decode and the
smart bias initialisation of the output convolutions."""
from __future__ import annotations

import math
from abc import ABC, abstractmethod

import torch
from torch import Tensor, nn

# VOC anchors in input pixels (at 416), book/spec.md, Models; masks pick 3 per scale.
VOC_ANCHORS = ((26, 31), (43, 84), (81, 171), (103, 68), (145, 267),
               (180, 135), (247, 325), (362, 178), (412, 346))
VOC_TINY_ANCHORS = ((30, 41), (80, 98), (112, 204), (198, 302), (295, 152), (385, 333))
MASKS = ((6, 7, 8), (3, 4, 5), (0, 1, 2))   # strides 32, 16, 8
TINY_MASKS = ((3, 4, 5), (1, 2, 3))         # strides 32, 16; anchor 0 unused, as darknet's and the authors' cfg

OBJECTNESS_BIAS = -4.5  # Lin et al.'s prior: ~1% of cells hold an object at the start


class Detector(nn.Module, ABC):
    """Base of all detectors: forward(x) returns raw head maps, one per scale.

    Attributes set by subclasses:
        num_classes: int
        strides: tuple of ints, one per head map, largest first (32, 16, 8).
        anchors: (S, 3, 2) anchor sizes in input pixels, a non-persistent buffer.
    """

    num_classes: int
    strides: tuple[int, ...]

    def set_anchors(self, anchors, masks) -> None:
        table = torch.tensor(anchors, dtype=torch.float32)
        if table.ndim != 2 or table.shape[1] != 2 or len(table) < max(max(m) for m in masks) + 1:
            raise ValueError(f"anchors: expected {sum(map(len, masks))} (w, h) pairs, got shape {tuple(table.shape)}")
        self.register_buffer("anchors", table[torch.tensor(masks)], persistent=False)

    @abstractmethod
    def output_convs(self) -> list[nn.Conv2d]:
        """The 1x1 convs that produce the head maps (never pruned, smart-bias initialised)."""

    @abstractmethod
    def tap_modules(self) -> dict[str, nn.Module]:
        """Modules whose outputs can be tapped as features, by the paper's names."""

    def init_output_biases(self) -> None:
        for conv in self.output_convs():
            smart_bias_init(conv, self.num_classes)

    def decode(self, maps: list[Tensor]) -> Tensor:
        return decode(maps, self.anchors, self.strides)


def output_channels(num_classes: int, anchors_per_scale: int = 3) -> int:
    return anchors_per_scale * (5 + num_classes)


def smart_bias_init(conv: nn.Conv2d, num_classes: int) -> None:
    """Objectness bias -4.5 and class bias log(1 / (nc - 0.99)) (Lin et al.)."""
    with torch.no_grad():
        bias = conv.bias.view(-1, 5 + num_classes)
        bias[:, 4] = OBJECTNESS_BIAS
        bias[:, 5:] = math.log(1 / (num_classes - 0.99))


def split_map(raw: Tensor, anchors_per_scale: int = 3) -> Tensor:
    """(N, A*(5+C), H, W) -> (N, A, H, W, 5+C)."""
    n, channels, h, w = raw.shape
    return raw.view(n, anchors_per_scale, channels // anchors_per_scale, h, w).permute(0, 1, 3, 4, 2)


def decode(maps: list[Tensor], anchors: Tensor, strides: tuple[int, ...]) -> Tensor:
    """Turn raw head maps into boxes.

    maps: S tensors (N, 3*(5+C), H_s, W_s); anchors: (S, 3, 2) pixels.
    Returns (N, sum_s 3*H_s*W_s, 5+C): [x1, y1, x2, y2] in input pixels, then the
    objectness probability and C class probabilities.
    """
    decoded = []
    for raw, anchor, stride in zip(maps, anchors, strides):
        p = split_map(raw)
        _, _, h, w, _ = p.shape
        gy, gx = torch.meshgrid(torch.arange(h, device=raw.device), torch.arange(w, device=raw.device), indexing="ij")
        grid = torch.stack((gx, gy), -1).to(raw.dtype)                       # (H, W, 2)
        xy = (p[..., :2].sigmoid() + grid) * stride
        wh = p[..., 2:4].exp() * anchor.to(raw)[None, :, None, None, :]
        boxes = torch.cat((xy - wh / 2, xy + wh / 2), -1)
        decoded.append(torch.cat((boxes, p[..., 4:].sigmoid()), -1).flatten(1, 3))
    return torch.cat(decoded, 1)
