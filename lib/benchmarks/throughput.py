"""Training and evaluation throughput of the study's models at a profile (prints a
table; not a test). Run it on an idle machine: its figures are ratios taken side by
side in one run.

    python -m lib.benchmarks.throughput [--profile cpu] [--batches 30] [--threads 1]

For each model: images/s of the data loader alone, of training steps (loader,
forward, loss, backward, optimiser step, as the loop runs them) and of evaluation
(forward, decode, NMS and the mAP matching on the validation split).
"""
from __future__ import annotations

import argparse
import itertools
import time

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


def main(argv=None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--batches", type=int, default=30, help="training batches timed per model")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (make book runs 1 per kernel)")
    args = parser.parse_args(argv)
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
