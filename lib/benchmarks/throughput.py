"""Training and evaluation throughput of the study's models at a profile (prints a
table; not a test). Run it on an idle machine: its figures are ratios taken side by
side in one run.

    python -m lib.benchmarks.throughput [--profile cpu] [--batches 30] [--threads 1]
    python -m lib.benchmarks.throughput --against OTHER_CHECKOUT [--repeats 3]

For each model: images/s of the data loader alone, of training steps (loader,
forward, loss, backward, optimiser step, as the loop runs them) and of evaluation
(forward, decode, NMS and the mAP matching on the validation split).

``--against`` compares two checkouts of the project (e.g. a worktree of an older
commit, each at its own profile definition): the benchmark runs in each in turn,
``--repeats`` times, interleaved so that a machine's drift falls on both, and the
table gives the medians and their ratio (this checkout over the other).
"""
from __future__ import annotations

import argparse
import itertools
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

from ..evaluate import average_precision, predict
from ..profiles import profile_params
from ..train.loss import YoloLoss
from ..train.optim import make_optimizer
from ..train.distributed import World
from ..train.run import build_model, make_loader, open_data

MODELS = (("yolov3", None), ("yolov3-tiny", None), ("yolo-nano", None), ("yolov3-mobile", None),
          ("yolo-nano", "leaky"), ("yolov3-mobile", "leaky"))


def images_per_second(batches, step) -> float:
    """Run ``step`` on each batch; images per second of wall time."""
    start, images = time.perf_counter(), 0
    for batch in batches:
        step(batch)
        images += len(batch[0])
    return images / (time.perf_counter() - start)


def measure(profile: str, name: str, activation: str | None, n_batches: int) -> dict[str, float]:
    params = profile_params(profile, **{"model.name": name, "model.activation": activation})
    data, world = open_data(params), World(0, 1, torch.device("cpu"))
    train_loader = make_loader(data["train"], params, world, True, 0)
    model = build_model(params, data["train"])
    loss_fn, optimizer = YoloLoss(model, params.train), make_optimizer(model, params.train, params.train.lr(name))

    def train_step(batch):
        images, targets = batch
        loss, _ = loss_fn(model(images), targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    model.train()
    take = lambda: itertools.islice(iter(train_loader), n_batches)  # noqa: E731
    loader_rate = images_per_second(take(), lambda batch: None)
    train_rate = images_per_second(take(), train_step)
    val = make_loader(data["val"], params, world, False, 0)
    t = params.train
    start = time.perf_counter()
    average_precision(*predict(model, val, torch.device("cpu"), t.conf, t.nms_iou, t.max_det))
    eval_rate = len(data["val"].records) / (time.perf_counter() - start)
    return {"loader": loader_rate, "train": train_rate, "eval": eval_rate}


def run_in(checkout: Path, args) -> dict[str, list[float]]:
    """The benchmark's table as printed by a checkout of the project: label -> [loader, train, eval]."""
    command = [sys.executable, "-m", "lib.benchmarks.throughput", "--profile", args.profile,
               "--batches", str(args.batches), "--threads", str(args.threads)]
    out = subprocess.run(command, cwd=checkout, capture_output=True, text=True, check=True).stdout
    rows = [line.rsplit(maxsplit=3) for line in out.splitlines()[2:] if line.strip()]
    return {label.strip(): [float(v) for v in values] for label, *values in rows}


def compare(args) -> dict[str, list[float]]:
    """Medians of ``args.repeats`` interleaved runs here and in ``args.against``, and their ratios."""
    here, other = Path(__file__).resolve().parents[2], Path(args.against).resolve()
    runs = {here: [], other: []}
    for _ in range(args.repeats):
        for checkout in (other, here):
            runs[checkout].append(run_in(checkout, args))
    median = {c: {label: [statistics.median(r[label][k] for r in tables) for k in range(3)] for label in tables[0]}
              for c, tables in runs.items()}
    labels = [label for label in median[here] if label in median[other]]  # models both checkouts measure
    print(f"{args.repeats} interleaved runs each; medians in images/s, then this checkout / {other}")
    print(f"{'model':<24} {'train before':>13} {'train now':>10} {'ratio':>6} {'eval before':>12} {'eval now':>9} {'ratio':>6}")
    ratios = {}
    for label in labels:
        (_, t0, e0), (_, t1, e1) = median[other][label], median[here][label]
        ratios[label] = [t1 / t0, e1 / e0]
        print(f"{label:<24} {t0:>13.1f} {t1:>10.1f} {t1 / t0:>6.2f} {e0:>12.1f} {e1:>9.1f} {e1 / e0:>6.2f}")
    # one image of every model trained: the time it took before over the time it takes now
    seconds = {c: sum(1 / median[c][label][1] for label in labels) for c in (other, here)}
    print(f"{'all models (one image each)':<24} train ratio {seconds[other] / seconds[here]:.2f}")
    return ratios


def main(argv=None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--batches", type=int, default=30, help="training batches timed per model")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (make book runs 1 per kernel)")
    parser.add_argument("--against", help="another checkout of the project to compare with")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs per checkout (with --against)")
    args = parser.parse_args(argv)
    if args.against:
        return compare(args)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"profile {args.profile}, {args.threads} thread(s), {args.batches} training batches per model")
    print(f"{'model':<24} {'loader img/s':>13} {'train img/s':>12} {'eval img/s':>11}")
    table = {}
    for name, activation in MODELS:
        label = name + (f" ({activation})" if activation else "")
        table[label] = row = measure(args.profile, name, activation, args.batches)
        print(f"{label:<24} {row['loader']:>13.1f} {row['train']:>12.1f} {row['eval']:>11.1f}")
    return table


if __name__ == "__main__":
    main()
