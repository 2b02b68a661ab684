"""The labs through otter-grader (https://otter-grader.readthedocs.io): ``otter assign``
turns each master notebook of notebooks/labs/ into a student version (blanks where the
solutions were, the checks kept) and an autograder (the solutions, and a zip that
``otter run`` grades a submission with). A notebook's scale is set the way papermill
sets a parameter, so the tests grade each lab at the smoke scale."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import papermill

from ..paths import REPO

MASTERS = REPO / "notebooks" / "labs"


def masters() -> list[Path]:
    """The labs' master notebooks, in the course's order."""
    return sorted(MASTERS.glob("[0-9][0-9]_*.ipynb"))


@dataclass(frozen=True)
class Assigned:
    student: Path      # the notebook a student gets
    solution: Path     # the same with the solutions
    autograder: Path   # the zip otter run grades with


def otter(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "otter", *args], capture_output=True, text=True, cwd=cwd)
    if done.returncode != 0:
        raise RuntimeError(f"otter {' '.join(args)} failed:\n{done.stdout[-2000:]}{done.stderr[-4000:]}")
    return done


def assign(master: Path, out: Path) -> Assigned:
    """``master``'s student and autograder versions, written under ``out`` (replaced)."""
    out = Path(out)
    shutil.rmtree(out, ignore_errors=True)  # an earlier autograder zip would linger beside the new one
    otter("assign", "--no-run-tests", "--no-pdfs", str(master), str(out))
    zips = sorted((out / "autograder").glob("*-autograder_*.zip"))
    return Assigned(out / "student" / master.name, out / "autograder" / master.name, zips[-1])


def at_scale(notebook: Path, scale: str, folder: Path) -> Path:
    """``notebook`` with its ``scale`` parameter set (papermill's injected cell), not
    executed, in ``folder`` under its own name (otter-grader's first cell opens it by name)."""
    out = Path(folder) / Path(notebook).name
    out.parent.mkdir(parents=True, exist_ok=True)
    papermill.execute_notebook(str(notebook), str(out), parameters={"scale": scale}, prepare_only=True,
                               progress_bar=False)
    return out


def grade(submission: Path, autograder: Path) -> dict[str, tuple[float, float]]:
    """``otter run`` of ``submission`` against ``autograder``: {question: (score, out of)}.
    Any error outside the checks (a cell that fails to run) is an error here."""
    with tempfile.TemporaryDirectory() as folder:
        otter("run", "--debug", "--no-logo", "-a", str(autograder), "-o", folder, str(submission))
        tests = json.loads((Path(folder) / "results.json").read_text())["tests"]
    return {t["name"]: (float(t["score"]), float(t["max_score"])) for t in tests if "max_score" in t}
