"""ONNX files run by onnxruntime on the CPU: a session with a fixed thread count, a
detector module around it, and its latency as the study times PyTorch's."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

from ..models import Detector
from ..models.head import decode
from ..timing import median_ms

if TYPE_CHECKING:
    import onnxruntime as ort

# onnx and onnxruntime are imported where a file is written or run, not at the top of
# lib.export's modules: every notebook of a build imports lib (through lib.chapter), and
# only the results notebook exports (see lib.quantize.int8 for what the imports cost).

INPUT = "images"


def ort_options(threads: int = 1) -> ort.SessionOptions:
    """onnxruntime's CPU session options: ``threads`` compute threads (one: the study's
    latency), one operator at a time, every graph optimisation on, errors only in its log."""
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only: its notices about unused initialisers are not ours
    return options


def session(path: str | Path, threads: int = 1) -> ort.InferenceSession:
    """onnxruntime's CPU session of ``path`` (``ort_options``)."""
    import onnxruntime as ort
    return ort.InferenceSession(str(path), ort_options(threads), providers=["CPUExecutionProvider"])


class OnnxForward(nn.Module):
    """An ONNX file as a module: images (N, 3, S, S) float32 -> its outputs as tensors."""

    def __init__(self, path: str | Path, threads: int = 1):
        super().__init__()
        self.path, self.session = Path(path), session(path, threads)

    def forward(self, x: Tensor) -> list[Tensor]:
        outputs = self.session.run(None, {INPUT: x.detach().cpu().float().numpy()})
        return [torch.from_numpy(o) for o in outputs]


class OnnxDetector(OnnxForward):
    """A detector's ONNX file as a detector: forward gives the raw head maps, ``decode``
    is that of ``like`` (the model it was exported from: its anchors and strides), so
    ``lib.train.run.scored`` scores it as it scores a PyTorch model."""

    def __init__(self, path: str | Path, like: Detector, threads: int = 1):
        super().__init__(path, threads)
        self.register_buffer("anchors", like.anchors.detach().clone().cpu())
        self.strides, self.arch = like.strides, dict(like.arch)

    def decode(self, maps: list[Tensor]) -> Tensor:
        return decode(maps, self.anchors, self.strides)


def onnx_latency(path: str | Path, img_size: int = 416, threads: int = 1, repeats: int = 20, warmup: int = 3) -> float:
    """onnxruntime's CPU latency of ``path``: as ``lib.measure.latency`` times PyTorch, the
    median milliseconds of ``repeats`` runs on one (1, 3, img_size, img_size) image with
    ``threads`` threads, after ``warmup`` runs."""
    return median_ms(OnnxForward(path, threads), torch.rand(1, 3, img_size, img_size), repeats, warmup)
