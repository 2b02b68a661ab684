"""A study run's result, typed: what a chapter notebook writes as its result JSON and
what the report reads back. One frozen dataclass with typed common parts (test
metrics, footprint, training budget, storage ledger, latency once timed) and one
``extras`` mapping whose keys the run's method declares (``lib.method.Method.extras``).

The JSON carries ``schema``; a file of another schema (an older study's) is refused
with one line saying to run it again, never half-read.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from .errors import StudyError
from .paths import BEST

SCHEMA = 3  # 1: the flat dicts before the typed result (no "schema" key); 2: budgets without what they inherit


class ResultFormatError(StudyError, ValueError):
    """A result JSON this code cannot read (another schema, a missing field)."""


@dataclass(frozen=True)
class Metrics:
    """Test-split metrics of the run's best checkpoint, and its best validation mAP@0.5."""
    map50: float
    map: float          # mAP@[.5:.95] under the VOC rules
    map_coco: float     # COCO's AP@[.5:.95] (pycocotools)
    ap_small: float
    ap_medium: float
    ap_large: float
    val_map50: float


@dataclass(frozen=True)
class Footprint:
    """The model as the row ships it: parameters alive, MACs (the paper's rule, one image
    at the run's input size), and its file (MiB; its encoding, ``lib.measure.ENCODINGS``)."""
    params: int
    macs: int
    storage_mib: float
    storage_encoding: str
    deflated_mib: float | None  # the dense file with its values deflated; None for a masked model


@dataclass(frozen=True)
class Budget:
    """The training behind a run's model: its final training's epochs and images, and
    the totals over every training its weights went through (the runs whose weights it
    starts from, its own earlier stages: a ticket's dense round 0, CS's search rounds)."""
    epochs: int
    images: int | None        # None: trained before the loop logged its images (a reused folder)
    total_epochs: int
    total_images: int | None  # None where any training behind it has no image count


def trained(metrics: dict) -> Budget:
    """The budget of one training alone, from the metrics ``lib.train.train`` returns
    (a converted model's: no epochs, no history)."""
    history = metrics["history"]
    images = None if any("images" not in h for h in history) else sum(h["images"] for h in history)
    return Budget(metrics["epochs"], images, metrics["epochs"], images)


def after(earlier: tuple[Budget, ...], final: Budget) -> Budget:
    """``final``'s training on top of the totals of the ``earlier`` ones it starts from."""
    images = [b.total_images for b in (*earlier, final)]
    return Budget(final.epochs, final.images, sum(b.total_epochs for b in earlier) + final.total_epochs,
                  None if None in images else sum(images))


@dataclass(frozen=True)
class Latency:
    """CPU latency of the deployed model at batch 1, ms: in PyTorch (``lib.measure.latency``)
    and as its ONNX file in onnxruntime (``lib.export``), with that file's bytes."""
    ms: float       # at the run's input size
    ms_416: float   # at 416 x 416
    onnx_ms: float | None = None      # onnxruntime, at the run's input size
    onnx_ms_416: float | None = None  # onnxruntime, at 416 x 416
    onnx_bytes: int | None = None     # the ONNX file onnxruntime ran (an int8 row's: int8)
    # each of the four times above by name ("ms", ...): its median in each round of the
    # results chapter's timing (lib.measure.latencies), every row's round r in the same
    # minutes; the times above are the medians of these. None: timed in one series. Left
    # out of the hash (a dict has none), not out of equality
    rounds: dict[str, list[float]] | None = field(default=None, hash=False)


@dataclass(frozen=True)
class RunResult:
    row: str                    # the study's row id (lib.study.rows)
    method: str                 # the registry key of the method that made it (lib.methods)
    dataset: str
    model: str                  # the paper's labels of the row
    training: str
    seed: int
    run_dir: str                # the final training's folder (its best model file: lib.paths.BEST)
    img_size: int
    width: float
    metrics: Metrics
    footprint: Footprint
    budget: Budget
    ledger: dict[str, int | None]        # bytes of the model's file in each encoding (lib.quantize.LEDGER)
    train_img_per_s: float | None        # None: nothing trained (a converted model)
    history: tuple[dict, ...]            # the final training's per-epoch log (lib.train)
    run_params: dict                     # RunParams.to_dict() of the final training
    layers: tuple[dict, ...]             # per masked layer: layer (its name), alive, total, sparsity
    settings: dict = field(default_factory=dict)  # the method's settings (its params dataclass)
    extras: dict = field(default_factory=dict)    # the method's own outputs, keys it declares
    latency: Latency | None = None                # set by the report where it times the model

    @property
    def epochs(self) -> int:
        return self.budget.epochs

    @property
    def model_file(self) -> Path:
        """The best model file of its final training (an int8 row's: its float source)."""
        return Path(self.run_dir) / BEST

    def to_dict(self) -> dict:
        return {"schema": SCHEMA, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict, source: object = "result") -> RunResult:
        """The result in ``data`` (``to_dict``'s form); ``ResultFormatError`` naming
        ``source`` for any other."""
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            found = data.get("schema", 1) if isinstance(data, dict) else type(data).__name__
            raise ResultFormatError(f"{source}: a result of schema {found}, not {SCHEMA} (written by an older "
                                    "version of the study); delete it and run its row again")
        try:
            parts = {"metrics": Metrics(**data["metrics"]), "footprint": Footprint(**data["footprint"]),
                     "budget": Budget(**data["budget"]),
                     "latency": Latency(**data["latency"]) if data.get("latency") else None,
                     "history": tuple(data["history"]), "layers": tuple(data["layers"])}
            plain = {f.name: data[f.name] for f in fields(cls) if f.name not in parts and f.name in data}
            return cls(**plain, **parts)
        except (KeyError, TypeError) as error:
            raise ResultFormatError(f"{source}: not a complete study result ({error}); delete it and run its row "
                                    "again") from None

    def with_latency(self, latency: Latency) -> RunResult:
        return replace(self, latency=latency)


def is_run_result(data: dict) -> bool:
    """A trained row's result JSON (the architecture and results chapters write others)."""
    return isinstance(data, dict) and "row" in data


def read_result(path: str | Path) -> RunResult:
    """The result JSON at ``path``."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise ResultFormatError(f"{path}: cannot read a result ({error})") from None
    return RunResult.from_dict(data, path)
