"""One training run from its parameters: open and validate the data, build the
detector and its loss, run the loop, then score the best model on the test split.
Runs live in a folder named by their parameters' hash; a finished run is not redone."""
from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, Sampler

from ..data import DatasetError, DetectionDataset, DetectionIndex, collate, multiscale_sizes, open_split
from ..evaluate import COCO_THRESHOLDS, average_precision, coco_metrics, predict
from ..files import atomic_write_json, locked
from ..models import Detector, build, default_anchors
from ..models.anchors import kmeans_anchors
from ..models.io import from_state, read_file
from ..params import ParamError, RunParams, validate
from ..paths import BEST, METRICS, TRAIN_RUNS, run_dir as params_run_dir
from ..result import ResultFormatError
from .callbacks import Callback
from .checkpoint import seed_everything
from .distributed import World, main_decides, setup, teardown
from .loop import Loop, fit, same_params
from .loss import YoloLoss

EVAL_BATCH = 16  # images per evaluation batch at least (eval_batch)


class EpochShuffle(Sampler):
    """A fresh permutation every epoch, fixed by (seed, epoch)."""

    def __init__(self, n: int, seed: int):
        self.n, self.seed, self.epoch = n, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        return iter(torch.randperm(self.n, generator=generator).tolist())

    def __len__(self) -> int:
        return self.n


def open_data(params: RunParams) -> dict[str, DetectionIndex]:
    d = params.data
    return {split: open_split(d.dataset, split, d.data_root, d.skip_invalid, year=d.year, builtin=d.builtin_spec())
            for split in ("train", "val", "test")}


def dataset_anchors(params: RunParams, train: DetectionIndex):
    """VOC keeps the paper's anchors; other datasets get k-means anchors of their
    training boxes as letterboxed to img_size."""
    if params.data.dataset == "voc":
        return None
    wh = np.concatenate([(r.boxes[:, 2:] - r.boxes[:, :2]) * params.data.img_size / max(r.width, r.height)
                         for r in train.records])
    needed = 6 if params.model.name == "yolov3-tiny" else 9
    if len(wh) < needed:  # a data problem, said before any model is built
        raise DatasetError(f"{train.name} {train.split} split: {len(wh)} box(es) in {len(train)} image(s); "
                           f"{params.model.name}'s anchors are fitted by k-means to {needed} boxes at least: "
                           "give more annotated training images")
    return kmeans_anchors(wh, needed)


def build_model(params: RunParams, train: DetectionIndex) -> Detector:
    """The run's freshly initialised detector: its model parameters, the training
    split's classes and, where the dataset calls for them, its k-means anchors."""
    m = params.model
    return build(m.name, len(train.classes), m.width, m.activation, dataset_anchors(params, train),
                 m.zero_init_residual)


def anchor_list(anchors) -> list[list[float]]:
    return [[round(float(w), 1), round(float(h), 1)] for w, h in anchors]


def check_task(model: Detector, classes: int, anchors, what: str, against: str) -> None:
    """The one check of every pairing of a trained model with another model or with data
    (a teacher and its student; an int8, channel-pruned or Tucker-2 source and the data it
    is scored or fine-tuned on): the same number of classes and the same anchors, before
    any work. ParamError naming ``what`` (the model) and ``against`` (its partner)."""
    if model.num_classes != classes:
        raise ParamError(f"{what}: predicts {model.num_classes} classes, {against} {classes}; "
                         "use models trained on the same data")
    if anchor_list(model.arch["anchors"]) != anchor_list(anchors):
        raise ParamError(f"{what}: its anchors {anchor_list(model.arch['anchors'])} are not those of {against} "
                         f"({anchor_list(anchors)}); use models trained on the same data")


def data_task(params: RunParams, train: DetectionIndex) -> tuple[int, list]:
    """(classes, anchors) a run of ``params`` on the training split ``train`` trains with."""
    return len(train.classes), dataset_anchors(params, train) or default_anchors(params.model.name)


def given_model(model: Detector, params: RunParams, train: DetectionIndex) -> Detector:
    """A detector handed to ``train``, checked against the data it will train on."""
    check_task(model, *data_task(params, train), "model: the detector given", f"the training split {train.name}")
    return model


def eval_batch(params: RunParams) -> int:
    """Images per evaluation batch: at least ``EVAL_BATCH``. Scoring needs no small
    batches; on 2 cores, 16 at a time saved about a minute of the cpu build against its
    training batch of 4 (validation every epoch, the test split, the one-shot curves)."""
    return max(params.train.batch_size, EVAL_BATCH)


def make_loader(index: DetectionIndex, params: RunParams, world: World, train: bool, workers: int) -> DataLoader:
    d, t = params.data, params.train
    dataset = DetectionDataset(index, d.img_size, d.augment if train else None, t.seed,
                               keep_decoded=d.dataset.startswith("builtin"))  # small, generated sets
    if not train:
        return DataLoader(dataset, eval_batch(params), shuffle=False, num_workers=workers, collate_fn=collate)
    sampler = (DistributedSampler(dataset, world.size, world.rank, shuffle=True, seed=t.seed) if world.size > 1
               else EpochShuffle(len(dataset), t.seed))
    return DataLoader(dataset, max(t.batch_size // world.size, 1), sampler=sampler, num_workers=workers,
                      collate_fn=collate)


def evaluator(loader: DataLoader, params: RunParams, device) -> Callable:
    t = params.train

    def evaluate(model) -> dict:
        predictions, targets = predict(model, loader, device, t.conf, t.nms_iou, t.max_det)
        return {"map50": average_precision(predictions, targets)["map"]}
    return evaluate


def test_metrics(model, run_dir: Path, loader: DataLoader, params: RunParams, device, classes) -> dict:
    """The best checkpoint on a split: mAP@0.5 per class and mean, mAP@[.5:.95], COCO's
    size breakdown. It is loaded into the live model (whose structure callbacks may have
    shaped: masks, soft masks), or rebuilt from its own architecture where a callback
    kept a model of another one (``Callback.final_model``: a channel-pruned one)."""
    best = read_file(run_dir / BEST, "best model file", f"delete {run_dir} to train the run again", device)
    if best["arch"] == model.arch:
        model.load_state_dict(best["state_dict"])
    else:
        model = from_state(best["arch"], best["state_dict"], run_dir / BEST).to(device)
    return scored(model, loader, params, device, classes)


def scored(model, loader: DataLoader, params: RunParams, device, classes) -> dict:
    """``model``'s test metrics on a split (any module with the detectors' forward and
    ``decode``: a float detector or an int8 one)."""
    t = params.train
    predictions, targets = predict(model, loader, device, t.conf, t.nms_iou, t.max_det)
    ap50 = average_precision(predictions, targets)
    return {"map50": ap50["map"], "map": average_precision(predictions, targets, COCO_THRESHOLDS)["map"],
            "ap50_per_class": {classes[c]: v for c, v in ap50["per_class"].items()},
            **coco_metrics(predictions, targets, len(classes))}


# Every architecture trains faster on the CPU with activations in channels-last (NHWC)
# memory: one training step of the cpu profile's models (width 0.25, 128 px, one thread),
# contiguous -> channels_last, medians of interleaved rounds: YOLOv3 147 -> 125 ms, Tiny
# 27 -> 20 ms, Nano 80 -> 69 ms (batch 4), YOLOv3-Mobile 237 -> 195 ms (batch 8, with
# its 1x1 depthwise convs as ``ChannelScale``; before that it was slower channels-last).
# The layout changes only the order of float sums, not what is computed.
# Activations whose gradient reads their output (the sign of LeakyReLU's output is its
# input's; ReLU and ReLU6 pass the gradient where the output lies inside their bounds)
# need not keep their input: computed in place, a step writes one tensor less per layer
# and computes the same numbers (tests/train/test_train.py, every model of the zoo; a
# cpu-profile YOLOv3 run's mAP the same to the last digit). Alone, YOLOv3's cpu step took
# 0.93-0.97x its time (three interleaved runs of 100 steps); whole runs, two at once as
# make book runs them, trained at 0.98-1.07x the images per second (four pairs): within
# their noise.
IN_PLACE = (nn.LeakyReLU, nn.ReLU, nn.ReLU6)


def activations_in_place(model: nn.Module) -> nn.Module:
    """``model`` with its activations of ``IN_PLACE``'s kinds computed in place (in place)."""
    for module in model.modules():
        if isinstance(module, IN_PLACE):
            module.inplace = True
    return model


def training_form(model: Detector) -> Detector:
    """``model`` in the form it trains fastest in (in place): ``activations_in_place``,
    and on the CPU in channels-last memory."""
    activations_in_place(model)
    if next(model.parameters()).device.type == "cpu":
        return model.to(memory_format=torch.channels_last)
    return model


def finished(run_dir: Path, params: RunParams) -> dict | None:
    """The metrics of the run in ``run_dir`` if it finished with ``params``, with its folder
    (``run_dir``); None if it has not."""
    done = run_dir / METRICS
    if done.exists():
        try:
            metrics = json.loads(done.read_text())
            saved = metrics["params"]
        except (ValueError, KeyError, TypeError):
            raise ResultFormatError(f"{done}: not a run's metrics file (damaged or edited); delete it to score the "
                                    "run again from its checkpoints") from None
        if same_params(saved, params):
            return {**metrics, "run_dir": str(run_dir)}
    return None


def finish(run_dir: Path, metrics: dict) -> dict:
    """Write a run's metrics file (its mark of being done) and return the metrics as a
    finished run returns them (``finished``)."""
    atomic_write_json(metrics, run_dir / METRICS)
    return {**json.loads((run_dir / METRICS).read_text()), "run_dir": str(run_dir)}


def train(params: RunParams, run_dir: str | Path | None = None, callbacks: list[Callback] = (),
          device: str | None = None, workers: int = 0, log: Callable[[str], None] = print,
          model: Detector | None = None) -> dict:
    """Train one run (resuming it if its folder holds a checkpoint) and return its
    metrics, also written to the run's metrics file, with the folder they are in
    (``run_dir``). A finished run returns its metrics. ``run_dir``: default, the plain
    training folder of ``params`` (``lib.paths``). ``model``: the detector to train,
    weights included (a channel-pruned one); default, a fresh one built from
    ``params.model``."""
    validate(params)
    run_dir = Path(run_dir) if run_dir else params_run_dir(TRAIN_RUNS, params)
    done = finished(run_dir, params)
    if done is not None:
        return done
    world = setup(device)
    try:
        with held(run_dir, world, log):
            return train_held(params, run_dir, callbacks, world, workers, log, model)
    finally:
        teardown(world)


@contextmanager
def held(run_dir: Path, world: World, log: Callable[[str], None]):
    """The run folder, locked by the main process while it trains: a second training of
    the same folder waits for the first, then finds it finished (or resumes it)."""
    if not world.is_main:
        yield
        return
    with locked(run_dir, "the run folder", "it is training there; this run goes on when that one stops", log):
        yield


def finished_meanwhile(run_dir: Path, params: RunParams, world: World) -> dict | None:
    """Whether the folder's previous holder finished the run while this one waited for
    the folder, as the main process (the one holding the lock) finds it, and told to every
    process, so that all of them return or all train (the others would otherwise wait in
    the first collective for a main process that has returned). The other processes
    return an empty dict, as they do after training."""
    done = finished(run_dir, params) if world.is_main else None
    if main_decides(world, done is not None) and done is None:
        return {}
    return done


def train_held(params: RunParams, run_dir: Path, callbacks: list[Callback], world: World, workers: int,
               log: Callable[[str], None], model: Detector | None) -> dict:
    """``train``'s work, in the folder it holds."""
    done = finished_meanwhile(run_dir, params, world)
    if done is not None:
        return done
    data = open_data(params)  # every split validated before any model is built
    classes = data["train"].classes
    seed_everything(params.train.seed)
    model = build_model(params, data["train"]) if model is None else given_model(model, params, data["train"])
    model = training_form(model.to(world.device))
    val_loader = make_loader(data["val"], params, world, False, workers)
    loop = Loop(params=params, model=model, train_model=DistributedDataParallel(model) if world.size > 1 else model,
                loss_fn=YoloLoss(model, params.train),
                loader=make_loader(data["train"], params, world, True, workers),
                evaluate=evaluator(val_loader, params, world.device), device=world.device,
                sizes=multiscale_sizes(*params.data.multiscale) if params.data.multiscale else None,
                world_size=world.size, is_main=world.is_main, log=log)
    history = fit(loop, run_dir, list(callbacks))
    if not world.is_main:
        return {}
    test_loader = make_loader(data["test"], params, world, False, workers)
    metrics = {"params": params.to_dict(), "classes": list(classes), "epochs": len(history),
               "val_map50": max(h["map50"] for h in history), "history": history,
               "train_img_per_s": float(np.mean([h["train_img_per_s"] for h in history])),
               "test": test_metrics(model, run_dir, test_loader, params, world.device, classes)}
    return finish(run_dir, metrics)
