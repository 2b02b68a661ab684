"""Knowledge distillation into the leaky students (YOLO Nano, YOLOv3-Mobile) from a
trained YOLOv3: classical hint-based KD (``hints``) and GAN KD (``gan``), each a
callback of the one training loop."""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from ..models import Detector, load_weights
from ..params import RunParams, stable_hash, validate
from ..train import freeze, train
from ..train.loss import LossGains
from .gan import GANKD, GANParams
from .hints import PAPER_HINTS, HintKD, KDParams


def load_teacher(path: str | Path) -> Detector:
    """A trained model file (e.g. a run's best.pt), frozen: eval mode, no gradients."""
    return freeze(load_weights(path))


def run_kd(params: RunParams, teacher_path: str | Path, method: KDParams | GANParams, root: str | Path = "runs",
           **train_kwargs) -> dict:
    """Train the student of ``params`` (activation "leaky") from the teacher at ``teacher_path``."""
    validate(params)
    if params.model.activation != "leaky":
        raise ValueError(f"model.activation: distillation students use 'leaky' (as in the paper), got "
                         f"{params.model.activation!r}")
    if not Path(teacher_path).is_file():
        raise ValueError(f"teacher: no model file at {teacher_path}")
    teacher, t = load_teacher(teacher_path), params.train
    if isinstance(method, GANParams):
        callback = GANKD(teacher, method, t.seed)
    else:
        callback = HintKD(teacher, method, LossGains.of(t), params.data.img_size, t.lr(params.model.name))
    return train(params, kd_dir(params, teacher_path, method, root), [callback], **train_kwargs)


def kd_dir(params: RunParams, teacher_path: str | Path, method: KDParams | GANParams, root: str | Path = "runs") -> Path:
    """The folder of a distillation run (named by its parameters, method and teacher)."""
    key = stable_hash({"run": params.to_dict(), "method": type(method).__name__, "kd": asdict(method),
                       "teacher": str(Path(teacher_path).resolve())})
    return Path(root) / f"kd-{params.model.name}-{key}"


__all__ = ["PAPER_HINTS", "GANKD", "GANParams", "HintKD", "KDParams", "kd_dir", "load_teacher", "run_kd"]
