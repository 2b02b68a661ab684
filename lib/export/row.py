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
from ..models import Detector, load_weights
from ..quantize.run import Int8Params, calibration_of
from ..result import RunResult
from .graph import to_onnx
from .int8 import quantize_int8


def own_int8(result: RunResult) -> tuple[Tensor, bool] | None:
    """An int8 row's calibration images (N, 3, S, S) and whether it keeps its output
    convs float; None for a float row."""
    if get_method(result.method).settings is not Int8Params:
        return None
    return calibration_of(result.run_dir), Int8Params(**result.settings).keep_outputs_fp32


def write_onnx(model: Detector, out: str | Path, img_size: int, int8_images: Tensor | None = None,
               keep_outputs_fp32: bool = True) -> Path:
    """``model`` written to ``out`` as ONNX, checked against PyTorch (``to_onnx``); with
    ``int8_images``, onnxruntime's static int8 of it calibrated on them. The file lands
    whole or not at all."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as folder:
        written = to_onnx(model, Path(folder) / "fp32.onnx", img_size)
        if int8_images is not None:
            written = quantize_int8(written, Path(folder) / "int8.onnx", int8_images, keep_outputs_fp32)
        os.replace(written, out)
    return out


def row_onnx(result: RunResult, out: str | Path) -> Path:
    """``result``'s model as the ONNX file it ships as, at ``out`` (an int8 row's: int8)."""
    return write_onnx(load_weights(result.model_file), out, result.img_size, *(own_int8(result) or ()))
