"""CPU latency of each deployed form, side by side in one process (prints a table; not
a test):

    python -m lib.benchmarks.deploy [--width 1.0] [--size 416] [--threads 1] [--repeats 10] [--rounds 5]

For YOLOv3 and Tiny (20 classes, random weights: latency does not depend on what the
weights learned, except through zeros): float32 in PyTorch and in onnxruntime; int8 by
onnxruntime's static quantization (output convs kept float, and all int8) and by PT2E
in torchao compiled by inductor (the study's int8; its compile is in the warm-up, not
the time); the channel-pruned model at 11% of the
MACs; and, for YOLOv3, the 90%-sparse masked model exported with its zeros. Batch 1,
after three warm-ups, every form of a model timed together in ``rounds`` rounds
(``lib.measure.latencies``): a time is the median of its rounds, its ratio against
float32 PyTorch the median of the two forms' ratios round by round, with their range.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

import torch

from ..export import OnnxForward, quantize_int8, to_onnx
from ..measure import deployed, latencies
from ..models import build
from ..prune import channel_prune, magnitude_prune
from ..quantize import int8

CHANNEL_MACS = 0.11  # the paper's LTH Local row's MACs share: the study's channel-pruned row
CALIBRATION = 8


def forms(name: str, width: float, size: int, folder: Path) -> dict[str, tuple[str, object]]:
    """label -> ("torch", module) or ("onnx", path) for one architecture."""
    torch.manual_seed(0)
    dense = build(name, 20, width=width).eval()
    images = torch.rand(CALIBRATION, 3, size, size)
    fp32 = to_onnx(dense, folder / f"{name}.onnx", size)
    slim = channel_prune(dense, CHANNEL_MACS)
    out = {"float32, PyTorch": ("torch", dense), "float32, onnxruntime": ("onnx", fp32),
           "int8 onnxruntime, outputs float": ("onnx", quantize_int8(fp32, folder / f"{name}-int8-keep.onnx", images)),
           "int8 onnxruntime, all": ("onnx", quantize_int8(fp32, folder / f"{name}-int8-all.onnx", images, False)),
           "int8 PT2E, inductor (the study's)": ("torch", deployed(int8(dense, images), size)),
           f"channel-pruned {CHANNEL_MACS:.0%} MACs, PyTorch": ("torch", slim),
           f"channel-pruned {CHANNEL_MACS:.0%} MACs, onnxruntime": ("onnx", to_onnx(slim, folder / f"{name}-slim.onnx",
                                                                                  size))}
    if name == "yolov3":
        sparse = build(name, 20, width=width).eval()
        magnitude_prune(sparse, 0.9, "layer")
        out["90% sparse (zeros baked), onnxruntime"] = ("onnx", to_onnx(sparse, folder / f"{name}-sparse.onnx", size))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lib.benchmarks.deploy", description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=float, default=1.0)
    parser.add_argument("--size", type=int, default=416)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=10, help="timed runs of each form, over all rounds")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"width {args.width}, {args.size} px, batch 1, {args.threads} thread(s), {args.rounds} rounds of "
          f"{max(1, args.repeats // args.rounds)} runs")
    print("| model | form | ms | × float32 PyTorch | its range over the rounds |\n|---|---|---:|---:|---:|")
    for name in ("yolov3", "yolov3-tiny"):
        with tempfile.TemporaryDirectory() as folder:
            modules = {label: (model if runtime == "torch" else OnnxForward(model, args.threads), args.size)
                       for label, (runtime, model) in forms(name, args.width, args.size, Path(folder)).items()}
            rounds = latencies(modules, args.threads, args.rounds, args.repeats)
            base = next(iter(rounds.values()))  # float32 PyTorch
            for label, times in rounds.items():
                ratios = [t / b for t, b in zip(times, base)]
                print(f"| {name} | {label} | {statistics.median(times):.1f} | {statistics.median(ratios):.2f} | "
                      f"{min(ratios):.2f}–{max(ratios):.2f} |", flush=True)


if __name__ == "__main__":
    main()
