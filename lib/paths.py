"""Where every file of a run lives: the one module that names them (open_lth's
``paths``). A training run's folder is named by a hash of its parameters and its
method's settings, so the same run always finds the same folder and a changed
setting never reuses a stale one:

    <root>/<method>-<model>-<hash>/   last.pt, best.pt, metrics.json, rewind.pt
                                      round-<r>/ and ticket/ for multi-stage methods
    <root>/teacher-outputs-<hash>/    epoch-<e>.pt: a teacher's outputs for the batches of
                                      an epoch, shared by the runs distilled from it

The study's own files are under the roots below: a run's result JSON named by the
study run's key, its executed notebook (a page of the book) by the run's readable
name, ``<row>-<dataset>-s<seed>`` (``lib.study.grid``).
"""
from __future__ import annotations

from pathlib import Path

from .hashing import data_identity, stable_hash
from .params import RunParams

LAST = "last.pt"          # the last epoch's full checkpoint: what a resumed run starts from
BEST = "best.pt"          # the best weights by validation mAP@0.5, as a model file
METRICS = "metrics.json"  # written last: a run holding it is finished
SNAPSHOT = "rewind.pt"    # the weights after epoch k, which LTH and CS rewind to

REPO = Path(__file__).resolve().parents[1]  # the repository: notebook templates, book/_toc.yml, git
TRAIN_RUNS = Path("runs") / "train"     # training folders, under the working folder
STUDY_RESULTS = Path("runs") / "study"  # the study's result JSONs
BOOK_PAGES = Path("book") / "runs"      # the study's executed notebooks, one folder per chapter
BOOK_TOC = BOOK_PAGES / "_toc.yml"      # the book's contents with the study's pages in row order (lib.study.toc)
CLUSTER_JOBS = Path("runs") / "jobs"    # submitit's job files and logs, one folder per job


def run_dir(root: str | Path | None, params: RunParams, method: str = "train", settings: dict | None = None) -> Path:
    """The folder of one run of ``method`` (``train``, ``lth``, ``cs``, ``kd-hints``,
    ``kd-gan``, ...) on ``params`` with the method's ``settings`` (JSON-able), under
    ``root`` (None: TRAIN_RUNS). Data read from a folder adds its fingerprint: editing
    the dataset names new folders, so nothing is skipped as already trained on it."""
    key = stable_hash({"run": params.to_dict(), "method": method, "settings": settings or {},
                       **data_identity(params.data.data_root)})
    return Path(root or TRAIN_RUNS) / f"{method}-{params.model.name}-{key}"


def round_dir(run: str | Path, r: int) -> Path:
    """Round ``r`` of a multi-round method (round 0: the dense or first search run)."""
    return Path(run) / f"round-{r}"


def ticket_dir(run: str | Path) -> Path:
    """The final, sparse training of a pruning method that searches first (CS)."""
    return Path(run) / "ticket"


def teacher_outputs_dir(root: str | Path, key: str) -> Path:
    """A teacher's stored outputs for one sequence of training batches
    (``lib.distill.teacher``), shared by the runs distilled from it under ``root``."""
    return Path(root) / f"teacher-outputs-{key}"


def result_file(results_dir: str | Path, chapter: str, key: str) -> Path:
    """A study run's result JSON (its existence means the run is done)."""
    return Path(results_dir) / f"{chapter}-{key}.json"


def page_file(pages_dir: str | Path, chapter: str, name: str) -> Path:
    """A study run's executed notebook, where the book picks it up (its URL's last part)."""
    return Path(pages_dir) / chapter / f"{name}.ipynb"
