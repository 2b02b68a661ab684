"""Lab 6, efficient convolutions (the NAS chapter's models): a depthwise-separable
block's MACs against a standard conv's, then both timed; why MACs overstate the speed
of depthwise models on a CPU, with the study's own architectures timed here; and a
block designed to a MACs budget. The study's chapter: NAS-derived and efficient models."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from torch import nn

from ..counting import count_macs, count_params
from ..measure import latency
from ..models import build
from .checks import Case, Exercise
from .model import Lab
from .targets import require

SCAN_CHANNELS = (16, 32, 64, 128, 256)
SCAN_SIZE = 26           # the feature map's side in the scan (a deep layer of a 416-px detector)
MODELS = ("yolov3-tiny", "yolo-nano", "yolov3-mobile")  # the study's architectures compared
# the target: a block replacing a standard 3x3 conv of TARGET_CHANNELS channels, with
# at most MACS_AT_MOST of its MACs and a receptive field of at least RECEPTIVE_FIELD pixels
TARGET_CHANNELS, MACS_AT_MOST, RECEPTIVE_FIELD = 128, 0.15, 5


def standard(c_in: int, c_out: int, k: int) -> nn.Module:
    return nn.Conv2d(c_in, c_out, k, padding=k // 2, bias=False)


def separable(c_in: int, c_out: int, k: int) -> nn.Module:
    """Depthwise k x k (one filter per input channel), then pointwise 1 x 1."""
    return nn.Sequential(nn.Conv2d(c_in, c_in, k, padding=k // 2, groups=c_in, bias=False),
                         nn.Conv2d(c_in, c_out, 1, bias=False))


def macs_of(block: nn.Module, c_in: int, size: int) -> int:
    return count_macs(block, input_shape=(1, c_in, size, size))["macs"]


def conv_macs_reference(c_in: int, c_out: int, k: int, size: int) -> int:
    """MACs of a standard k x k conv (stride 1, same padding) on a ``size`` x ``size`` input,
    by the study's counter (lib.counting)."""
    return macs_of(standard(c_in, c_out, k), c_in, size)


def separable_macs_reference(c_in: int, c_out: int, k: int, size: int) -> int:
    return macs_of(separable(c_in, c_out, k), c_in, size)


def _cases() -> list[Case]:
    return [Case("3x3, 32 -> 64 channels, 52x52", (32, 64, 3, 52)),
            Case("5x5, 16 -> 16 channels, 13x13", (16, 16, 5, 13)),
            Case("1x1, 8 -> 4 channels, 7x7", (8, 4, 1, 7))]


EXERCISES = {"conv_macs": Exercise(conv_macs_reference, _cases, atol=0),
             "separable_macs": Exercise(separable_macs_reference, _cases, atol=0)}


def block_scan(channels=SCAN_CHANNELS, size: int = SCAN_SIZE, k: int = 3) -> pd.DataFrame:
    """A standard k x k conv and its separable replacement (C -> C channels) at each channel
    count: MACs and latency (1 thread) of each, and the speed-ups MACs promise and deliver."""
    rows = []
    for c in channels:
        full, cheap = standard(c, c, k), separable(c, c, k)
        shape = (1, c, size, size)
        ms_full, ms_cheap = latency(full, input_shape=shape), latency(cheap, input_shape=shape)
        rows.append({"channels": c, "macs_standard": macs_of(full, c, size), "macs_separable": macs_of(cheap, c, size),
                     "ms_standard": ms_full, "ms_separable": ms_cheap})
    scan = pd.DataFrame(rows)
    scan["macs_speedup"] = scan["macs_standard"] / scan["macs_separable"]
    scan["measured_speedup"] = scan["ms_standard"] / scan["ms_separable"]
    return scan


def block_figure(scan: pd.DataFrame) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.plot(scan["channels"], scan["macs_speedup"], marker="o", label="promised by MACs")
    ax.plot(scan["channels"], scan["measured_speedup"], marker="s", label="measured (1 thread)")
    ax.set(xscale="log", xlabel="channels", ylabel="speed-up of the separable block",
           title="Depthwise-separable against standard 3x3")
    ax.set_xticks(list(scan["channels"]), [str(c) for c in scan["channels"]])
    ax.legend(fontsize=8)
    return fig


def model_table(lab: Lab, models=MODELS) -> pd.DataFrame:
    """The study's architectures at the lab's width and image size (untrained: latency
    does not depend on the weights): parameters, MACs, latency and MACs per millisecond."""
    size, width = lab.params.data.img_size, lab.params.model.width
    classes = len(lab.params.data.builtin_classes)
    rows = []
    for name in models:
        model = build(name, classes, width=width)
        macs, ms = count_macs(model, size)["macs"], latency(model, size)
        rows.append({"model": name, "params": count_params(model), "macs": macs, "ms": ms, "macs_per_ms": macs / ms})
    return pd.DataFrame(rows)


def check_target(kernel) -> None:
    """The lab's target: a depthwise-separable block of ``kernel`` x ``kernel`` replacing a
    standard 3x3 conv of TARGET_CHANNELS channels with at most MACS_AT_MOST of its MACs and
    a receptive field of at least RECEPTIVE_FIELD pixels."""
    require(isinstance(kernel, int) and not isinstance(kernel, bool) and kernel >= 1 and kernel % 2 == 1,
            f"kernel: expected an odd whole number, got {kernel!r}")
    c = TARGET_CHANNELS
    share = macs_of(separable(c, c, kernel), c, SCAN_SIZE) / macs_of(standard(c, c, 3), c, SCAN_SIZE)
    print(f"a separable {kernel}x{kernel} block: {share:.1%} of the standard 3x3's MACs, "
          f"receptive field {kernel} pixels")
    require(kernel >= RECEPTIVE_FIELD, f"a {kernel}x{kernel} kernel sees {kernel} pixels; the target is at least "
                                       f"{RECEPTIVE_FIELD}")
    require(share <= MACS_AT_MOST, f"{share:.1%} of the MACs; the target is at most {MACS_AT_MOST:.0%}")
