"""Executes the study's runs: each run is a notebook template executed by papermill
with its parameters, named by a hash of (chapter, parameters, the keys of the runs it
reads). A run whose result file and executed notebook exist is skipped; a changed
parameter changes the run's key and so the keys of everything downstream. The key
does not cover the template's code: after editing a template, delete its runs'
results (``runs/study/<chapter>-*.json``) to run them again. A failed run is recorded and
the rest go on (its dependants are blocked, not attempted); the report names them all.

A chapter notebook receives two extra parameters: ``result_path`` (it must write
its result JSON there, last) and ``inputs`` (the result paths of its dependencies).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from ..params import stable_hash


@dataclass(frozen=True)
class Run:
    chapter: str                      # notebook template: notebooks/<chapter>.ipynb
    parameters: dict                  # flat literals for the parameters cell
    depends: tuple["Run", ...] = ()   # runs whose results this one reads
    title: str = ""                   # the executed page's title (not part of the key)

    @property
    def key(self) -> str:
        return stable_hash({"chapter": self.chapter, "parameters": self.parameters,
                            "depends": [d.key for d in self.depends]})

    @property
    def label(self) -> str:
        return f"{self.chapter}[{self.key}]"


@dataclass
class Report:
    executed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)    # label -> reason
    blocked: dict[str, str] = field(default_factory=dict)   # label -> the failed dependency

    @property
    def ok(self) -> bool:
        return not self.failed and not self.blocked

    def summary(self) -> str:
        lines = [f"{len(self.executed)} executed, {len(self.skipped)} already done, "
                 f"{len(self.failed)} failed, {len(self.blocked)} blocked"]
        lines += [f"  FAILED  {label}: {reason}" for label, reason in self.failed.items()]
        lines += [f"  BLOCKED {label}: needs {dep}" for label, dep in self.blocked.items()]
        return "\n".join(lines)


def in_order(runs: list[Run]) -> list[Run]:
    """Every run after the runs it depends on (dependencies not listed are added).
    A run holds its dependencies by value, so there can be no cycle."""
    ordered, seen = [], set()

    def visit(run: Run) -> None:
        if run.key not in seen:
            for dep in run.depends:
                visit(dep)
            seen.add(run.key)
            ordered.append(run)

    for run in runs:
        visit(run)
    return ordered


def finish_notebook(path: Path, title: str = "") -> None:
    """Tag papermill's injected-parameters cell so the book leaves it out, and give
    the page the run's title (the first markdown heading)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.setdefault("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            tags.append("remove-cell")
    heading = next((c for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("# ")), None)
    if title and heading is not None:
        heading.source = "\n".join([f"# {title}"] + heading.source.splitlines()[1:])
    nbformat.write(nb, path)


def result_path(run: Run, results_dir: Path) -> Path:
    return Path(results_dir) / f"{run.chapter}-{run.key}.json"


def execute(runs: list[Run], notebooks_dir: Path, output_dir: Path, results_dir: Path, cwd: Path | None = None,
            log=print) -> Report:
    """Execute what is not done yet, in dependency order; executed notebooks go to
    output_dir/<chapter>/<key>.ipynb (where the book picks them up)."""
    import papermill

    report, broken = Report(), {}
    for run in in_order(runs):
        target = result_path(run, results_dir)
        output = Path(output_dir) / run.chapter / f"{run.key}.ipynb"
        if target.exists() and output.exists():  # done: its result and its page
            report.skipped.append(run.label)
            continue
        failed_deps = [broken[d.key] for d in run.depends if d.key in broken]
        if failed_deps:
            report.blocked[run.label] = failed_deps[0]
            broken[run.key] = failed_deps[0]
            continue
        template = Path(notebooks_dir) / f"{run.chapter}.ipynb"
        output.parent.mkdir(parents=True, exist_ok=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        parameters = {**run.parameters, "result_path": str(target.resolve()),
                      "inputs": [str(result_path(d, results_dir).resolve()) for d in run.depends]}
        log(f"running {run.label} {run.title}")
        started = time.monotonic()
        try:
            papermill.execute_notebook(str(template), str(output), parameters=parameters, kernel_name="python3",
                                       progress_bar=False, cwd=str(cwd) if cwd else None)
            if not target.exists():
                raise RuntimeError(f"the notebook finished without writing {target}")
            finish_notebook(output, run.title)
            report.executed.append(run.label)
            log(f"  done in {time.monotonic() - started:.0f} s")
        except Exception as err:  # a failed run must not stop the others
            reason = f"{getattr(err, 'ename', type(err).__name__)}: {getattr(err, 'evalue', err)}"
            report.failed[run.label] = reason
            broken[run.key] = run.label
    return report


def remove_stale_pages(runs: list[Run], output_dir: Path) -> list[Path]:
    """Delete executed notebooks of the runs' chapters that no current run wrote (left
    by changed parameters), so the book shows only the current study; returns them.
    Their results and training folders stay: a run set back executes its notebook
    again, reading its finished training back."""
    current = {Path(output_dir) / run.chapter / f"{run.key}.ipynb" for run in in_order(runs)}
    stale = [page for chapter in {run.chapter for run in runs}
             for page in sorted((Path(output_dir) / chapter).glob("*.ipynb")) if page not in current]
    for page in stale:
        page.unlink()
    return stale

