"""Typed hyperparameters of one run, validated before any work, and a stable hash
that names the run's folder (open_lth's scheme): same parameters, same folder."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from types import UnionType
from typing import Union, get_args, get_origin, get_type_hints

from .data import DATASETS, BuiltinSpec
from .errors import StudyError
from .data.augment import AugmentParams
from .hashing import stable_hash
from .models import REGISTRY
from .models.blocks import ACTIVATIONS

# Default initial learning rate per model (book/spec.md, Training scheme).
DEFAULT_LR0 = {"yolov3": 0.01, "yolov3-tiny": 0.01, "yolo-nano": 0.001, "yolov3-mobile": 0.001}


OPTIMIZERS = ("sgd", "adam")
WARMUPS = ("prebias", "burn-in")  # lib.train.optim


class ParamError(StudyError, ValueError):
    """A parameter is invalid; the message names it and what was expected."""


@dataclass(frozen=True)
class DataParams:
    dataset: str = "builtin"
    data_root: str | None = None            # required for voc, exdark, vocformat; none for the built-in sets
    year: int | None = None                 # vocformat: the VOC<year>/ folder under data_root, if any
    img_size: int = 416                     # training size and letterboxed evaluation size
    multiscale: tuple[int, int] | None = (288, 640)  # per-batch training sizes; None: fixed
    skip_invalid: bool = False
    builtin_size: int = 320                 # the generated dataset's image side and counts,
    builtin_train: int = 800
    builtin_val: int = 200
    builtin_test: int = 200
    builtin_classes: tuple[str, ...] = BuiltinSpec.classes  # and its difficulty (BuiltinSpec)
    builtin_max_objects: int = BuiltinSpec.max_objects
    builtin_max_distractors: int = BuiltinSpec.max_distractors
    builtin_min_object_size: float = BuiltinSpec.min_object_size
    augment: AugmentParams = field(default_factory=AugmentParams)

    def builtin_spec(self) -> dict:
        """BuiltinSpec's fields (less the variant, which the dataset's name gives)."""
        return {"img_size": self.builtin_size, "n_train": self.builtin_train, "n_val": self.builtin_val,
                "n_test": self.builtin_test, "classes": self.builtin_classes,
                "max_objects": self.builtin_max_objects, "max_distractors": self.builtin_max_distractors,
                "min_object_size": self.builtin_min_object_size}


@dataclass(frozen=True)
class ModelParams:
    name: str = "yolov3"
    width: float = 1.0
    activation: str | None = None           # "leaky" for the distillation students
    zero_init_residual: bool = False        # residual branches' last BatchNorm scale starts at 0 (lib.models.build)


@dataclass(frozen=True)
class TrainParams:
    epochs: int = 300
    optimizer: str = "sgd"                  # "sgd" (the paper's), or "adam" (ultralytics' --adam: beta1 = momentum)
    batch_size: int = 16
    nominal_batch: int = 64                 # gradients accumulate to this many images a step
    lr0: float | None = None                # None: the model's default (DEFAULT_LR0)
    lr_final: float = 0.05                  # cosine decay to lr_final * lr0 (the authors': 5%)
    momentum: float = 0.937
    weight_decay: float = 4.84e-4
    warmup: str = "prebias"                 # the authors' "prebias", or ultralytics' "burn-in" (lib.train.optim)
    warmup_epochs: float = 3.0              # burn-in only: max(warmup_epochs epochs, warmup_min_iters)
    warmup_min_iters: int = 500
    giou_gain: float = 3.54
    cls_gain: float = 37.4
    obj_gain: float = 64.3
    iou_t: float = 0.225
    seed: int = 0
    conf: float = 0.001                     # evaluation: confidence threshold,
    nms_iou: float = 0.6                    # class-wise NMS IoU,
    max_det: int = 300                      # detections kept per image

    def lr(self, model: str) -> float:
        return self.lr0 if self.lr0 is not None else DEFAULT_LR0[model]


@dataclass(frozen=True)
class RunParams:
    data: DataParams = field(default_factory=DataParams)
    model: ModelParams = field(default_factory=ModelParams)
    train: TrainParams = field(default_factory=TrainParams)

    def to_dict(self) -> dict:
        return asdict(self)

    def run_hash(self) -> str:
        return stable_hash(self.to_dict())


def from_dict(values: dict) -> RunParams:
    """RunParams from ``to_dict``'s form, read back from JSON (lists become tuples again)."""
    data = dict(values["data"])
    data["augment"] = AugmentParams(**{k: tuple(v) if isinstance(v, list) else v for k, v in data["augment"].items()})
    data["multiscale"] = tuple(data["multiscale"]) if data["multiscale"] is not None else None
    data["builtin_classes"] = tuple(data["builtin_classes"])
    return RunParams(DataParams(**data), ModelParams(**values["model"]), TrainParams(**values["train"]))


# Counts that must be positive integers (validate), beside the ranged numbers of RANGES.
COUNTS = ("train.epochs", "train.batch_size", "train.nominal_batch", "train.max_det",
          "data.builtin_train", "data.builtin_val", "data.builtin_test")


def _positive_int(name: str, value) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ParamError(f"{name}: expected a positive integer, got {value!r}")


# Every other numeric field's range: (low, high, kind), both ends included unless the
# kind says "open" for that end; nan, inf and non-numbers are refused before any work.
RANGES = {
    "model.width": (0, 4, "open low"),
    "data.builtin_min_object_size": (0, 1, "open low"),
    "data.augment.mosaic": (0, 1, ""), "data.augment.flip": (0, 1, ""),
    "data.augment.hue": (0, 1, ""), "data.augment.saturation": (0, 1, ""), "data.augment.value": (0, 1, ""),
    "data.augment.min_box": (0, 1e4, ""), "data.augment.min_area_ratio": (0, 1, ""),
    "data.augment.max_aspect": (1, 1e4, ""),
    "train.lr0": (0, 1, "open low"), "train.lr_final": (0, 1, "open low"),
    "train.momentum": (0, 1, "open high"), "train.weight_decay": (0, 1, "open high"),
    "train.warmup_epochs": (0, 1e4, ""), "train.warmup_min_iters": (0, 10**9, "integer"),
    "train.giou_gain": (0, 1e4, ""), "train.cls_gain": (0, 1e4, ""), "train.obj_gain": (0, 1e4, ""),
    "train.iou_t": (0, 1, "open low open high"), "train.conf": (0, 1, "open high"),
    "train.nms_iou": (0, 1, "open low"), "train.seed": (0, 2**32 - 1, "integer"),
}


def _in_range(name: str, value, low: float, high: float, kind: str) -> None:
    integer = "integer" in kind
    low_text, high_text = (f"{end:,}" if isinstance(end, int) else f"{end:g}" for end in (low, high))
    shown = f"{'(' if 'open low' in kind else '['}{low_text}, {high_text}{')' if 'open high' in kind else ']'}"
    expected = f"{'an integer' if integer else 'a finite number'} in {shown}"
    numeric = not isinstance(value, bool) and isinstance(value, int if integer else (int, float))
    if not (numeric and math.isfinite(value) and low <= value <= high and not (value == low and "open low" in kind)
            and not (value == high and "open high" in kind)):
        raise ParamError(f"{name}: expected {expected}, got {value!r}")


def _field(params: RunParams, dotted: str):
    value = params
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


def _check_numbers(params: RunParams) -> None:
    """Every numeric field in its range (``RANGES``; the counts positive integers)."""
    for dotted, (low, high, kind) in RANGES.items():
        value = _field(params, dotted)
        if not (dotted == "train.lr0" and value is None):  # None: the model's default
            _in_range(dotted, value, low, high, kind)
    for dotted in COUNTS:
        _positive_int(dotted, _field(params, dotted))
    scale = params.data.augment.scale
    for end in scale:
        _in_range("data.augment.scale", end, 0, 100, "open low")
    if len(scale) != 2 or scale[0] > scale[1]:
        raise ParamError(f"data.augment.scale: expected (low, high) with low <= high, got {scale!r}")
    classes = params.data.builtin_classes
    if len(set(classes)) != len(classes):
        raise ParamError(f"data.builtin_classes: each class once, got {list(classes)}")


def validate(params: RunParams) -> RunParams:
    """Raise ParamError on the first invalid field, before any data is read or model built."""
    d, m, t = params.data, params.model, params.train
    _check_numbers(params)
    if m.name not in REGISTRY:
        raise ParamError(f"model.name: unknown model {m.name!r}; expected one of {sorted(REGISTRY)}")
    if m.activation is not None and m.activation not in ACTIVATIONS:
        raise ParamError(f"model.activation: expected None or one of {sorted(ACTIVATIONS)}, got {m.activation!r}")
    if not isinstance(m.zero_init_residual, bool):
        raise ParamError(f"model.zero_init_residual: expected True or False, got {m.zero_init_residual!r}")
    if d.dataset not in DATASETS:
        raise ParamError(f"data.dataset: unknown dataset {d.dataset!r}; expected one of {DATASETS}")
    if d.dataset.startswith("builtin") and d.data_root:
        raise ParamError(f"data.data_root: the built-in dataset {d.dataset!r} is generated and takes no data root "
                         f"(got {d.data_root!r}); to read your data, set data.dataset to voc, exdark or vocformat")
    if d.year is not None and d.dataset != "vocformat":
        raise ParamError(f"data.year: applies to vocformat only (voc reads VOC2012 train/val and VOC2007 test), "
                         f"got {d.year!r} for {d.dataset!r}")
    if not d.dataset.startswith("builtin"):
        if not d.data_root:
            raise ParamError(f"data.data_root: required for dataset {d.dataset!r}")
        if not Path(d.data_root).expanduser().is_dir():
            raise ParamError(f"data.data_root: folder {d.data_root} does not exist")
    for name in ("img_size", "builtin_size"):
        value = getattr(d, name)
        if not isinstance(value, int) or value < 32 or value % 32:
            raise ParamError(f"data.{name}: expected a positive multiple of 32, got {value!r}")
    if d.multiscale is not None and not (32 <= d.multiscale[0] <= d.multiscale[1]):
        raise ParamError(f"data.multiscale: expected (low, high) sizes with 32 <= low <= high, got {d.multiscale!r}")
    try:  # the built-in dataset's difficulty settings; its messages start with the field's name
        BuiltinSpec(**d.builtin_spec())
    except ValueError as error:
        raise ParamError(f"data.builtin_{error}") from None
    except TypeError as error:
        raise ParamError("data.builtin_classes, builtin_max_objects, builtin_max_distractors, builtin_min_object_size: "
                         f"expected shape names, integers and a fraction of the image side ({error})") from None
    if t.warmup not in WARMUPS:
        raise ParamError(f"train.warmup: expected one of {WARMUPS}, got {t.warmup!r}")
    if t.optimizer not in OPTIMIZERS:
        raise ParamError(f"train.optimizer: expected one of {OPTIMIZERS}, got {t.optimizer!r}")
    return params


def _matches(value, hint) -> bool:
    """Whether ``value`` has the field type ``hint`` (an int passes for a float, as a
    literal does; a list passes for a tuple, as YAML gives one)."""
    if get_origin(hint) in (Union, UnionType):
        return any(_matches(value, member) for member in get_args(hint))
    if hint is type(None):
        return value is None
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if get_origin(hint) is tuple:
        members = get_args(hint)
        if not isinstance(value, (tuple, list)):
            return False
        if len(members) == 2 and members[1] is Ellipsis:
            return all(_matches(v, members[0]) for v in value)
        return len(value) == len(members) and all(_matches(v, m) for v, m in zip(value, members))
    return isinstance(value, hint)


def _type_name(hint) -> str:
    if hint is bool:  # what to type: Python's spelling, which --set and papermill both read
        return "True or False"
    return str(hint).replace("typing.", "").replace("<class '", "").replace("'>", "")


def _typed(obj, name: str, value, dotted: str):
    """``value`` for field ``name`` of ``obj``, checked against the field's type (lists as
    tuples), else ParamError: a value of the wrong kind fails here, not deep in a run."""
    hint = get_type_hints(type(obj))[name]
    if dotted not in (*RANGES, *COUNTS) and not _matches(value, hint):  # validate's check of a number says more
        raise ParamError(f"{dotted}: expected {_type_name(hint)}, got {value!r}")
    return tuple(value) if isinstance(value, list) else value


def check_settings(settings) -> None:
    """A method's settings dataclass, before any work: every field of its declared type,
    and every number (each member of a tuple) finite and in the range its class declares
    in ``RANGES`` (field -> (low, high, kind), as ``RANGES`` here; None passes where the
    type allows it). The method's own ``check`` adds the rules that tie fields together."""
    cls = type(settings)
    hints, ranges = get_type_hints(cls), getattr(cls, "RANGES", {})
    for f in fields(settings):
        value, name = getattr(settings, f.name), f"{cls.__name__}.{f.name}"
        if not _matches(value, hints[f.name]):
            raise ParamError(f"{name}: expected {_type_name(hints[f.name])}, got {value!r}")
        if f.name in ranges and value is not None:
            for member in value if isinstance(value, (tuple, list)) else (value,):
                _in_range(name, member, *ranges[f.name])


def _replace_path(obj, path: list[str], value, dotted: str):
    names = {f.name for f in fields(obj)}
    if path[0] not in names:
        raise ParamError(f"{dotted}: not a parameter (expected one of {sorted(names)} at {path[0]!r})")
    if len(path) == 1:
        value = _typed(obj, path[0], value, dotted)
        try:
            return replace(obj, **{path[0]: value})
        except (TypeError, ValueError) as error:  # a dataclass that checks its own fields (AugmentParams)
            raise ParamError(f"{dotted}: {error}") from None
    child = getattr(obj, path[0])
    if not is_dataclass(child):
        raise ParamError(f"{dotted}: {path[0]!r} has no fields")
    return replace(obj, **{path[0]: _replace_path(child, path[1:], value, dotted)})


def override(params: RunParams, **changes) -> RunParams:
    """Replace fields by dotted name, at any depth:
    override(p, **{"train.epochs": 3, "model.width": 0.5, "data.augment.mosaic": 0.5})."""
    for dotted, value in changes.items():
        params = _replace_path(params, dotted.split("."), value, dotted)
    return params
