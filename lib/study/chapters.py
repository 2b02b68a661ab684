"""One function per training chapter: run the method for a chapter's parameters
(resumable; a finished run is read back) and return the chapter's result, the row
it fills in the paper's tables (``record.trained_result``)."""
from __future__ import annotations

import json
from pathlib import Path

from ..distill import GANParams, KDParams, kd_dir, run_kd
from ..params import RunParams
from ..prune.cs import CSParams, cs_dir, run_cs
from ..prune.lth import SNAPSHOT, LTHParams, RewindSnapshot, lth_dir, run_lth
from ..train import train
from ..train.run import default_run_dir
from .grid import STUDY_SETTINGS
from .record import trained_result

LTH_LABELS = {"layer": "LTH Local", "global": "LTH Global"}


def quiet(_: str) -> None:
    """The book shows results, not per-epoch lines (each run keeps its history)."""


def read_input(path: str, model: str, training: str, what: str) -> dict:
    """A result this chapter reads, checked to be the row it expects."""
    if not Path(path).is_file():
        raise ValueError(f"inputs: no result file {path}")
    result = json.loads(Path(path).read_text())
    if (result.get("model"), result.get("training")) != (model, training):
        raise ValueError(f"inputs: {path} is a {result.get('model')} {result.get('training')} run, not {what}")
    return result


def dense_input(inputs: list[str], chapter: str) -> dict:
    """The result of the dense YOLOv3 run a chapter starts from (its first input)."""
    if not inputs:
        raise ValueError(f"inputs: {chapter} needs the result JSON of a trained dense YOLOv3 run")
    return read_input(inputs[0], "YOLOv3", "Default", "the dense YOLOv3")


def plain_input(inputs: list[str], student: dict) -> dict | None:
    """The same student trained without distillation (the second input), if given."""
    if len(inputs) < 2:
        return None
    return read_input(inputs[1], student["model"], "Default", f"{student['model']} trained without distillation")


def rewind_point(profile: str, rewind_epoch: int | None) -> int:
    """LTH's and CS's k: as given, else the study's setting for the profile."""
    return STUDY_SETTINGS[profile]["rewind_epoch"] if rewind_epoch is None else rewind_epoch


def search_epochs(params: RunParams, rounds: int) -> int:
    """Epochs of each CS search round when not given: the schedule split over the
    rounds, as the paper's 1 x 300 and 3 x 100."""
    return max(1, params.train.epochs // rounds)


def hint_layers(hints) -> tuple[int, ...]:
    """The teacher layers of a hint setting, from a chapter's list literal."""
    if isinstance(hints, (str, bytes)) or not all(isinstance(h, int) for h in hints):
        raise ValueError(f"hints: expected a list of teacher layer indices such as [36, 61], got {hints!r} "
                         "(with papermill, pass lists as YAML: -y 'hints: [36, 61]')")
    return tuple(hints)


def gan_params(adversarial_fraction: float | None, detection_weight: float, lr: float, swap: float) -> GANParams:
    """GANParams from a chapter's flat parameters (None: the paper's 2/3 adversarial phase)."""
    given = {} if adversarial_fraction is None else {"adversarial_fraction": adversarial_fraction}
    return GANParams(**given, detection_weight=detection_weight, lr=lr, swap=swap)


def baseline(params: RunParams, runs_root: str, rewind_epoch: int | None = None, log=quiet) -> dict:
    """A model trained by the common scheme; with ``rewind_epoch`` it also keeps the
    weights after that epoch (LTH's rewind point) in its folder."""
    run_dir = default_run_dir(params, runs_root)
    callbacks = []
    if rewind_epoch is not None:
        run_dir = run_dir.with_name(f"{run_dir.name}-k{rewind_epoch}")
        callbacks.append(RewindSnapshot(rewind_epoch, run_dir / SNAPSHOT))
    return trained_result(params, train(params, run_dir, callbacks, log=log), run_dir, "Default")


def lottery_ticket(params: RunParams, lth: LTHParams, runs_root: str, dense: dict | None = None, log=quiet) -> dict:
    """The ticket of ``lth``; round 0 is the dense run when given (same parameters)."""
    results = run_lth(params, lth, runs_root, round0=dense["run_dir"] if dense else None, log=log)
    ticket = lth_dir(params, lth, runs_root) / f"round-{len(results) - 1}"
    return trained_result(params, results[-1], ticket, LTH_LABELS[lth.scope])


def continuous_sparsification(params: RunParams, cs: CSParams, runs_root: str, log=quiet) -> dict:
    """The CS ticket, with each search round's per-epoch sparsity (``search``)."""
    results = run_cs(params, cs, runs_root, log=log)
    search = [{"round": r, "epoch": h["epoch"], "sparsity": h["cs_sparsity"], "beta": h["cs_beta"]}
              for r, rnd in enumerate(results[:-1]) for h in rnd["history"]]
    return trained_result(params, results[-1], cs_dir(params, cs, runs_root) / "ticket", f"CS {cs.rounds} It",
                          search=search)


def distilled(params: RunParams, method: KDParams | GANParams, runs_root: str, dense: dict, log=quiet) -> dict:
    """A leaky student distilled from the dense YOLOv3 run's best model."""
    teacher = Path(dense["run_dir"]) / "best.pt"
    metrics = run_kd(params, teacher, method, runs_root, log=log)
    label = "KD GAN" if isinstance(method, GANParams) else "KD fts " + ", ".join(map(str, method.hints))
    return trained_result(params, metrics, kd_dir(params, teacher, method, runs_root), label,
                          teacher_map50=dense["map50"])
