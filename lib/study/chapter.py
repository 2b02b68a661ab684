"""One row's run as a chapter notebook makes it, for every method alike: its flat
parameters as typed ones (model and method settings from its row, scale from its
profile), the results of the rows it reads (by the method's input names), its
method's run through the registry, and the typed result it writes as its JSON. A new
method needs nothing here: its module, its template and its rows."""
from __future__ import annotations

import ast
import math
from dataclasses import fields
from pathlib import Path
from typing import Callable

from ..methods import get_method
from ..params import ParamError, RunParams, check_settings
from ..profiles import get_profile, profile_params
from ..result import RunResult, read_result
from ..files import atomic_write_json
from .record import record
from .rows import get_row

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
    given_nodes = assignment_nodes(history[injected])
    declared, given = literal_values(assignment_nodes(history[injected - 1])), literal_values(given_nodes)
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise ParamError(f"unknown parameter {', '.join(map(repr, unknown))}; this chapter takes {sorted(declared)}")
    for name, value in given.items():
        if value is NOT_LITERAL or (isinstance(value, float) and not math.isfinite(value)):
            raise ParamError(f"{name}: expected a literal value (a finite number, a string, True/False, None, a "
                             f"list or dict of them), got {ast.get_source_segment(history[injected], given_nodes[name])}")
        default = declared[name]
        if default is None or value is None:
            continue
        expected = (int, float) if type(default) is float else type(default)
        if isinstance(value, bool) != isinstance(default, bool) or not isinstance(value, expected):
            raise ParamError(f"{name}: expected {type(default).__name__} like its default {default!r}, got {value!r}")


NOT_LITERAL = object()  # an assignment whose value is an expression (papermill writes float('inf') for inf)


def assignment_nodes(source: str) -> dict[str, ast.expr]:
    """name -> value expression of each ``name = ...`` line of a cell."""
    return {node.targets[0].id: node.value for node in ast.parse(source).body
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)}


def literal_values(nodes: dict[str, ast.expr]) -> dict:
    """name -> the literal each assignment gives, or ``NOT_LITERAL``."""
    out = {}
    for name, node in nodes.items():
        try:
            out[name] = ast.literal_eval(node)
        except ValueError:
            out[name] = NOT_LITERAL
    return out


def run_params(row: str, profile: str, dataset: str, data_root: str | None, seed: int,
               overrides: dict | None = None, **optional) -> RunParams:
    """A chapter's flat parameters as validated RunParams: the profile's, with the
    row's model and parameters and the ones given (``optional``: width, epochs, img_size; None keeps
    the profile's), then ``overrides`` of any field by dotted name ({"data.year": 2007})."""
    unknown = set(optional) - set(SHORTCUTS)
    if unknown:
        raise ParamError(f"chapter parameters: unknown {sorted(unknown)}; expected {sorted(SHORTCUTS)}")
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
        raise ParamError(f"{method.__name__}: unknown settings {sorted(unknown)}; expected some of {sorted(names)}")
    if "rewind_epoch" in names:
        settings["rewind_epoch"] = rewind_point(profile, settings.get("rewind_epoch"))
    for name, value in settings.items():
        if isinstance(names[name].default, tuple):
            settings[name] = as_tuple(name, value)
    chosen = method(**settings)
    check_settings(chosen)
    return chosen


def as_tuple(name: str, value) -> tuple:
    if not isinstance(value, (list, tuple)):
        raise ParamError(f"{name}: expected a list such as [36, 61], got {value!r} "
                         f"(with papermill, pass lists as YAML: -y '{name}: [36, 61]')")
    return tuple(value)


def read_inputs(row: str, paths: list[str]) -> dict[str, RunResult | None]:
    """The results ``row`` reads, by its method's input names (None where not given):
    each file is matched to an input by the row it is a result of; the method's
    required inputs must be among them."""
    spec = get_row(row)
    wanted = {source: name for name, source in spec.inputs.items()}
    given: dict[str, RunResult | None] = dict.fromkeys(get_method(spec.method).inputs)
    for path in paths:
        if not Path(path).is_file():
            raise ParamError(f"inputs: no result file {path}")
        result = read_result(path)
        if result.row not in wanted:
            raise ParamError(f"inputs: {path} is a result of row {result.row!r}; row {row} reads "
                             f"{dict(spec.inputs)}")
        if given[wanted[result.row]] is not None:
            raise ParamError(f"inputs: two results of row {result.row!r} given (the second: {path}); give one")
        given[wanted[result.row]] = result
    missing = [name for name in get_method(spec.method).required if given[name] is None]
    if missing:
        raise ParamError(f"inputs: row {row} needs the results of {[spec.inputs[n] for n in missing]} "
                         f"(its {missing}); with papermill: -y 'inputs: [\"dense.json\"]'")
    return given


def run_row(row: str, profile: str, dataset: str, data_root: str | None, seed: int, inputs: list[str],
            runs_root: str | None = None, overrides: dict | None = None, settings: dict | None = None,
            log: Callable[[str], None] = quiet, **shortcuts) -> tuple[RunResult, dict[str, RunResult | None]]:
    """Run ``row`` by its method: parameters from the profile, the row and the given
    ones (``shortcuts``: width, epochs, img_size; ``settings``: the method's, None
    keeping the row's or the profile's), the results at ``inputs`` by name; returns its
    result and those inputs. Every input is checked before any training."""
    spec = get_row(row)
    method = get_method(spec.method)
    params = run_params(row, profile, dataset, data_root, seed, overrides, **shortcuts)
    chosen = method_params(method.settings, row, profile, **(settings or {}))
    given = read_inputs(row, inputs)
    outcome = method.run(params, chosen, given, runs_root, log)
    return record(spec, method, outcome, chosen), given


def save_result(path: str, payload: RunResult | dict) -> None:
    """The notebook's last act: its result JSON (a row's typed result, or a study-wide
    chapter's table), written atomically (the runner's 'done')."""
    if not path:
        raise ParamError("result_path: empty; the study runner passes it (or give one when running by hand)")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(payload.to_dict() if isinstance(payload, RunResult) else payload, Path(path))
