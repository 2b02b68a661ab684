"""What every distillation method shares: a frozen teacher, and a callback that keeps
it on the run's device and gives its outputs for each training batch.

The teacher's outputs for a batch depend only on the teacher and the batch, and the
study's students see the same batches (same data, seed and batch size), so they are
kept on disk, one file per epoch (``TeacherOutputs``): the first run distilled from a
teacher computes them, the others read them. At the cpu profile the teacher's forward
was about a third of a distillation step."""
from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import torch
from torch import Tensor

from ..hashing import stable_hash
from ..models import Detector, capture, load_weights
from ..models.io import ModelFileError, read_file
from ..paths import teacher_outputs_dir
from ..train import Callback, Context, freeze
from ..train.checkpoint import atomic_save
from ..train.run import check_task

# Every teacher (Darknet) layer a hint may read (``hints.STUDENT_TAPS``): all are kept, so
# that one run's stored outputs serve a run with other hints.
HINT_LAYERS = ("36", "61", "79", "91")
# Outputs are stored only where an epoch's take at most this much disk (the cpu profile:
# about 61 MB an epoch; at the paper's scale they would take hundreds of GB).
MAX_EPOCH_BYTES = 256 * 2**20


def load_teacher(path: str | Path) -> Detector:
    """A trained model file (e.g. a run's best model), frozen: eval mode, no gradients."""
    return freeze(load_weights(path))


def file_digest(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def fingerprint(images: Tensor) -> Tensor:
    """(N,) float64: each image's sum, which tells a batch from another (or reordered)."""
    return images.detach().double().sum(dim=(1, 2, 3)).cpu()


def read_stored(path: Path) -> list[dict] | None:
    """An epoch's stored teacher outputs, or None (with a warning) if the file is damaged:
    they are then computed again, and stored again at the epoch's end."""
    try:
        return read_file(path, "file of stored teacher outputs", "they are computed again this epoch")
    except ModelFileError as error:
        warnings.warn(str(error), stacklevel=2)
        return None


class TeacherOutputs:
    """The teacher's raw maps and hint features for each batch of an epoch, read from
    ``folder`` where a run with the same teacher and batches stored them, computed
    otherwise (and stored at the epoch's end if all of its batches were computed).
    A stored batch whose images differ from the batch given is computed afresh."""

    def __init__(self, teacher: Detector, folder: Path | None):
        self.teacher, self.folder = teacher, folder
        self.stored: list[dict] | None = None
        self.computed: list[dict] = []

    def file(self, epoch: int) -> Path:
        return self.folder / f"epoch-{epoch:04d}.pt"

    def start_epoch(self, epoch: int) -> None:
        self.computed = []
        path = None if self.folder is None else self.file(epoch)
        self.stored = read_stored(path) if path is not None and path.exists() else None

    @torch.no_grad()
    def __call__(self, index: int, images: Tensor) -> tuple[list[Tensor], dict[str, Tensor]]:
        """Batch ``index`` of the epoch (images: (N, 3, H, W)) -> (raw maps, {layer: feature})."""
        if self.stored is not None and index < len(self.stored):
            entry = self.stored[index]
            if torch.equal(entry["fingerprint"], fingerprint(images)):
                return ([m.to(images.device) for m in entry["maps"]],
                        {k: v.to(images.device) for k, v in entry["features"].items()})
        with capture(self.teacher, list(HINT_LAYERS)) as features:
            maps = self.teacher(images)
        if self.stored is None:
            self.computed.append({"fingerprint": fingerprint(images), "maps": [m.cpu() for m in maps],
                                  "features": {k: v.cpu() for k, v in features.items()}})
        return list(maps), dict(features)

    def end_epoch(self, epoch: int, batches: int) -> None:
        """Store the epoch's outputs if every batch was computed here and they fit."""
        entries, self.computed = self.computed, []
        if self.folder is None or self.stored is not None or len(entries) != batches:
            return
        size = sum(t.numel() * t.element_size() for e in entries for t in [*e["maps"], *e["features"].values()])
        if size <= MAX_EPOCH_BYTES:
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_save(entries, self.file(epoch))


def outputs_key(teacher_file: str | Path, ctx: Context) -> str:
    """What a batch's teacher outputs depend on: the teacher's bytes and what fixes the
    batches (the data, the seed, the batch size, this process's rank)."""
    rank = torch.distributed.get_rank() if torch.distributed.is_initialized() else 0
    p = ctx.params
    return stable_hash({"teacher": file_digest(teacher_file), "data": p.to_dict()["data"], "seed": p.train.seed,
                        "batch_size": p.train.batch_size, "rank": rank, "layers": HINT_LAYERS})


class TeacherCallback(Callback):
    """``teacher_file``: the teacher's model file; given, its outputs are shared through
    the training root (``lib.paths.teacher_outputs_dir``), else computed for every batch."""

    def __init__(self, teacher: Detector, teacher_file: str | Path | None = None):
        self.teacher, self.teacher_file = teacher, teacher_file
        self.outputs = TeacherOutputs(teacher, None)

    def on_fit_start(self, ctx: Context) -> None:
        check_task(self.teacher, ctx.model.num_classes, ctx.model.arch["anchors"],
                   f"teacher {self.teacher_file or ''}".strip(), "the student")
        self.teacher.to(ctx.device)
        folder = None
        if self.teacher_file is not None and ctx.run_dir is not None:
            folder = teacher_outputs_dir(Path(ctx.run_dir).parent, outputs_key(self.teacher_file, ctx))
        self.outputs = TeacherOutputs(self.teacher, folder)

    def on_epoch_start(self, ctx: Context) -> None:
        self.outputs.start_epoch(ctx.epoch)

    def teacher_outputs(self, ctx: Context, images: Tensor) -> tuple[list[Tensor], dict[str, Tensor]]:
        return self.outputs(ctx.iteration - ctx.batches * ctx.epoch, images)

    def on_epoch_end(self, ctx: Context) -> None:
        self.outputs.end_epoch(ctx.epoch, ctx.batches)
