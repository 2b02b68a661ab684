"""Building blocks shared by the detectors: conv-BN-activation, YOLO Nano's
PEP/EP/FCA, and MobileNetV3's bottleneck with squeeze-excitation.

Every activation is an ``nn.Module`` (never a functional call) so that the
footprint counter in ``lib.measure`` can see it through forward hooks.
"""
from __future__ import annotations

from torch import Tensor, nn

ACTIVATIONS = {
    "leaky": lambda: nn.LeakyReLU(0.1),
    "relu": nn.ReLU,
    "relu6": nn.ReLU6,
    "hswish": nn.Hardswish,
}

# ultralytics/yolov3 (early 2020) used these BatchNorm settings for every model.
BN_MOMENTUM = 0.03
BN_EPS = 1e-4


def activation(name: str) -> nn.Module:
    """A fresh activation module by name (one of ``ACTIVATIONS``)."""
    if name not in ACTIVATIONS:
        raise ValueError(f"activation: unknown name {name!r}; expected one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]()


def make_divisible(value: float, divisor: int = 8) -> int:
    """MobileNetV3's rounding: nearest multiple of ``divisor``, at least
    ``divisor`` and never below 90% of ``value``."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def scale_channels(channels: int, width: float) -> int:
    """Channels at a width multiplier. Width 1.0 is the published architecture,
    untouched (its counts are exact); other widths round to a multiple of 8, floor 8."""
    return channels if width == 1.0 else make_divisible(channels * width, 8)


class ChannelScale(nn.Conv2d):
    """A depthwise 1x1 conv (stride 1): one weight per channel, so a per-channel scale,
    computed as one broadcast multiply. PyTorch's CPU path for it at one thread and small
    batches is a loop of one tiny conv per channel; YOLOv3-Mobile's 1x1 bottlenecks have
    34 of them. Same parameters and state dict as the ``nn.Conv2d`` it stands for.

    x: (N, C, H, W) -> (N, C, H, W)
    """

    def __init__(self, channels: int, bias: bool = False):
        super().__init__(channels, channels, 1, groups=channels, bias=bias)

    def forward(self, x: Tensor) -> Tensor:
        y = x * self.weight.view(1, -1, 1, 1)
        return y if self.bias is None else y + self.bias.view(1, -1, 1, 1)


def conv(c_in: int, c_out: int, k: int, stride: int, groups: int) -> nn.Conv2d:
    """A k x k conv, no bias, 'same' padding; a ``ChannelScale`` where it is one."""
    if k == 1 and stride == 1 and groups == c_in == c_out:
        return ChannelScale(c_in)
    return nn.Conv2d(c_in, c_out, k, stride, k // 2, groups=groups, bias=False)


class ConvBNAct(nn.Sequential):
    """k x k conv (no bias, 'same' padding) + BatchNorm + optional activation."""

    def __init__(self, c_in: int, c_out: int, k: int = 1, stride: int = 1,
                 act: str | None = "leaky", groups: int = 1):
        super().__init__()
        self.conv = conv(c_in, c_out, k, stride, groups)
        self.bn = nn.BatchNorm2d(c_out, momentum=BN_MOMENTUM, eps=BN_EPS)
        if act is not None:
            self.act = activation(act)


class Residual(nn.Module):
    """``x + body(x)`` when ``enabled`` (shapes must then agree), else ``body(x)``."""

    def __init__(self, body: nn.Module, enabled: bool):
        super().__init__()
        self.body = body
        self.enabled = enabled

    def forward(self, x: Tensor) -> Tensor:
        y = self.body(x)
        return x + y if self.enabled else y


def final_norm(block: nn.Module) -> nn.BatchNorm2d | None:
    """The BatchNorm a block ends with, if no activation follows it (else None)."""
    if isinstance(block, ConvBNAct):
        return None if hasattr(block, "act") else block.bn
    if isinstance(block, Residual):
        return final_norm(block.body)
    if isinstance(block, nn.Sequential) and len(block):
        return final_norm(block[-1])
    return None


def separable(c_in: int, c_out: int, stride: int, act: str) -> nn.Sequential:
    """YOLO Nano's sep block: 1x1 (act), depthwise 3x3 (act), 1x1 projection (linear)."""
    return nn.Sequential(
        ConvBNAct(c_in, c_in, 1, 1, act),
        ConvBNAct(c_in, c_in, 3, stride, act, groups=c_in),
        ConvBNAct(c_in, c_out, 1, 1, None),
    )


def ep(c_in: int, c_out: int, stride: int, act: str) -> Residual:
    """YOLO Nano's expansion-projection block."""
    return Residual(separable(c_in, c_out, stride, act), stride == 1 and c_in == c_out)


def pep(c_in: int, c_out: int, x: int, act: str, stride: int = 1) -> Residual:
    """YOLO Nano's projection-expansion-projection block (1x1 to ``x``, then sep)."""
    body = nn.Sequential(ConvBNAct(c_in, x, 1, 1, act), separable(x, c_out, stride, act))
    return Residual(body, stride == 1 and c_in == c_out)


class ChannelGate(nn.Module):
    """Channel attention: global average pool -> Linear -> act -> Linear -> sigmoid -> scale.

    YOLO Nano's FCA and MobileNetV3's squeeze-excitation differ only in the hidden
    size, the linear biases and the activation, so one class serves both.
    """

    def __init__(self, channels: int, hidden: int, bias: bool, act: str):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Sequential(
            nn.Linear(channels, hidden, bias=bias), activation(act),
            nn.Linear(hidden, channels, bias=bias), nn.Sigmoid(),
        )

    def forward(self, x: Tensor) -> Tensor:
        gate = self.fc(self.pool(x).flatten(1))
        return x * gate[:, :, None, None]


def fca(channels: int, act: str, reduction: int = 8) -> ChannelGate:
    """YOLO Nano's fully connected attention (no biases)."""
    return ChannelGate(channels, channels // reduction, bias=False, act=act)


def squeeze_excite(channels: int, act: str) -> ChannelGate:
    """MobileNetV3's squeeze-excitation (biases, hidden = make_divisible(c / 4))."""
    return ChannelGate(channels, make_divisible(channels // 4), bias=True, act=act)


def mobile_bottleneck(c_in: int, c_out: int, k: int, expand: float, stride: int,
                      se: bool, act: str, se_act: str) -> Residual:
    """MobileNetV3 inverted bottleneck M(out, k, e, s, se, act) as in book/spec.md, Models."""
    hidden = make_divisible(c_in * expand)
    layers: list[nn.Module] = []
    if hidden == c_in:
        layers.append(ConvBNAct(hidden, hidden, k, stride, act, groups=hidden))
        if se:
            layers.append(squeeze_excite(hidden, se_act))
    else:
        layers.append(ConvBNAct(c_in, hidden, 1, 1, act))
        layers.append(ConvBNAct(hidden, hidden, k, stride, None, groups=hidden))
        if se:
            layers.append(squeeze_excite(hidden, se_act))
        layers.append(activation(act))
    layers.append(ConvBNAct(hidden, c_out, 1, 1, None))
    return Residual(nn.Sequential(*layers), stride == 1 and c_in == c_out)
