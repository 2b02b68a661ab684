"""Executes the study's runs: each run is a notebook template executed by papermill
with its parameters, named by a hash of (chapter, parameters, the keys of the runs it
reads, a fingerprint of what the parameters name, such as the profile's definition). A
run whose result file and executed notebook exist is skipped; a changed parameter
changes the run's key and so the keys of everything downstream. The key
does not cover the template's code: after editing a template, delete its runs'
results (``lib.paths.result_file``: ``runs/study/<chapter>-*.json``) to run them again. A failed run is recorded and
the rest go on (its dependants are blocked, not attempted); the report names them all.

A run and the task that executes its notebook: ``lib.study.task``.
"""
from __future__ import annotations

import math
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..files import locked
from ..paths import page_file, result_file
from .executors import Threads
from .task import Run, Task


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


def result_path(run: Run, results_dir: Path) -> Path:
    return result_file(results_dir, run.chapter, run.key)


def page_path(run: Run, output_dir: Path) -> Path:
    return page_file(output_dir, run.chapter, run.name or run.key)


def execute(runs: list[Run], notebooks_dir: Path, output_dir: Path, results_dir: Path, cwd: Path | None = None,
            log=print, jobs: int = 1, backend=None) -> Report:
    """Execute what is not done yet, each run after its dependencies, through
    ``backend`` (``lib.study.executors``; default: ``jobs`` local kernels at once, each
    with its share of the CPU threads). Runs whose dependencies are settled are
    submitted together (on a cluster, one job array): the study goes in dependency
    waves. Executed notebooks go under output_dir (``page_path``), where the book
    picks them up.

    Of the runs ready at once, those of a kind not yet timed start first (in dependency
    order), then the others longest first, by the time their kind last took (``Run.kind``:
    a row's earlier seed or dataset). Short runs then fill the end and the slots finish
    together: the cpu build's 64 runs, replayed from their times in the build of 0472bf1
    on two slots, ended at 3,473 s instead of the 3,520 s of dependency order alone, as
    early as longest-first with every time known in advance."""
    backend = backend or Threads(jobs)
    began = time.monotonic()
    report, finished, broken = Report(), set(), {}   # broken: key -> the failed run's label
    waiting, running = in_order(runs), {}            # running: handle -> (run, start time)
    took: dict[str, float] = {}                      # a kind -> the seconds its latest run took

    def task(run: Run) -> Task:
        return Task(run, Path(notebooks_dir) / f"{run.chapter}.ipynb", page_path(run, output_dir),
                    result_path(run, results_dir), tuple(result_path(d, results_dir) for d in run.depends), cwd)

    def settle() -> list[Run]:
        """Skip the done and block the broken among the waiting runs whose dependencies
        are settled (which may settle their dependants in turn); return those to launch,
        as many as the backend has free slots for."""
        launch, changed = [], True
        while changed:
            changed = False
            for run in sorted(waiting, key=lambda r: -took.get(kind(r), math.inf)):  # stable: dependency order kept
                if not all(d.key in finished or d.key in broken for d in run.depends):
                    continue
                failed_deps = [broken[d.key] for d in run.depends if d.key in broken]
                if failed_deps:
                    report.blocked[run.label] = broken[run.key] = failed_deps[0]
                    changed = True
                elif result_path(run, results_dir).exists() and page_path(run, output_dir).exists():
                    report.skipped.append(run.label)  # done: its result and its page
                    finished.add(run.key)
                    changed = True
                elif backend.slots is None or len(running) + len(launch) < backend.slots:
                    launch.append(run)
                else:
                    continue  # no free slot: it waits, in dependency order
                waiting.remove(run)
        return launch

    with backend:
        while waiting or running:
            launch = settle()
            if launch:
                for run in launch:
                    log(f"running {run.label} {run.title}")
                handles = backend.submit([task(run) for run in launch], log)
                running.update((handle, (run, time.monotonic())) for run, handle in zip(launch, handles))
            if not running:
                if waiting:
                    raise RuntimeError(f"no run can start: {[r.label for r in waiting]} wait on runs not in the study")
                break
            for handle in backend.wait(list(running)):
                run, started = running.pop(handle)
                reason = backend.failure(handle)
                if reason is None:
                    report.executed.append(run.label)
                    finished.add(run.key)
                    took[kind(run)] = seconds = time.monotonic() - started
                    log(f"  done {run.label} in {seconds:.0f} s; "
                        + progress(report, len(waiting) + len(running), time.monotonic() - began))
                else:  # a failed run must not stop the others
                    report.failed[run.label] = reason
                    broken[run.key] = run.label
                    log(f"  FAILED {run.label}: {reason}")
    return report


def kind(run: Run) -> str:
    """The runs ``run`` is expected to take about as long as (``Run.kind``)."""
    return run.kind or run.chapter


def progress(report: Report, left: int, elapsed: float) -> str:
    """How far the study is: runs ended and left, time so far, and the time left at the
    pace so far (wall time per ended run, with the runs that ran at once; rough, as
    runs differ in length)."""
    ended = len(report.executed) + len(report.failed)
    line = f"{ended} ended, {left} to go, {elapsed / 60:.1f} min so far"
    if left and ended:
        line += f", about {elapsed / ended * left / 60:.0f} min left"
    return line


@contextmanager
def study_lock(results_dir: Path):
    """Held while a study runs in a tree: a second study on the same tree stops at once
    with a clear message (``FolderBusy``) instead of racing the first for the same runs."""
    with locked(results_dir, "the study's results folder", "another study runs in this tree; wait for it to "
                "finish, or stop it, then run this command again"):
        yield


def remove_stale_pages(runs: list[Run], output_dir: Path) -> list[Path]:
    """Delete executed notebooks of the runs' chapters that no current run wrote (left
    by changed parameters), so the book shows only the current study; returns them.
    Their results and training folders stay: a run set back executes its notebook
    again, reading its finished training back."""
    current = {page_path(run, output_dir) for run in in_order(runs)}
    stale = [page for chapter in {run.chapter for run in runs}
             for page in sorted((Path(output_dir) / chapter).glob("*.ipynb")) if page not in current]
    for page in stale:
        page.unlink()
    return stale

