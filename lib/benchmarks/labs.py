"""Wall time of each course lab (notebooks/labs) at a scale, as a student meets it
(prints a table; not a test).

    python -m lib.benchmarks.labs [--scale laptop] [--runs /tmp/lab-runs]

In a fresh runs folder ($LAB_RUNS, default a new temporary one): first the labs'
detector (make lab-model), then each lab's solution version executed top to bottom in
its own kernel, its trainings (fine-tunes, the distillation lab's teacher and students)
included. A finished make book would provide the detector and the teacher; a fresh
folder is the slowest case."""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import papermill

from ..course.assign import assign, at_scale, masters
from ..course.model import RUNS_VARIABLE, lab_model


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lib.benchmarks.labs", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="laptop")
    parser.add_argument("--runs", type=Path, help="the labs' runs folder (default: a fresh temporary one)")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="labs-"))
    os.environ[RUNS_VARIABLE] = str(args.runs or work / "runs")  # the kernels inherit it
    rows = []
    start = time.perf_counter()
    lab_model(args.scale)
    rows.append(("the labs' detector (make lab-model)", time.perf_counter() - start))
    for master in masters():
        made = assign(master, work / "dist" / master.stem)
        notebook = at_scale(made.solution, args.scale, work / "run" / master.stem)
        start = time.perf_counter()
        papermill.execute_notebook(str(notebook), str(notebook), cwd=str(notebook.parent), progress_bar=False)
        rows.append((master.stem, time.perf_counter() - start))
        print(f"{master.stem}: {rows[-1][1]:.0f} s", flush=True)
    print(f"\nscale {args.scale}, {os.cpu_count()} cores; runs in {os.environ[RUNS_VARIABLE]}\n")
    print(f"| {'what':<38} | wall time |\n|{'-' * 40}|----------:|")
    for what, seconds in rows:
        print(f"| {what:<38} | {seconds / 60:6.1f} min |")


if __name__ == "__main__":
    main()
