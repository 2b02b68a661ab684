"""The study's runs for a profile: for every dataset and seed, each row of the row
table (``rows``) run on that dataset becomes a run of its chapter's notebook, after
the runs of the rows it reads; then the results chapter, which reads them all."""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from ..hashing import data_identity, stable_hash
from ..params import ParamError
from ..profiles import get_profile
from .plan import EVERY_ROW, Plan, plan_of
from .rows import PAPER_DATASET, ROW, Row, rows_of
from .task import Run


def study_runs(profile: str, datasets: dict[str, str | None] | None = None, seeds: int | None = None,
               only: tuple[str, ...] = (), seed_rows: tuple[str, ...] | None = None,
               all_rows: bool = False) -> list[Run]:
    """Every run of the study. ``datasets``: name -> data root (default: the profile's,
    built in); ``only``: keep the runs of these chapters (and what they need);
    ``seed_rows``: only these rows (and the rows they read) run ``seeds`` seeds, every
    other row one. An entry is a row id (on every dataset) or ``ROW@DATASET``. Seeds and
    seed rows not given are the profile's plan's (``plan``), which also names the rows
    each dataset runs; ``all_rows``: every row on every dataset."""
    definition, plan = get_profile(profile), plan_of(profile)
    seeds = plan.seeds if seeds is None else seeds
    if not isinstance(seeds, int) or seeds < 1:
        raise ParamError(f"seeds: expected a positive integer, got {seeds!r}")
    datasets = datasets or dict.fromkeys(definition.datasets)
    unknown = set(datasets) - set(PAPER_DATASET)
    if unknown:
        raise ParamError(f"dataset: unknown {sorted(unknown)}; expected some of {sorted(PAPER_DATASET)}")
    check_roots(datasets)
    if seed_rows is None:  # the plan's, on the datasets this study runs
        seed_rows = tuple(e for e in plan.seed_rows if e.partition("@")[2] in ("", *datasets))
    architectures = Run("00_architectures", {"img_size": 416}, (), "The detectors at the paper's scale",
                        name="architectures")
    seeded = seeded_rows(seed_rows, datasets)
    training = []
    data = {dataset: data_identity(root) for dataset, root in datasets.items()}  # read once per dataset
    for dataset, root in datasets.items():
        for seed in range(seeds):
            common = {"profile": profile, "dataset": dataset, "data_root": root, "seed": seed}
            rows = None if seed == 0 or not seed_rows else seeded[dataset]
            training += dataset_runs(common, definition.fingerprint(), data[dataset], rows,
                                     EVERY_ROW if all_rows else plan)
    results = Run("06_results", {"profile": profile}, (architectures, *training), "Results", name="results")
    runs = [architectures, *training, results]
    if only:
        chapters = {r.chapter for r in runs}
        if set(only) - chapters:
            raise ParamError(f"only: unknown chapters {sorted(set(only) - chapters)}; expected some of {sorted(chapters)}")
        runs = [r for r in runs if r.chapter in only]
    return runs


def check_roots(datasets: dict[str, str | None]) -> None:
    """Each dataset's root as its name asks, checked once before any kernel starts (each
    run's notebook validates the data itself, but would fail one after another)."""
    for name, root in datasets.items():
        if name.startswith("builtin"):
            if root:
                raise ParamError(f"dataset {name}: generated, it takes no data root (got {root})")
        elif not root:
            raise ParamError(f"dataset {name}: needs its data root: --dataset {name}=PATH")
        elif not Path(root).expanduser().is_dir():
            raise ParamError(f"dataset {name}: data root {root} is not a folder")


def page_name(row: str, dataset: str, seed: int) -> str:
    """A run's page (its URL), readable and unique within the chapter: ``yolov3-lth-global-builtin-s0``."""
    return f"{row}-{dataset}-s{seed}"


def seeded_rows(entries: tuple[str, ...], datasets: dict) -> dict[str, set[str]]:
    """``ROW`` or ``ROW@DATASET`` entries as dataset -> row ids, checked by name."""
    chosen: dict[str, set[str]] = {dataset: set() for dataset in datasets}
    for entry in entries:
        row, _, dataset = entry.partition("@")
        if row not in ROW:
            raise ParamError(f"seed rows: unknown row {row!r} in {entry!r}; expected one of {list(ROW)}")
        if dataset and dataset not in datasets:
            raise ParamError(f"seed rows: {entry!r} names dataset {dataset!r}, not one of the study's {list(datasets)}")
        for name in [dataset] if dataset else datasets:
            chosen[name].add(row)
    return chosen


def dataset_runs(common: dict, profile_fingerprint: str, data: dict, rows: set[str] | None = None,
                 plan: Plan = EVERY_ROW) -> list[Run]:
    """The runs of one dataset and seed, one per row (of ``rows`` if given, and of the
    rows ``plan`` runs on the dataset; with the rows they read), each
    depending on the runs of the rows it reads (the dense YOLOv3 for LTH's round 0 and
    the teacher; a plain student beside its distilled self). A run's key covers its
    row's definition and the profile's, which its parameters name but do not spell out,
    and ``data``: the content of a dataset read from a folder (``data_identity``)."""
    runs: dict[str, Run] = {}

    def run_of(row: Row) -> Run:
        if row.id not in runs:
            depends = tuple(run_of(ROW[i]) for i in row.inputs.values())
            title = f"{row.model}, {row.training}: {common['dataset']}, seed {common['seed']}"
            fingerprint = stable_hash({"profile": profile_fingerprint, "row": asdict(row), **data})
            runs[row.id] = Run(row.chapter, {**common, "row": row.id}, depends, title, fingerprint,
                               page_name(row.id, common["dataset"], common["seed"]), kind=row.id)
        return runs[row.id]

    table = rows_of(common["dataset"])
    for row in table:
        if (rows is None or row.id in rows) and plan.runs(row, common["dataset"]):
            run_of(row)
    return [runs[row.id] for row in table if row.id in runs]
