"""int8 by onnxruntime's static quantization: QDQ nodes around every conv, per-channel
signed weights, signed activations (S8S8: on CPUs without VNNI, as this study's, U8S8
saturates, as onnxruntime's documentation warns), scales calibrated on the study's
training images; the output convs stay float when asked (the head's decode reads them)."""
from __future__ import annotations

import collections
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from torch import Tensor

from .runtime import INPUT, ort_options

if TYPE_CHECKING:
    import onnx


class Images:
    """Calibration batches of one image each, in the given order: an onnxruntime
    ``CalibrationDataReader`` (which any class with ``get_next`` is, by its subclass hook)."""

    def __init__(self, images: Tensor):
        self.batches = iter([{INPUT: image[None].numpy()} for image in images])

    def get_next(self) -> dict | None:
        return next(self.batches, None)


def output_convs(model: onnx.ModelProto) -> list[str]:
    """The Conv nodes whose outputs are the graph's, walking back from each output through
    the first input of any node between (an Identity, a Reshape): the head's output convs."""
    producer = {out: node for node in model.graph.node for out in node.output}
    found = []
    for output in model.graph.output:
        node = producer.get(output.name)
        while node is not None and node.op_type != "Conv":
            node = producer.get(node.input[0]) if node.input else None
        if node is not None:
            found.append(node.name)
    return found


def quantize_int8(fp32: str | Path, int8: str | Path, images: Tensor, keep_outputs_fp32: bool = True) -> Path:
    """``fp32`` (an exported detector) quantized to ``int8``: onnxruntime's
    pre-processing (shape inference, graph optimisation), then QDQ static quantization
    calibrated on ``images`` (n, 3, S, S) by min-max; the output convs left float with
    ``keep_outputs_fp32``."""
    import onnx
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process
    int8 = Path(int8)
    with tempfile.TemporaryDirectory() as folder:
        prepared = Path(folder) / "prepared.onnx"
        quant_pre_process(str(fp32), str(prepared), skip_symbolic_shape=True)
        kept = output_convs(onnx.load(str(prepared))) if keep_outputs_fp32 else []
        quantize_static(str(prepared), str(int8), Images(images), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QInt8, weight_type=QuantType.QInt8, nodes_to_exclude=kept,
                        extra_options={"ActivationSymmetric": False, "WeightSymmetric": True})
    return int8


def runtime_ops(path: str | Path) -> collections.Counter:
    """The operators onnxruntime runs for ``path`` after its own optimisations (a QDQ
    conv becomes one integer QLinearConv there), counted from the optimised graph."""
    import onnx
    import onnxruntime as ort
    with tempfile.TemporaryDirectory() as folder:
        optimised = Path(folder) / "optimised.onnx"
        options = ort_options()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        options.optimized_model_filepath = str(optimised)
        ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        return collections.Counter(node.op_type for node in onnx.load(str(optimised)).graph.node)
