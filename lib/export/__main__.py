"""A row's model as a file to ship, run by onnxruntime:

    python -m lib.export --run runs/study/01_baseline-<key>.json --out yolov3.onnx
    python -m lib.export --run runs/study/07_channels-<key>.json --out slim-int8.onnx --int8

Writes the row's model (its best model file; a masked one with its zeros baked) as ONNX,
checked against PyTorch, or its int8 form (``--int8``; an int8 row's is int8 anyway:
onnxruntime's static quantization of its float source, calibrated on the first training
images of the row's data). Prints the file's size, its onnxruntime latency (batch 1, the
row's input size and 416 px) and its test mAP@0.5 measured through onnxruntime, beside
the row's own.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import add_debug_flag, reported
from ..models import load_weights
from ..params import from_dict
from ..quantize.run import Int8Params, calibration_images
from ..result import read_result
from ..train.distributed import World
from ..train.run import make_loader, open_data, scored
from . import OnnxDetector, onnx_latency
from .row import own_int8, write_onnx


def export_row(result_path: Path, out: Path, int8: bool, threads: int) -> list[str]:
    """Write the row at ``result_path`` to ``out``; the lines that describe it."""
    result = read_result(result_path)
    params = from_dict(result.run_params)
    model = load_weights(result.model_file)
    data = open_data(params)
    own = own_int8(result)  # an int8 row's own calibration, else with --int8 the study's settings
    if own is None and int8:
        q = Int8Params()
        own = calibration_images(data["train"], params, q.calibration_images), q.keep_outputs_fp32
    write_onnx(model, out, result.img_size, *(own or ()))
    deployed = OnnxDetector(out, model, threads)
    test = scored(deployed, make_loader(data["test"], params, World(), False, 0), params, "cpu",
                  data["train"].classes)
    return [f"{out}: {result.row} ({result.dataset}, seed {result.seed}), "
            f"{'float32' if own is None else 'int8'}, {out.stat().st_size:,} bytes",
            f"onnxruntime latency, batch 1, {threads} thread(s): {onnx_latency(out, result.img_size, threads):.1f} ms "
            f"at {result.img_size} px, {onnx_latency(out, 416, threads):.1f} ms at 416 px",
            f"test mAP@0.5 through onnxruntime {test['map50']:.4f} (the row's own, in PyTorch: "
            f"{result.metrics.map50:.4f})"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.export", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", type=Path, required=True, help="a row's result JSON (runs/study/<chapter>-<key>.json)")
    parser.add_argument("--out", type=Path, required=True, help="the ONNX file to write")
    parser.add_argument("--int8", action="store_true", help="onnxruntime's static int8 quantization of the model")
    parser.add_argument("--threads", type=int, default=1, help="onnxruntime's threads when timing (default 1)")
    add_debug_flag(parser)
    args = parser.parse_args(argv)
    with reported(args.debug):
        for line in export_row(args.run, args.out, args.int8, args.threads):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
