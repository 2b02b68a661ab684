"""One run of the study and the task that executes its notebook: what the runner
schedules (``lib.study.runner``) and what a backend calls (``lib.study.executors``),
below both so that each can name it.

A chapter notebook receives two extra parameters: ``result_path`` (it must write
its result JSON there, last) and ``inputs`` (the result paths of its dependencies).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..hashing import stable_hash
from .pages import finish_notebook


@dataclass(frozen=True)
class Run:
    chapter: str                      # notebook template: notebooks/<chapter>.ipynb
    parameters: dict                  # flat literals for the parameters cell
    depends: tuple["Run", ...] = ()   # runs whose results this one reads
    title: str = ""                   # the executed page's title (not part of the key)
    fingerprint: str = ""             # a hash of what the parameters name but do not spell
                                      # out (a profile's definition): part of the key
    name: str = ""                    # the executed page's file name, unique in its chapter
                                      # (not part of the key); empty: the key
    kind: str = ""                    # runs that take about as long (a row's seeds and
                                      # datasets), for the runner's order (not part of the
                                      # key); empty: the chapter

    @property
    def key(self) -> str:
        return stable_hash({"chapter": self.chapter, "parameters": self.parameters,
                            "depends": [d.key for d in self.depends], "fingerprint": self.fingerprint})

    @property
    def label(self) -> str:
        return f"{self.chapter}[{self.key}]"


@dataclass(frozen=True)
class Task:
    """One run's notebook to execute: what a thread or a cluster job calls (picklable)."""
    run: Run
    template: Path               # notebooks/<chapter>.ipynb
    output: Path                 # the executed notebook (``page_path``)
    target: Path                 # the result JSON it must write (``result_path``)
    inputs: tuple[Path, ...]     # its dependencies' result JSONs
    cwd: Path | None = None      # the kernel's working folder (the study's root)

    def __call__(self) -> None:
        execute_one(self.run, self.template, self.output, self.target, list(self.inputs), self.cwd)


def error_line(error: BaseException) -> str:
    """A failed run in one line: the chapter's own error (a notebook's exception name and
    value, as papermill reports them), or the exception's."""
    return f"{getattr(error, 'ename', type(error).__name__)}: {getattr(error, 'evalue', error)}"


# The kernel's own log at ERROR: at WARNING every kernel started prints the same
# notice that its local TCP sockets are unencrypted, once per run of the study.
QUIET_KERNEL = ["--IPKernelApp.log_level=ERROR"]


def execute_one(run: Run, template: Path, output: Path, target: Path, inputs: list[Path], cwd: Path | None) -> None:
    """Run one notebook with papermill; raise if it fails or writes no result."""
    import papermill

    output.parent.mkdir(parents=True, exist_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    parameters = {**run.parameters, "result_path": str(target.resolve()), "inputs": [str(p.resolve()) for p in inputs]}
    # The kernel starts in ``cwd`` through nbclient's resources, not papermill's ``cwd``:
    # that one changes this whole process's folder for the notebook's duration, so with
    # two notebooks at once one kernel could start in the folder another had just left.
    papermill.execute_notebook(str(template.resolve()), str(output.resolve()), parameters=parameters,
                               kernel_name="python3", progress_bar=False, extra_arguments=QUIET_KERNEL,
                               resources={"metadata": {"path": str(Path(cwd or ".").resolve())}})
    if not target.exists():
        raise RuntimeError(f"the notebook finished without writing {target}")
    finish_notebook(output, run.title, parameters, target, f"notebooks/{template.name}",
                    Path(cwd).resolve() if cwd else Path.cwd())
