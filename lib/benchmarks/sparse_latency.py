"""CPU latency of pruned YOLOv3: each sparse kernel and the per-layer dispatch, and a
channel-pruned model, against the dense model with the zeros baked in (prints a
table; not a test).

    python -m lib.benchmarks.sparse_latency [--repeats 5] [--threads 1 2] [--width 1.0]

Batch 1, 416 x 416, median of ``repeats`` timed runs after one warm-up, all in one
process side by side. Random-init weights pruned by magnitude: latency depends on the
sparsity pattern's density, not on what the weights learned. "masked" is the model as
trained (weight x mask recomputed every call), the old baseline.
"""
from __future__ import annotations

import argparse

import torch

from ..counting import count_macs
from ..measure import latency
from ..models import build
from ..prune import channel_prune, magnitude_prune, to_sparse_inference
from ..prune.dispatch import baked_model

SPARSITIES = (0.9, 0.99)
CHANNEL_MACS = 0.1   # the channel-pruned model's MACs, as a share of dense


def pruned_yolov3(sparsity: float, width: float):
    torch.manual_seed(0)
    model = build("yolov3", 20, width=width)
    magnitude_prune(model, sparsity, "layer")
    return model.eval()


def measure(width: float, threads: int, repeats: int) -> list[dict]:
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    dense = build("yolov3", 20, width=width).eval()
    dense_macs = count_macs(dense, 416)["macs"]
    rows = []

    def add(name: str, model, baseline_ms: float | None, macs: int) -> float:
        """Time ``model`` and add its line (``baseline_ms`` None: it is the baseline)."""
        ms = latency(model, 416, threads, repeats)
        rows.append({"threads": threads, "model": name, "ms": ms, "ratio": ms / (baseline_ms or ms),
                     "MACs %": 100 * macs / dense_macs})
        return ms

    for sparsity in SPARSITIES:
        masked = pruned_yolov3(sparsity, width)
        macs = count_macs(masked, 416)["macs"]  # alive weights only, whichever kernel runs them
        base = add(f"{sparsity:.0%} layer-wise, zeros baked (baseline)", baked_model(masked), None, macs)
        add(f"{sparsity:.0%}, masked (weight x mask each call)", masked, base, macs)
        for kernel in ("csr-im2col", "csr-1x1", "csr-shift"):
            add(f"{sparsity:.0%}, {kernel} where it applies", to_sparse_inference(masked, 416, 3, force=kernel), base, macs)
        add(f"{sparsity:.0%}, dispatch", to_sparse_inference(masked, 416, repeats), base, macs)
    base = add("dense, as built (baseline)", dense, None, dense_macs)
    slim = channel_prune(dense, CHANNEL_MACS)
    add(f"channel-pruned to {CHANNEL_MACS:.0%} of MACs", slim, base, count_macs(slim, 416)["macs"])
    return rows


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--width", type=float, default=1.0)
    args = parser.parse_args(argv)
    print(f"YOLOv3 width {args.width}, 416x416, batch 1, median of {args.repeats}; ratio: latency / the baseline above")
    print(f"{'threads':>7}  {'model':<46} {'ms':>9} {'ratio':>6} {'MACs %':>7}")
    rows = []
    for threads in args.threads:
        for row in measure(args.width, threads, args.repeats):
            print(f"{row['threads']:>7}  {row['model']:<46} {row['ms']:>9.1f} {row['ratio']:>6.2f} {row['MACs %']:>7.1f}")
            rows.append(row)
    return rows


if __name__ == "__main__":
    main()
