"""CPU latency of dense vs sparse inference for pruned YOLOv3 (prints figures; not a test).

    python -m lib.benchmarks.sparse_latency [--repeats 5] [--threads 2] [--width 1.0]

For each sparsity: the masked model run densely, then its masked convs swapped for
SparseConv2d (CSR weight x im2col); 416 x 416, batch 1, the same thread count,
median of ``repeats`` timed runs after one warm-up. Random-init weights: latency
depends on the sparsity pattern's density, not on what the weights learned.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from ..measure import count_macs
from ..models import build
from ..prune import magnitude_prune, to_sparse_inference

CASES = ((0.9, "layer"), (0.99, "layer"))


def median_ms(model, x, repeats: int) -> float:
    with torch.no_grad():
        model(x)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            model(x)
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def pruned_yolov3(sparsity: float, scope: str, width: float):
    torch.manual_seed(0)
    model = build("yolov3", 20, width=width)
    magnitude_prune(model, sparsity, scope)
    return model.eval()


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--width", type=float, default=1.0)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    x = torch.rand(1, 3, 416, 416)
    dense_macs = count_macs(build("yolov3", 20, width=args.width), 416)["macs"]
    rows = []
    print(f"YOLOv3 width {args.width}, 416x416, batch 1, {args.threads} threads, median of {args.repeats}")
    print(f"{'sparsity':>9} {'scope':>6} {'dense ms':>9} {'sparse ms':>10} {'speedup':>8} {'MAC ratio':>10}")
    for sparsity, scope in CASES:
        dense = pruned_yolov3(sparsity, scope, args.width)
        macs = count_macs(dense, 416)["macs"]
        dense_ms = median_ms(dense, x, args.repeats)
        sparse_ms = median_ms(to_sparse_inference(pruned_yolov3(sparsity, scope, args.width)), x, args.repeats)
        row = {"sparsity": sparsity, "scope": scope, "dense_ms": dense_ms, "sparse_ms": sparse_ms,
               "speedup": dense_ms / sparse_ms, "mac_ratio": dense_macs / macs}
        rows.append(row)
        print(f"{sparsity:>9.2f} {scope:>6} {dense_ms:>9.1f} {sparse_ms:>10.1f} {row['speedup']:>8.2f} "
              f"{row['mac_ratio']:>10.1f}")
    return rows


if __name__ == "__main__":
    main()
