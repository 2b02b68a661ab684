"""Post-training static int8 quantization of a detector: per-channel symmetric int8
weights, int8 activations with scales calibrated on training images, BatchNorm folded
into its conv, and (by default) the output convolutions kept in float32, by PyTorch's
FX graph-mode flow on the 'x86' backend (oneDNN / FBGEMM kernels).

Why this flow: torch 2.14 marks ``torch.ao.quantization``'s eager and FX flows as
deprecated in favour of PT2E, which now lives in the separate torchao package. Measured
on the 2-core machine before this module was written, PT2E's one-off compile took 190 s
for YOLOv3-Tiny and its int8 output differed from float32 by only 7.7e-5, as if its int8
kernels had not run. The FX flow calibrates and converts the cpu profile's YOLOv3 in
under 3 s, and its convs run as ``quantized::conv2d`` operators (``quantized_ops``
checks that). The tests import this flow, so they fail the day it is removed.
"""
from __future__ import annotations

import warnings
from collections import Counter

import torch
from torch import Tensor, nn
from torch.ao.quantization import get_default_qconfig_mapping
from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
from torch.utils._python_dispatch import TorchDispatchMode

from ..models import Detector
from ..models.head import decode
from ..models.io import copy_of
from ..prune.dispatch import baked_model
from ..prune.masks import is_masked

BACKEND = "x86"


class Int8Detector(nn.Module):
    """An int8 graph with its float model's anchors and decode.

    forward(x: (N, 3, H, W) float in [0, 1]) -> the float model's raw head maps,
    S float tensors (N, 3*(5+C), H_s, W_s), computed in int8 except ``fp32_layers``.
    """

    def __init__(self, graph: nn.Module, source: Detector, fp32_layers: list[str]):
        super().__init__()
        self.graph = graph
        self.num_classes, self.strides = source.num_classes, source.strides
        self.fp32_layers = fp32_layers
        self.register_buffer("anchors", source.anchors.clone(), persistent=False)

    def forward(self, x: Tensor) -> list[Tensor]:
        return self.graph(x)

    def decode(self, maps: list[Tensor]) -> Tensor:
        return decode(maps, self.anchors, self.strides)


def check_images(images: Tensor) -> Tensor:
    if not isinstance(images, Tensor) or images.ndim != 4 or images.shape[1] != 3 or len(images) == 0:
        shape = tuple(images.shape) if isinstance(images, Tensor) else type(images).__name__
        raise ValueError(f"calibration_images: expected a float tensor (N >= 1, 3, H, W), got {shape}")
    return images.float()


def output_layer_names(model: Detector) -> list[str]:
    outputs = {id(conv) for conv in model.output_convs()}
    return [name for name, module in model.named_modules() if id(module) in outputs]


def int8(model: Detector, calibration_images: Tensor, keep_outputs_fp32: bool = True,
         batch_size: int = 8) -> Int8Detector:
    """``model`` (a masked one with its zeros baked in; the original is untouched)
    quantized to int8, its activation ranges observed on ``calibration_images``
    ((N, 3, H, W), training images as the loader gives them)."""
    images = check_images(calibration_images)
    source = baked_model(model) if is_masked(model) else copy_of(model)
    source = source.cpu().eval().to(memory_format=torch.contiguous_format)
    fp32_layers = output_layer_names(source) if keep_outputs_fp32 else []
    mapping = get_default_qconfig_mapping(BACKEND)
    for name in fp32_layers:
        mapping.set_module_name(name, None)
    torch.backends.quantized.engine = BACKEND
    with warnings.catch_warnings():  # the flow's deprecation notice, on every call (see the module's docstring)
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        observed = prepare_fx(source, mapping, example_inputs=(images[:1],))
        with torch.no_grad():
            for batch in images.split(batch_size):
                observed(batch)
        graph = convert_fx(observed)
    return Int8Detector(graph, source, fp32_layers).eval()


class OperatorCount(TorchDispatchMode):
    """Counts every operator dispatched while active, by name (``quantized::conv2d``).
    Not the profiler: its tracer prints lines to stderr on each use, which would
    repeat through every build of the book."""

    def __init__(self):
        super().__init__()
        self.counts = Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.counts[func._schema.name] += 1
        return func(*args, **(kwargs or {}))


def quantized_ops(model: nn.Module, x: Tensor) -> Counter:
    """How many times each ``quantized::`` operator ran in one forward pass of ``x``:
    the proof that int8 kernels, not float ones, did the work."""
    with torch.no_grad(), OperatorCount() as ops:
        model(x)
    return Counter({name: n for name, n in ops.counts.items() if name.startswith("quantized::")})
