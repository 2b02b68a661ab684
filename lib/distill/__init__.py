"""Knowledge distillation into the leaky students (YOLO Nano, YOLOv3-Mobile) from a
trained YOLOv3: classical hint-based KD (``hints``) and GAN KD (``gan``), each a
callback of the one training loop."""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from ..models.io import ModelFileError
from ..params import ParamError, RunParams, check_settings, validate
from ..paths import TRAIN_RUNS, run_dir
from ..train import train
from .gan import GANKD, GANParams
from .hints import HintKD, KDParams
from .teacher import load_teacher

def kd_folder(params: RunParams, teacher_path: str | Path, method: KDParams | GANParams,
              root: str | Path = TRAIN_RUNS) -> Path:
    """The folder of a distillation run, named by its parameters, method and teacher."""
    kind = "kd-gan" if isinstance(method, GANParams) else "kd-hints"
    return run_dir(root, params, kind, {**asdict(method), "teacher": str(Path(teacher_path).resolve())})


def run_kd(params: RunParams, teacher_path: str | Path, method: KDParams | GANParams, root: str | Path = TRAIN_RUNS,
           **train_kwargs) -> dict:
    """Train the student of ``params`` (activation "leaky") from the teacher at ``teacher_path``."""
    validate(params)
    check_settings(method)
    if params.model.activation != "leaky":
        raise ParamError(f"model.activation: distillation students use 'leaky' (as in the paper), got "
                         f"{params.model.activation!r}")
    if not Path(teacher_path).is_file():
        raise ModelFileError(f"teacher: no model file at {teacher_path}")
    teacher = load_teacher(teacher_path)
    kind = GANKD if isinstance(method, GANParams) else HintKD
    callback = kind(teacher, method, teacher_file=teacher_path)  # its outputs shared with the runs beside it
    return train(params, kd_folder(params, teacher_path, method, root), [callback], **train_kwargs)


__all__ = ["GANKD", "GANParams", "HintKD", "KDParams", "kd_folder", "load_teacher", "run_kd"]
