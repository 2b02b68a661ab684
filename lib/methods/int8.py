"""Post-training int8 (beyond the paper) of a trained float model: the dense YOLOv3 or
a lottery ticket (``lib.quantize``). Nothing trains; its results keep the source's
test mAP@0.5 and the quantized operators of one forward pass, and its model opens as
the int8 model rebuilt from its folder."""
from __future__ import annotations

from ..method import Method, Outcome
from ..quantize import Int8Params, load_int8, run_int8


def run(params, q: Int8Params, inputs, root, log) -> Outcome:
    source = inputs["source"]
    metrics = run_int8(params, q, source.model_file, root)
    return Outcome(metrics, params, {"source_map50": source.metrics.map50, "quantized_ops": metrics["quantized_ops"]},
                   (source.budget,))


METHOD = Method(key="int8", settings=Int8Params, family="quantization", page="quantization", template="09_quantize",
                run=run, inputs=("source",), required=("source",), extras=("source_map50", "quantized_ops"),
                precision="int8", loader=lambda result: load_int8(result.run_dir))
