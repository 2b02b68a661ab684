"""Lab 3, quantization: symmetric per-channel quantization of a weight tensor to k bits
and its fake-quantized form (the levels times their scales, in float); each layer's
error and the detector's mAP as the bits shrink; bits per layer chosen to meet a size
and mAP target; and the study's int8 model beside it. The study's chapter: Quantization."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from torch import nn

from ..codecs import quantize_rows
from ..models import Detector
from ..models.io import copy_of
from ..prune.masks import prunable_layers
from ..quantize import int8, storage_ledger
from ..quantize.run import calibration_images
from ..train.run import open_data
from .checks import Case, Exercise
from .model import Lab
from .targets import require, require_map, target_line

SCAN_BITS = (8, 6, 5, 4, 3)
BYTES_AT_MOST = 0.12   # the target: the convs' weights in at most this share of their float32 bytes (4 bits everywhere: 12.7 %)
CALIBRATION_IMAGES = 32  # the study's int8 rows' default (lib.quantize.Int8Params)


def quantize_reference(weight: torch.Tensor, bits: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(levels: int8, ``weight``'s shape; scales: (C_out,) float32) by the library's
    per-row quantization (lib.codecs.quantize_rows), a row being an output channel."""
    matrix = weight.detach().float().reshape(weight.shape[0], -1).numpy()
    rows = np.repeat(np.arange(matrix.shape[0]), matrix.shape[1])
    levels, scales = quantize_rows(matrix.ravel(), rows, matrix.shape[0], bits)
    return torch.from_numpy(levels.reshape(weight.shape)), torch.from_numpy(scales)


def fake_quant_reference(weight: torch.Tensor, bits: int) -> torch.Tensor:
    """``weight`` as its ``bits``-bit levels times their channel's scale, float32."""
    levels, scales = quantize_reference(weight, bits)
    return levels.float() * scales.view(-1, *[1] * (weight.dim() - 1))


def _cases() -> list[Case]:
    g = torch.Generator().manual_seed(3)
    five, conv = torch.randn(5, 5, generator=g), torch.randn(4, 3, 3, 3, generator=g)
    zero_row = five.clone()
    zero_row[2] = 0
    return [Case("a 5x5 tensor, 8 bits", (five, 8)), Case("the same tensor, 3 bits", (five, 3)),
            Case("a (4, 3, 3, 3) conv weight, 4 bits", (conv, 4)),
            Case("a 5x5 tensor with an all-zero row (its scale: 1), 8 bits", (zero_row, 8))]


EXERCISES = {"quantize_per_channel": Exercise(quantize_reference, _cases, atol=1e-7),
             "fake_quant": Exercise(fake_quant_reference, _cases, atol=1e-6)}


def conv_layers(model: Detector) -> dict[str, nn.Conv2d]:
    """Every conv by module name, the output convs included: the layers a lab gives bits to."""
    return prunable_layers(model, include_outputs=True)


def quantized(model: Detector, layer_bits: dict[str, int]) -> Detector:
    """A copy of ``model`` with each named conv's weights fake-quantized to its bits."""
    copy = copy_of(model)
    layers = conv_layers(copy)
    with torch.no_grad():
        for name, bits in layer_bits.items():
            layers[name].weight.copy_(fake_quant_reference(layers[name].weight, bits))
    return copy


def relative_error(weight: torch.Tensor, bits: int) -> float:
    """||fake_quant(w) - w|| / ||w||."""
    return float((fake_quant_reference(weight, bits) - weight).norm() / weight.norm())


def weight_bytes_share(model: Detector, layer_bits: dict[str, int]) -> float:
    """The convs' weights stored at ``layer_bits`` (each channel's scale a float32; convs
    not named in float32), as a share of all of them in float32."""
    total = stored = 0
    for name, conv in conv_layers(model).items():
        n = conv.weight.numel()
        total += 4 * n
        bits = layer_bits.get(name)
        stored += 4 * n if bits is None else math.ceil(n * bits / 8) + 4 * conv.out_channels
    return stored / total


def bits_scan(lab: Lab, bits=SCAN_BITS) -> pd.DataFrame:
    """Each conv quantized alone at each bit width (its weights' error and the detector's
    validation mAP@0.5), and every conv at once (layer "all")."""
    dense = lab.model()
    layers = conv_layers(dense)
    rows = []
    for name, conv in [*layers.items(), ("all", None)]:
        for b in bits:
            chosen = dict.fromkeys(layers, b) if conv is None else {name: b}
            error = None if conv is None else relative_error(conv.weight.detach(), b)
            rows.append({"layer": name, "weights": sum(layers[k].weight.numel() for k in chosen), "bits": b,
                         "error": error, "val_map50": lab.val_map50(quantized(dense, chosen))})
    return pd.DataFrame(rows)


def bits_figure(scan: pd.DataFrame, dense_map50: float) -> plt.Figure:
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    for name, lines in scan.groupby("layer", sort=False):
        style = {"color": "black", "linewidth": 2.5} if name == "all" else {}
        if name != "all":
            left.plot(lines["bits"], lines["error"], marker="o", label=name)
        right.plot(lines["bits"], lines["val_map50"], marker="o", label=name, **style)
    left.set(xlabel="bits", ylabel="relative error of the weights", yscale="log", title="Each conv's error")
    right.axhline(dense_map50, color="grey", linestyle="--", linewidth=1)
    right.set(xlabel="bits", ylabel="validation mAP@0.5", title="One conv quantized (all: every conv)")
    right.legend(fontsize=6, ncol=2)
    for ax in (left, right):
        ax.invert_xaxis()
    fig.tight_layout()
    return fig


def study_int8(lab: Lab) -> pd.DataFrame:
    """The study's int8 path on the lab's detector: weights and activations in int8
    (calibrated on the first training images, the output convs in float), its validation
    mAP@0.5 and its file's bytes beside the float model's (the storage ledger)."""
    dense = lab.model()
    images = calibration_images(open_data(lab.params)["train"], lab.params, CALIBRATION_IMAGES)
    ledger = storage_ledger(dense)
    return pd.DataFrame([
        {"model": "float32", "val_map50": lab.dense_map50, "file_bytes": ledger["dense fp32"]},
        {"model": "study's int8", "val_map50": lab.val_map50(int8(dense, images)), "file_bytes": ledger["dense int8"]},
    ])


def check_target(lab: Lab, layer_bits) -> None:
    """The lab's target: convs fake-quantized at ``layer_bits`` ({conv: bits}, 2 to 8; convs
    not named stay float32) store their weights in at most BYTES_AT_MOST of their float32
    bytes, at the scale's share of the dense validation mAP@0.5 (no retraining)."""
    dense = lab.model()
    names = list(conv_layers(dense))
    require(isinstance(layer_bits, dict), f"layer_bits: expected a dict {{conv: bits}}, got {layer_bits!r}")
    unknown = sorted(set(layer_bits) - set(names))
    require(not unknown, f"layer_bits: {unknown} are not convs of the detector; they are {names}")
    bad = {k: v for k, v in layer_bits.items() if not (isinstance(v, int) and not isinstance(v, bool) and 2 <= v <= 8)}
    require(not bad, f"layer_bits: expected whole bits from 2 to 8, got {bad}")
    share = weight_bytes_share(dense, layer_bits)
    score = lab.val_map50(quantized(dense, layer_bits))
    print(target_line(lab, score, f"the convs' weights in {share:.1%} of their float32 bytes"))
    require(share <= BYTES_AT_MOST, f"{share:.1%} of the float32 bytes; the target is at most {BYTES_AT_MOST:.0%}")
    require_map(lab, score)
