"""Everything a chapter notebook calls, in one module: its flat parameters as typed
ones (model and method settings from its row, scale from its profile), the inputs
it reads, its method's run (resumable; a finished run is read back), the record it
writes as its result JSON, and the tables and figures the book shows."""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import torch

from ..data import DetectionDataset, collate
from ..distill import GANParams, KDParams, kd_folder, run_kd
from ..evaluate import predict
from ..measure import footprint
from ..models import load_weights
from ..params import RunParams, from_dict
from ..paths import BEST, TRAIN_RUNS, run_dir, ticket_dir
from ..profiles import get_profile, profile_params
from ..prune.cs import CSParams, cs_folder, run_cs
from ..prune.lth import LTHParams, lth_rounds, run_lth
from ..prune.masks import layer_table
from ..prune.rewind import RewindSnapshot
from ..train import train
from ..train.checkpoint import atomic_write_json
from ..train.distributed import resolve_device
from ..train.run import open_data
from .figures import cs_search, detection_grid, layer_sparsity, map_vs_cost, training_curves
from .footprints import architecture_findings, paper_scale_table
from .results import (architecture_table, coco_table, dense_maps, first_seed, in_detection_grid, load_results,
                      near_zero_rows, pruned, relative_table, runs_frame, searched, summary_table, table_caption)
from .rows import get_row

# The notebooks' whole vocabulary: defined here, or the results tables, figures and
# footprints they show, imported above.
__all__ = [
    "run_params", "method_settings", "rewind_point", "lth_params", "cs_params", "hint_layers", "kd_params",
    "gan_params", "read_inputs", "baseline", "lottery_ticket", "continuous_sparsification", "distilled", "record",
    "save_result", "styled", "run_card", "sample_detections",
    "architecture_findings", "paper_scale_table", "architecture_table", "coco_table", "dense_maps", "first_seed",
    "in_detection_grid", "load_results", "near_zero_rows", "pruned", "relative_table", "runs_frame", "searched",
    "summary_table", "table_caption", "cs_search", "detection_grid", "layer_sparsity", "map_vs_cost",
    "training_curves",
]
TEST_KEYS = ("map50", "map", "map_coco", "ap_small", "ap_medium", "ap_large")
SHORTCUTS = {"width": "model.width", "epochs": "train.epochs", "img_size": "data.img_size"}


def quiet(_: str) -> None:
    """The book shows results, not per-epoch lines (each run keeps its history)."""


# --- parameters -------------------------------------------------------------------

def run_params(row: str, profile: str, dataset: str, data_root: str | None, seed: int, **optional) -> RunParams:
    """A chapter's flat parameters as validated RunParams: the profile's, with the
    row's model and the ones given (``optional``: width, epochs, img_size; None keeps
    the profile's)."""
    unknown = set(optional) - set(SHORTCUTS)
    if unknown:
        raise ValueError(f"chapter parameters: unknown {sorted(unknown)}; expected {sorted(SHORTCUTS)}")
    spec = get_row(row)
    overrides = {"data.dataset": dataset, "data.data_root": data_root, "model.name": spec.arch,
                 "model.activation": spec.activation, "train.seed": seed}
    overrides.update({SHORTCUTS[k]: v for k, v in optional.items() if v is not None})
    return profile_params(profile, **overrides)


def method_settings(row: str, **given) -> dict:
    """The row's method settings with the given ones on top (None keeps the row's,
    or the method's default)."""
    return {**get_row(row).settings, **{k: v for k, v in given.items() if v is not None}}


def rewind_point(profile: str, rewind_epoch: int | None) -> int:
    """LTH's and CS's k: as given, else the profile's."""
    return get_profile(profile).rewind_epoch if rewind_epoch is None else rewind_epoch


def lth_params(row: str, profile: str, rewind_epoch: int | None = None, **given) -> LTHParams:
    return LTHParams(**method_settings(row, **given), rewind_epoch=rewind_point(profile, rewind_epoch))


def cs_params(row: str, profile: str, params: RunParams, round_epochs: int | None = None,
              rewind_epoch: int | None = None, **given) -> CSParams:
    """CSParams; a search round lasts, when not given, the schedule split over the
    rounds (the paper's 1 x 300 and 3 x 100)."""
    settings = method_settings(row, **given)
    rounds = settings.get("rounds", CSParams.rounds)
    return CSParams(**settings, round_epochs=round_epochs or max(1, params.train.epochs // rounds),
                    rewind_epoch=rewind_point(profile, rewind_epoch))


def hint_layers(hints) -> tuple[int, ...]:
    """The teacher layers of a hint setting, from a chapter's list literal."""
    if isinstance(hints, (str, bytes)) or not all(isinstance(h, int) for h in hints):
        raise ValueError(f"hints: expected a list of teacher layer indices such as [36, 61], got {hints!r} "
                         "(with papermill, pass lists as YAML: -y 'hints: [36, 61]')")
    return tuple(hints)


def kd_params(row: str, **given) -> KDParams:
    settings = method_settings(row, **given)
    return KDParams(**{**settings, "hints": hint_layers(settings.get("hints", KDParams.hints))})


def gan_params(row: str, **given) -> GANParams:
    return GANParams(**method_settings(row, **given))


def read_inputs(row: str, inputs: list[str], required: int) -> list[dict | None]:
    """The results ``row`` reads, in the order of its inputs (None where not given),
    each checked to be of the row expected; the first ``required`` must be given."""
    expected = get_row(row).inputs
    if len(inputs) < required or len(inputs) > len(expected):
        raise ValueError(f"inputs: row {row} reads the results of rows {list(expected)} (at least the first "
                         f"{required}), got {len(inputs)} paths; with papermill: -y 'inputs: [\"dense.json\"]'")
    results = []
    for path, wanted in zip(inputs, expected):
        if not Path(path).is_file():
            raise ValueError(f"inputs: no result file {path}")
        result = json.loads(Path(path).read_text())
        if result.get("row") != wanted:
            raise ValueError(f"inputs: {path} is a result of row {result.get('row')!r}, not of {wanted!r}")
        results.append(result)
    return results + [None] * (len(expected) - len(results))


# --- the methods ------------------------------------------------------------------
# ``runs_root``: where the training folders go; None: lib.paths.TRAIN_RUNS.

def baseline(row: str, params: RunParams, runs_root: str | None, rewind_epoch: int, log=quiet) -> dict:
    """A model trained by the common scheme; it keeps its weights after epoch k in its
    folder, so that the dense YOLOv3 is the lottery tickets' round 0."""
    folder = run_dir(runs_root or TRAIN_RUNS, params, "train", {"rewind_epoch": rewind_epoch})
    return record(row, params, train(params, folder, [RewindSnapshot(rewind_epoch)], log=log), folder)


def lottery_ticket(row: str, params: RunParams, lth: LTHParams, runs_root: str | None, dense: dict | None,
                   log=quiet) -> dict:
    """The ticket of ``lth``; round 0 is the dense run when given (same parameters)."""
    round0, runs_root = dense["run_dir"] if dense else None, runs_root or TRAIN_RUNS
    results = run_lth(params, lth, runs_root, round0=round0, log=log)
    ticket = lth_rounds(params, lth, runs_root, round0)[-1]
    return record(row, params, results[-1], ticket, settings=asdict(lth))


def continuous_sparsification(row: str, params: RunParams, cs: CSParams, runs_root: str | None, log=quiet) -> dict:
    """The CS ticket, with each search round's per-epoch sparsity (``search``)."""
    runs_root = runs_root or TRAIN_RUNS
    results = run_cs(params, cs, runs_root, log=log)
    search = [{"round": r, "epoch": h["epoch"], "sparsity": h["cs_sparsity"], "beta": h["cs_beta"]}
              for r, rnd in enumerate(results[:-1]) for h in rnd["history"]]
    return record(row, params, results[-1], ticket_dir(cs_folder(params, cs, runs_root)), settings=asdict(cs),
                  search=search)


def distilled(row: str, params: RunParams, method: KDParams | GANParams, runs_root: str | None, teacher: dict,
              log=quiet) -> dict:
    """A leaky student distilled from the best model of the teacher's run."""
    runs_root = runs_root or TRAIN_RUNS
    teacher_file = Path(teacher["run_dir"]) / BEST
    metrics = run_kd(params, teacher_file, method, runs_root, log=log)
    return record(row, params, metrics, kd_folder(params, teacher_file, method, runs_root), settings=asdict(method),
                  teacher_map50=teacher["map50"])


def record(row: str, params: RunParams, metrics: dict, folder: str | Path, **extra) -> dict:
    """The result of one trained run: its row (id and the paper's labels), test
    metrics and the footprint of its best model (masked models count only their
    surviving weights), and what the figures need. One flat dict."""
    spec = get_row(row)
    model = load_weights(Path(folder) / BEST)
    size = footprint(model, params.data.img_size)
    return {"row": spec.id, "dataset": params.data.dataset, "model": spec.model, "training": spec.training,
            "seed": params.train.seed, "run_dir": str(folder),
            "img_size": params.data.img_size, "width": params.model.width, "epochs": metrics["epochs"],
            **{k: metrics["test"][k] for k in TEST_KEYS}, "val_map50": metrics["val_map50"],
            "params": size["nonzero_params"], "macs": size["macs_paper"], "storage_mb": size["storage_bytes"] / 1e6,
            "train_img_per_s": metrics["train_img_per_s"], "history": metrics["history"], "run_params": params.to_dict(),
            "layers": [{k: v for k, v in layer.items() if k != "shape"} for layer in layer_table(model)], **extra}


# --- what the book shows ------------------------------------------------------------

def save_result(path: str, payload: dict) -> None:
    """The notebook's last act: its result JSON, written atomically (the runner's 'done')."""
    if not path:
        raise ValueError("result_path: empty; the study runner passes it (or give one when running by hand)")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(payload, Path(path))


def styled(table: pd.DataFrame, digits: int = 3):
    """A table for the book: thousands separators for counts, fixed digits for the rest."""
    formats = {c: "{:,.0f}" for c in table.columns if pd.api.types.is_integer_dtype(table[c])}
    formats.update({c: f"{{:.{digits}f}}" for c in table.columns if pd.api.types.is_float_dtype(table[c])})
    return table.style.format(formats).hide(axis="index")


def run_card(*results: dict | None) -> pd.DataFrame:
    """One line per run given (None skipped): its row, test metrics and footprint
    (at the run's input size)."""
    keys = {"model": "model", "training": "training", "dataset": "dataset", "epochs": "epochs", "map50": "mAP@0.5",
            "map": "mAP@[.5:.95]", "ap_small": "AP small", "ap_medium": "AP medium", "ap_large": "AP large",
            "params": "params", "macs": "MACs", "storage_mb": "MB"}
    return pd.DataFrame([{label: r[k] for k, label in keys.items()} for r in results if r])


def sample_detections(results: list[dict], n_images: int = 4, conf: float = 0.3) -> list[dict]:
    """Each run's best model on the first ``n_images`` test images of its dataset:
    images (N, 3, H, W) in [0, 1], detections with score >= conf and the ground truth
    (boxes (n, 4) xyxy, input pixels), for ``detection_grid``."""
    device, samples = resolve_device(None), []
    for r in results:
        params = from_dict(r["run_params"])
        test = open_data(params)["test"]
        subset = torch.utils.data.Subset(DetectionDataset(test, params.data.img_size), range(n_images))
        loader = torch.utils.data.DataLoader(subset, batch_size=n_images, collate_fn=collate)
        model = load_weights(Path(r["run_dir"]) / BEST).to(device)
        predictions, targets = predict(model, loader, device, conf, params.train.nms_iou, params.train.max_det)
        samples.append({"result": r, "images": next(iter(loader))[0], "predictions": predictions,
                        "targets": targets, "classes": test.classes})
    return samples
