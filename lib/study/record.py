"""What a training chapter records of its run: the row it fills in the paper's
tables (model and training labels), the test metrics, the trained model's
footprint at the run's input size, and what the figures need (history, per-layer
sparsity). One flat dict, written as the run's result JSON."""
from __future__ import annotations

from pathlib import Path

from ..measure import footprint
from ..models import load_weights
from ..paper import PAPER_MODELS
from ..params import RunParams
from ..profiles import profile_params
from ..prune.masks import layer_table

TEST_KEYS = ("map50", "map", "map_coco", "ap_small", "ap_medium", "ap_large")
SHORTCUTS = {"width": "model.width", "epochs": "train.epochs", "img_size": "data.img_size"}


def chapter_params(profile: str, dataset: str, data_root: str | None, model: str, activation: str | None,
                   seed: int, **optional) -> RunParams:
    """A chapter's flat parameters as validated RunParams: the profile's, overridden by
    the ones given (``optional``: width, epochs, img_size; None keeps the profile's)."""
    unknown = set(optional) - set(SHORTCUTS)
    if unknown:
        raise ValueError(f"chapter parameters: unknown {sorted(unknown)}; expected {sorted(SHORTCUTS)}")
    overrides = {"data.dataset": dataset, "data.data_root": data_root, "model.name": model,
                 "model.activation": activation, "train.seed": seed}
    overrides.update({SHORTCUTS[k]: v for k, v in optional.items() if v is not None})
    return profile_params(profile, **overrides)


def model_label(name: str, activation: str | None) -> str:
    """The paper's name of a model ("YOLO Nano (leaky)")."""
    for label, spec in PAPER_MODELS.items():
        if spec == (name, activation):
            return label
    return f"{name} ({activation})"


def trained_result(params: RunParams, metrics: dict, run_dir: str | Path, training: str, **extra) -> dict:
    """The result of one trained run: its row labels, test metrics and the footprint of
    its best model (masked models count only their surviving weights)."""
    model = load_weights(Path(run_dir) / "best.pt")
    size = footprint(model, params.data.img_size)
    return {"dataset": params.data.dataset, "model": model_label(params.model.name, params.model.activation),
            "training": training, "seed": params.train.seed, "run_dir": str(run_dir),
            "img_size": params.data.img_size, "width": params.model.width, "epochs": metrics["epochs"],
            **{k: metrics["test"][k] for k in TEST_KEYS}, "val_map50": metrics["val_map50"],
            "params": size["nonzero_params"], "macs": size["macs_paper"], "storage_mb": size["storage_bytes"] / 1e6,
            "train_img_per_s": metrics["train_img_per_s"], "history": metrics["history"], "run_params": params.to_dict(),
            "layers": [{k: v for k, v in row.items() if k != "shape"} for row in layer_table(model)], **extra}
