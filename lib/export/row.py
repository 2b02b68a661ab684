"""A study row's model as the ONNX file it ships as: its best model file exported (a
masked model with its zeros baked in), or, for an int8 row, onnxruntime's static int8
of that float source, calibrated on the row's own images with its own kept-float
outputs."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from torch import Tensor

from ..methods import get_method
from ..models import Detector, computation, load_weights
from ..quantize.run import Int8Params, calibration_of
from ..result import RunResult
from .graph import to_onnx
from .int8 import quantize_int8


def is_int8(result: RunResult) -> bool:
    return get_method(result.method).settings is Int8Params


def own_int8(result: RunResult) -> tuple[Tensor, bool] | None:
    """An int8 row's calibration images (N, 3, S, S) and whether it keeps its output
    convs float; None for a float row."""
    if not is_int8(result):
        return None
    return calibration_of(result.run_dir), Int8Params(**result.settings).keep_outputs_fp32


def write_onnx(model: Detector, out: str | Path, img_size: int, int8_images: Tensor | None = None,
               keep_outputs_fp32: bool = True, like: str | Path | None = None) -> Path:
    """``model`` written to ``out`` as ONNX, checked against PyTorch (``to_onnx``; ``like``:
    a float file of the same architecture whose graph to reuse); with ``int8_images``,
    onnxruntime's static int8 of it calibrated on them. The file lands whole or not at all."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as folder:
        written = to_onnx(model, Path(folder) / "fp32.onnx", img_size, like=like)
        if int8_images is not None:
            written = quantize_int8(written, Path(folder) / "int8.onnx", int8_images, keep_outputs_fp32)
        os.replace(written, out)
    return out


def row_onnx(result: RunResult, out: str | Path) -> Path:
    """``result``'s model as the ONNX file it ships as, at ``out`` (an int8 row's: int8)."""
    return rows_onnx([(result, out)])[0]


def rows_onnx(calls: list[tuple[RunResult, str | Path]]) -> list[Path]:
    """``row_onnx`` of each (result, out), tracing each architecture once at each input
    size: a row after the first float row of its architecture is written into that row's
    graph with its own weights (``to_onnx``'s ``like``). Float rows go first, so that an
    int8 row's float step finds their graph."""
    graphs: dict[tuple[str, int], Path] = {}  # (computation, input size) -> a float file of it
    for result, out in sorted(calls, key=lambda call: is_int8(call[0])):
        model, int8 = load_weights(result.model_file), own_int8(result)
        key = (computation(model.arch), result.img_size)
        write_onnx(model, out, result.img_size, *(int8 or ()), like=graphs.get(key))
        if int8 is None:  # the latest: traced anew where an earlier graph did not fit, it fits more
            graphs[key] = Path(out)
    return [Path(out) for _, out in calls]
