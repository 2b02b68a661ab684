"""Compressed models that leave Python: each row's detector as an ONNX file that
onnxruntime runs, its latency there, and int8 by onnxruntime's static quantization.

- ``to_onnx(model, path, img_size)``: dense, channel-pruned, factored and distilled
  detectors as they are; masked ones with their zeros baked into plain convs. The graph
  outputs the raw head maps, so ``model.decode`` and ``lib.evaluate`` read its outputs
  unchanged; every file is checked (``onnx.checker``) and run once against PyTorch.
- ``OnnxDetector(path, like)``: an ONNX file as a detector module (forward and
  ``decode``), so the study's scoring and timing take it as they take a PyTorch model.
- ``quantize_int8(fp32, int8, images)``: QDQ, per-channel signed weights and signed
  activations (S8S8: the AVX2 machines without VNNI saturate U8S8), calibrated on the
  study's training images, output convs kept float where asked.
- ``row_onnx(result, path)``: a study row's model as the file it ships as (an int8
  row's: onnxruntime's int8 with the row's own calibration images); ``rows_onnx``, of
  several rows, tracing each architecture once and writing the others' weights into it.
- ``python -m lib.export --run <result.json> --out model.onnx [--int8]``: a row's model as
  a file to ship, with its size, its onnxruntime latency and its test mAP@0.5 through
  onnxruntime.
"""
from .graph import to_onnx
from .int8 import quantize_int8, runtime_ops
from .row import own_int8, row_onnx, rows_onnx, write_onnx
from .runtime import OnnxDetector, OnnxForward, onnx_latency

__all__ = ["OnnxDetector", "OnnxForward", "onnx_latency", "own_int8", "quantize_int8", "row_onnx", "rows_onnx", "runtime_ops", "to_onnx", "write_onnx"]
