"""A study run of post-training int8: a trained model file (the dense YOLOv3, a lottery
ticket) calibrated on training images, converted, and scored on the test split like
any trained run. Its folder keeps the source weights (``BEST``, from which the record
counts parameters and MACs) and the calibration images, so the int8 model can be
rebuilt exactly (``load_int8``) where it is timed."""
from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import ClassVar

import torch

from ..models import load_weights
from ..models.io import ModelFileError, read_file
from ..params import RunParams, check_settings, validate
from ..data import DetectionIndex
from ..paths import BEST, TRAIN_RUNS, run_dir
from ..train.checkpoint import atomic_save
from ..train.distributed import World
from ..train.run import check_task, data_task, finish, finished, make_loader, open_data, scored
from .int8 import Int8Detector, int8, int8_convs

CALIBRATION = "calibration.pt"  # the images the observers saw: (N, 3, H, W) float


@dataclass(frozen=True)
class Int8Params:
    calibration_images: int = 32    # the first training images in the loader's order, not augmented
    keep_outputs_fp32: bool = True  # the output convs in float32
    # each number's range, checked with its type before any work (lib.params.check_settings)
    RANGES: ClassVar[dict] = {"calibration_images": (1, 10**6, "integer")}


def check(q: Int8Params) -> Int8Params:
    check_settings(q)
    return q


def calibration_images(train: DetectionIndex, params: RunParams, n: int) -> torch.Tensor:
    """(n, 3, S, S): the training split's first ``n`` images, letterboxed, unaugmented."""
    loader = make_loader(train, params, World(), train=False, workers=0)
    images = []
    for batch, _ in loader:
        images.append(batch)
        if sum(len(b) for b in images) >= n:
            break
    return torch.cat(images)[:n]


def calibration_of(folder: str | Path) -> torch.Tensor:
    """(N, 3, S, S): the images a ``run_int8`` folder's model was calibrated on."""
    folder = Path(folder)
    return read_file(folder / CALIBRATION, "calibration images", f"delete {folder} to quantize that run again")


def load_int8(folder: str | Path, keep_outputs_fp32: bool = True) -> Int8Detector:
    """The int8 model of a ``run_int8`` folder, rebuilt from its source and calibration."""
    images = calibration_of(folder)  # first: a folder that is no int8 run is named by its missing images
    return int8(load_weights(Path(folder) / BEST), images, keep_outputs_fp32)


def run_int8(params: RunParams, q: Int8Params, source: str | Path, root: str | Path = TRAIN_RUNS) -> dict:
    """Quantize the model file ``source`` (trained on ``params``' data) and score it on
    the test split; metrics as ``lib.train.train`` returns them (no epochs, no history),
    with its convolutions by kind (``int8_convs``)."""
    validate(params)
    check(q)
    folder = run_dir(root, params, "int8", {**asdict(q), "source": str(Path(source).resolve())})
    done = finished(folder, params)
    if done is not None:
        return done
    if not Path(source).is_file():
        raise ModelFileError(f"source: no model file at {source}")
    data = open_data(params)
    classes = data["train"].classes
    check_task(load_weights(source), *data_task(params, data["train"]), f"source {source}",
               f"the {params.data.dataset} training split")
    folder.mkdir(parents=True, exist_ok=True)
    images = calibration_images(data["train"], params, q.calibration_images)
    shutil.copyfile(source, folder / BEST)
    atomic_save(images, folder / CALIBRATION)
    quantized = load_int8(folder, q.keep_outputs_fp32)
    device = torch.device("cpu")  # the converted graph runs on the CPU
    evaluate = lambda split: scored(quantized, make_loader(data[split], params, World(), False, 0),  # noqa: E731
                                    params, device, classes)
    metrics = {"params": params.to_dict(), "classes": list(classes), "epochs": 0,
               "val_map50": evaluate("val")["map50"], "history": [], "train_img_per_s": None,
               "test": evaluate("test"), "fp32_layers": quantized.fp32_layers,
               "quantized_ops": dict(int8_convs(quantized))}
    return finish(folder, metrics)
