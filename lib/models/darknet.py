"""A Darknet-cfg style network: a flat list of layers indexed exactly as in the
cfg file (YOLOv3: 0..106), so the paper's layer numbers (36, 61, 79, 91) name
the same tensors in our code. Routes and shortcuts are modules too, so a
forward hook on ``layers[i]`` taps layer i's output whatever its kind."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from .head import Detector, output_channels


class Join(nn.Module):
    """A layer that reads earlier layers' outputs: ``sources`` are absolute indices."""

    def __init__(self, sources: tuple[int, ...]):
        super().__init__()
        self.sources = sources


class Shortcut(Join):
    """Darknet [shortcut]: sum of two earlier outputs."""

    def forward(self, *xs: Tensor) -> Tensor:
        return xs[0] + xs[1]


class Route(Join):
    """Darknet [route]: channel concatenation of earlier outputs (one source = a copy)."""

    def forward(self, *xs: Tensor) -> Tensor:
        return torch.cat(xs, 1) if len(xs) > 1 else xs[0]


class HeadOutput(nn.Identity):
    """Darknet [yolo]: marks the previous layer's output as a raw head map."""


class DarknetDetector(Detector):
    """Executes ``layers`` in order; returns the maps that reach each HeadOutput."""

    def __init__(self, layers: list[nn.Module], num_classes: int, strides: tuple[int, ...], anchors, masks):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.num_classes = num_classes
        self.strides = strides
        self.set_anchors(anchors, masks)
        self._kept = {j for layer in layers if isinstance(layer, Join) for j in layer.sources}

    def forward(self, x: Tensor) -> list[Tensor]:
        kept: dict[int, Tensor] = {}
        heads = []
        for i, layer in enumerate(self.layers):
            if isinstance(layer, Join):
                x = layer(*(x if j == i - 1 else kept[j] for j in layer.sources))
            else:
                x = layer(x)
            if isinstance(layer, HeadOutput):
                heads.append(x)
            if i in self._kept:
                kept[i] = x
        return heads

    def output_convs(self) -> list[nn.Conv2d]:
        return [self.layers[i - 1] for i, layer in enumerate(self.layers) if isinstance(layer, HeadOutput)]

    def tap_modules(self) -> dict[str, nn.Module]:
        return {str(i): layer for i, layer in enumerate(self.layers)}


class LayerList:
    """Collects layers while tracking each one's output channels (``channels[i]``)."""

    def __init__(self):
        self.layers: list[nn.Module] = []
        self.channels: list[int] = []

    @property
    def index(self) -> int:
        """Index the next appended layer will get."""
        return len(self.layers)

    def add(self, layer: nn.Module, c_out: int) -> int:
        self.layers.append(layer)
        self.channels.append(c_out)
        return c_out

    def shortcut(self, back: int) -> int:
        i = self.index
        return self.add(Shortcut((i - 1, i + back)), self.channels[-1])

    def route(self, *sources: int) -> int:
        """Sources relative (negative) or absolute, as in a cfg file."""
        i = self.index
        absolute = tuple(s if s >= 0 else i + s for s in sources)
        return self.add(Route(absolute), sum(self.channels[j] for j in absolute))

    def head(self, c_in: int, num_classes: int) -> None:
        c_out = output_channels(num_classes)
        self.add(nn.Conv2d(c_in, c_out, 1), c_out)
        self.add(HeadOutput(), c_out)
