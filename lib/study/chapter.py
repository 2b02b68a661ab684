"""Everything a chapter notebook calls besides its method's entry point, in one
module and for every method alike: its flat parameters as typed ones (model and
method settings from its row, scale from its profile), the inputs it reads, the
record it writes as its result JSON, and the tables and figures the book shows. A
new method needs nothing here: its module, its template and its rows."""
from __future__ import annotations

import ast
import json
from dataclasses import asdict, fields
from pathlib import Path

import pandas as pd

from ..measure import cpu_name, footprint
from ..models import load_weights
from ..params import ParamError, RunParams
from ..profiles import get_profile, profile_params
from ..prune.masks import layer_table
from ..quantize import storage_ledger
from ..train.checkpoint import atomic_write_json
from .abstract import landing_values
from .figures import cs_search, detection_grid, gradual_schedule, layer_sparsity, map_vs_cost, training_curves
from .footprints import architecture_findings, paper_scale_table
from .inference import best_model, latencies, map_under_rules, rules_table, sample_detections
from .results import (architecture_table, coco_table, dense_maps, distillation_against_seeds, encodings_table,
                      first_seed, in_detection_grid, is_dense, ledger_table, load_results, near_zero_rows, pruned,
                      relative_table, runs_frame, searched, summary_table, table_caption, with_latencies)
from .rows import get_row

# The notebooks' whole vocabulary: defined here, or the results tables, figures and
# footprints they show, imported above.
__all__ = [
    "quiet", "check_parameters", "run_params", "method_params", "rewind_point", "read_inputs", "best_model", "record",
    "save_result", "styled", "run_card", "sample_detections", "map_under_rules", "rules_table",
    "architecture_findings", "paper_scale_table", "architecture_table", "coco_table", "dense_maps",
    "distillation_against_seeds", "first_seed",
    "in_detection_grid", "is_dense", "ledger_table", "load_results", "near_zero_rows", "pruned", "relative_table",
    "runs_frame", "searched", "summary_table", "table_caption", "with_latencies", "latencies", "cpu_name", "cs_search",
    "detection_grid", "gradual_schedule", "layer_sparsity", "map_vs_cost", "training_curves", "landing_values",
    "encodings_table",
]
TEST_KEYS = ("map50", "map", "map_coco", "ap_small", "ap_medium", "ap_large")
SHORTCUTS = {"width": "model.width", "epochs": "train.epochs", "img_size": "data.img_size"}


def quiet(_: str) -> None:
    """The book shows results, not per-epoch lines (each run keeps its history)."""


# --- parameters -------------------------------------------------------------------

def check_parameters(namespace: dict) -> None:
    """Refuse, before any work, a parameter papermill injected that the template does
    not declare, or one whose type differs from a declared literal default (None
    defaults are checked where they are used). Reads both cells from the kernel's
    history (``In``): the injected "# Parameters" cell follows the template's own."""
    history = list(namespace.get("In") or [])
    injected = next((i for i, source in enumerate(history) if source.startswith("# Parameters")), 0)
    if injected < 1:
        return  # nothing injected: the template's own defaults
    declared, given = literal_assignments(history[injected - 1]), literal_assignments(history[injected])
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise ParamError(f"unknown parameter {', '.join(map(repr, unknown))}; this chapter takes {sorted(declared)}")
    for name, value in given.items():
        default = declared[name]
        if default is None or value is None:
            continue
        expected = (int, float) if type(default) is float else type(default)
        if isinstance(value, bool) != isinstance(default, bool) or not isinstance(value, expected):
            raise ParamError(f"{name}: expected {type(default).__name__} like its default {default!r}, got {value!r}")


def literal_assignments(source: str) -> dict:
    """name -> value of each ``name = <literal>`` line of a cell."""
    out = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                out[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue
    return out


def run_params(row: str, profile: str, dataset: str, data_root: str | None, seed: int,
               overrides: dict | None = None, **optional) -> RunParams:
    """A chapter's flat parameters as validated RunParams: the profile's, with the
    row's model and parameters and the ones given (``optional``: width, epochs, img_size; None keeps
    the profile's), then ``overrides`` of any field by dotted name ({"data.year": 2007})."""
    unknown = set(optional) - set(SHORTCUTS)
    if unknown:
        raise ValueError(f"chapter parameters: unknown {sorted(unknown)}; expected {sorted(SHORTCUTS)}")
    spec = get_row(row)
    given = {"data.dataset": dataset, "data.data_root": data_root, "model.name": spec.arch,
             "model.activation": spec.activation, "train.seed": seed, **spec.params}
    given.update({SHORTCUTS[k]: v for k, v in optional.items() if v is not None})
    return profile_params(profile, **{**given, **(overrides or {})})


def rewind_point(profile: str, rewind_epoch: int | None) -> int:
    """LTH's and CS's k: as given, else the profile's."""
    return get_profile(profile).rewind_epoch if rewind_epoch is None else rewind_epoch


def method_params(method: type, row: str, profile: str, **given):
    """The method's params dataclass for ``row``: the profile's settings for the method,
    the row's on top, then the given ones (None keeps the row's, the profile's, or the
    method's default); a rewind epoch not given is the profile's. List literals
    (papermill's YAML) become tuples."""
    settings = {**get_profile(profile).method_settings.get(method.__name__, {}), **get_row(row).settings,
                **{k: v for k, v in given.items() if v is not None}}
    names = {f.name: f for f in fields(method)}
    unknown = set(settings) - set(names)
    if unknown:
        raise ValueError(f"{method.__name__}: unknown settings {sorted(unknown)}; expected some of {sorted(names)}")
    if "rewind_epoch" in names:
        settings["rewind_epoch"] = rewind_point(profile, settings.get("rewind_epoch"))
    for name, value in settings.items():
        if isinstance(names[name].default, tuple):
            settings[name] = as_tuple(name, value)
    return method(**settings)


def as_tuple(name: str, value) -> tuple:
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"{name}: expected a list such as [36, 61], got {value!r} "
                         f"(with papermill, pass lists as YAML: -y '{name}: [36, 61]')")
    return tuple(value)


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


def record(row: str, params: RunParams, metrics: dict, method=None, precision: str = "fp32", **extra) -> dict:
    """The result of one trained run (``metrics``: the final training's, as ``train``
    returns them): its row (id and the paper's labels), the method's settings, test
    metrics and the footprint of its best model (masked models count only their
    surviving weights), its storage ledger, and what the figures need. One flat dict.
    ``precision``: the values' precision in the row's file ("int8": a quantized row's,
    whose file is the ledger's dense or sparse int8 one)."""
    spec = get_row(row)
    model = load_weights(best_model(metrics))
    size = footprint(model, params.data.img_size)
    dense = size["storage_encoding"] == "dense"
    ledger = storage_ledger(model)
    if precision != "fp32":
        size["storage_encoding"] = f"{size['storage_encoding']} {precision}"
        size["storage_bytes"] = ledger[size["storage_encoding"]]
    return {"row": spec.id, "dataset": params.data.dataset, "model": spec.model, "training": spec.training,
            "seed": params.train.seed, "run_dir": metrics["run_dir"],
            "img_size": params.data.img_size, "width": params.model.width, "epochs": metrics["epochs"],
            **{k: metrics["test"][k] for k in TEST_KEYS}, "val_map50": metrics["val_map50"],
            "params": size["nonzero_params"], "macs": size["macs_paper"], "storage_mib": size["storage_bytes"] / 2**20,
            "storage_encoding": size["storage_encoding"], "deflated_mib": ledger["dense deflated"] / 2**20 if dense else None,
            "ledger": ledger, "precision": precision,
            "train_img_per_s": metrics["train_img_per_s"], "history": metrics["history"], "run_params": params.to_dict(),
            "layers": [{k: v for k, v in layer.items() if k != "shape"} for layer in layer_table(model)],
            **({"settings": asdict(method)} if method is not None else {}), **extra}


# --- what the book shows ------------------------------------------------------------

def save_result(path: str, payload: dict) -> None:
    """The notebook's last act: its result JSON, written atomically (the runner's 'done')."""
    if not path:
        raise ValueError("result_path: empty; the study runner passes it (or give one when running by hand)")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(payload, Path(path))


def styled(table: pd.DataFrame, digits: int = 3):
    """A table for the book: thousands separators for counts, fixed digits for the rest,
    and a dash where a value does not exist (a row the paper lacks, a ledger line)."""
    formats = {c: "{:,.0f}" for c in table.columns if pd.api.types.is_integer_dtype(table[c])}
    formats.update({c: f"{{:.{digits}f}}" for c in table.columns if pd.api.types.is_float_dtype(table[c])})
    return table.style.format(formats, na_rep="—").hide(axis="index")


def run_card(*results: dict | None) -> pd.DataFrame:
    """One line per run given (None skipped): its row, test metrics and footprint
    (at the run's input size). The dataset is the page's (its settings name it)."""
    keys = {"model": "model", "training": "training", "epochs": "epochs", "map50": "mAP@0.5",
            "map": "mAP@[.5:.95]", "ap_small": "AP small", "ap_medium": "AP medium", "ap_large": "AP large",
            "params": "params", "macs": "MACs", "storage_mib": "MiB"}
    return pd.DataFrame([{label: r[k] for k, label in keys.items()} for r in results if r])
