"""Post-training static int8 quantization of a detector by PT2E (torchao): per-channel
symmetric int8 weights, int8 activations with scales calibrated on training images,
BatchNorm folded into its conv, and (by default) the output convolutions kept in float32.

The model is exported (``torch.export``, batch size and square side free), annotated by
torchao's ``X86InductorQuantizer``, calibrated and converted. The converted graph holds
int8 weight tensors and quantize/dequantize nodes around every quantized conv: run as
it is (``Int8Detector.forward``) it computes in float what the int8 kernels compute in
integers, and scores the model; compiled by inductor (``Int8Detector.compiled``), each
dequantize-conv-quantize becomes one oneDNN int8 convolution, the deployed form the
study times. ``int8_convs`` counts the converted graph's int8 convolutions;
``compiled_int8_convs`` the integer convolutions inductor's code calls.

Why PT2E: PyTorch deprecated ``torch.ao.quantization``'s FX flow (the study's int8 until
December 2026) for PT2E in torchao; measured on this study's 2-core CPU at 416 px, the
compiled PT2E model ran YOLOv3 in 179 ms and Tiny in 17 ms, against 277 and 24 ms for
onnxruntime's static int8 (book: deployment). Compiling needs a C++ compiler.
"""
from __future__ import annotations

import logging
import os
import shutil
import warnings
from collections import Counter

import torch
from torch import Tensor, nn

from ..models import Detector
from ..models.head import decode
from ..models.io import copy_of
from ..models.shapes import DYNAMIC_INPUT
from ..prune.dispatch import baked_model
from ..prune.masks import is_masked

# torchao and inductor are imported in the functions that quantize, compile or run an
# int8 model, not here: with onnx and onnxruntime (lib.export.runtime) they took 2.6 s of
# the 7.8 s that importing lib.chapter took, in each of the ~65 notebooks of a build,
# which mostly never touch int8.
# torchao 0.18 registers an Enum as a pytree constant, which torch 2.14 logs as deprecated
# on import, and inductor's C++ builder logs that a CPU-only torch has no CUDA: notices
# about their code, in every notebook's output otherwise.
for _name in ("torch.utils._pytree", "torch.utils.cpp_extension"):
    logging.getLogger(_name).setLevel(logging.ERROR)

DEQUANTIZE_WEIGHT = "dequantize_per_channel"


class CompilerMissing(RuntimeError):
    """No C++ compiler for inductor's int8 kernels."""


def require_compiler() -> str:
    """The C++ compiler inductor will call ($CXX, else c++ or g++ on the PATH)."""
    for name in (os.environ.get("CXX"), "c++", "g++"):
        if name and shutil.which(name):
            return shutil.which(name)
    raise CompilerMissing("the int8 model's deployed form is compiled by torch.compile (inductor), which needs a C++ "
                          "compiler: none found ($CXX, c++, g++); install one (e.g. apt install g++) or set $CXX")


class Int8Detector(nn.Module):
    """A converted int8 graph with its float model's anchors and decode.

    forward(x: (N, 3, H, W) float in [0, 1], H = W a multiple of 32) -> the raw head maps,
    S float tensors (N, 3*(5+C), H_s, W_s), computed with int8 weights and activations
    except ``fp32_layers``.
    """

    def __init__(self, graph: torch.fx.GraphModule, source: Detector, fp32_layers: list[str]):
        super().__init__()
        self.graph = graph
        self.num_classes, self.strides = source.num_classes, source.strides
        self.fp32_layers = fp32_layers
        self.register_buffer("anchors", source.anchors.clone(), persistent=False)

    @torch.no_grad()  # inference only: inductor freezes the weights, and fuses the int8 convs, only without grad
    def forward(self, x: Tensor) -> list[Tensor]:
        # Freezing set around the call, where a compiled graph compiles: torch.compile's
        # options={"freezing": True} fails on oneDNN's weight prepacking (torch 2.14).
        from torch._inductor import config as inductor_config
        with inductor_config.patch(freezing=True):
            return list(self.graph(x))

    def decode(self, maps: list[Tensor]) -> Tensor:
        return decode(maps, self.anchors, self.strides)

    def compiled(self) -> Int8Detector:
        """The deployed form: the graph compiled by inductor with frozen weights (int8
        oneDNN convolutions), once per input shape on its first call (seconds to a
        minute on a CPU)."""
        require_compiler()
        return Int8Detector(torch.compile(self.graph, dynamic=False), self, self.fp32_layers)


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
    from torchao.quantization.pt2e import allow_exported_model_train_eval
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e
    from torchao.quantization.pt2e.quantizer.x86_inductor_quantizer import (
        X86InductorQuantizer, get_default_x86_inductor_quantization_config)
    images = check_images(calibration_images)
    source = baked_model(model) if is_masked(model) else copy_of(model)
    source = source.cpu().eval().to(memory_format=torch.contiguous_format)
    fp32_layers = output_layer_names(source) if keep_outputs_fp32 else []
    quantizer = X86InductorQuantizer().set_global(get_default_x86_inductor_quantization_config())
    for name in fp32_layers:
        quantizer.set_module_name_qconfig(name, None)
    with torch.no_grad(), warnings.catch_warnings():
        # the quantizer notes each max-pool it leaves float (its input is a kept-float layer's)
        warnings.filterwarnings("ignore", message="The input of maxpool2d is not quantized")
        example = images[:1].expand(2, -1, -1, -1)  # batch 2: export would fix a batch of 1
        exported = torch.export.export(source, (example,), dynamic_shapes=(DYNAMIC_INPUT,)).module()
        observed = prepare_pt2e(exported, quantizer)
        for batch in images.split(batch_size):
            observed(batch)
        graph = allow_exported_model_train_eval(convert_pt2e(observed))  # callers may call .eval() on any model
    return Int8Detector(graph, source, fp32_layers).eval()


def int8_convs(model: Int8Detector) -> Counter:
    """The converted graph's convolutions by kind, counted from its nodes: "int8 conv"
    (its weight an int8 tensor dequantized per channel, its input dequantized from int8)
    or "float conv" (the kept-float outputs)."""
    kinds = Counter()
    for node in model.graph.graph.nodes:
        if node.op == "call_function" and "conv" in str(node.target):
            image, weight = node.args[:2]
            quantized = all(getattr(arg, "op", None) == "call_function" and "dequantize" in str(arg.target)
                            for arg in (image, weight)) and DEQUANTIZE_WEIGHT in str(weight.target)
            kinds["int8 conv" if quantized else "float conv"] += 1
    return kinds


def compiled_int8_convs(model: Int8Detector, x: Tensor) -> int:
    """How many oneDNN int8 convolutions (``onednn.qconv*``) the code inductor generates
    for ``model``'s compiled form at ``x``'s shape calls: the proof that integer kernels,
    not float ones, do the work where it is deployed."""
    from torch._inductor.utils import run_and_get_code  # inductor's helper that returns the code it generated
    _, code = run_and_get_code(model.compiled(), x)
    return sum(source.count("torch.ops.onednn.qconv") for source in code)
