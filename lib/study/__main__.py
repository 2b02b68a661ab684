"""Run the study: execute every chapter notebook that has no result yet.

    python -m lib.study --profile cpu --jobs 2   # what make book runs
    python -m lib.study --profile smoke --root /tmp/book-copy
    python -m lib.study --profile paper --dataset voc=~/data/VOCdevkit --dataset exdark=~/data/ExDark --seeds 3
    python -m lib.study --profile cpu --only 00_architectures 01_baseline
    python -m lib.study --profile cpu --seeds 3 --seed-rows nano-kd-79@builtin   # + its teacher and plain student

Executed notebooks go to <root>/book/runs/<chapter>/, results to <root>/runs/study/
(lib.paths). Exits non-zero, after running everything it can, if any run failed.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..paths import BOOK_PAGES, STUDY_RESULTS
from ..profiles import PROFILES
from .grid import study_runs
from .runner import StudyLocked, execute, remove_stale_pages, study_lock

REPO = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.study", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="cpu", choices=sorted(PROFILES))
    parser.add_argument("--dataset", action="append", metavar="NAME[=DATA_ROOT]",
                        help="a dataset to run on (repeatable; default: the profile's built-in light and dark sets)")
    parser.add_argument("--seeds", type=int, default=1, help="seeds per row (the paper: 3)")
    parser.add_argument("--seed-rows", nargs="+", default=(), metavar="ROW[@DATASET]",
                        help="only these rows (and the rows they read) run --seeds seeds; the others one")
    parser.add_argument("--only", nargs="+", default=(), metavar="CHAPTER", help="run only these chapters")
    parser.add_argument("--jobs", type=int, default=1,
                        help="notebooks executed at once, each with cpu_count / jobs threads (make book: 2)")
    parser.add_argument("--root", type=Path, default=REPO, help="the book tree to write into (default: this repo)")
    args = parser.parse_args(argv)
    datasets = None
    if args.dataset:
        datasets = {name: (str(Path(root).expanduser()) if root else None)
                    for name, _, root in (d.partition("=") for d in args.dataset)}
    if args.jobs < 1:
        parser.error(f"--jobs: expected a positive number of notebooks at once, got {args.jobs}")
    try:
        runs = study_runs(args.profile, datasets, args.seeds, tuple(args.only), tuple(args.seed_rows))
    except ValueError as err:
        parser.error(str(err))
    started, results = time.monotonic(), args.root / STUDY_RESULTS
    try:
        with study_lock(results):
            report = execute(runs, REPO / "notebooks", args.root / BOOK_PAGES, results, cwd=args.root, jobs=args.jobs)
    except StudyLocked as error:
        print(error, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"study interrupted after {time.monotonic() - started:.0f} s; the finished runs are kept in {results}: "
              "run the same command to go on (finished runs are skipped, a training resumes from its last epoch)",
              file=sys.stderr)
        return 130
    print(f"study ({args.profile}) took {time.monotonic() - started:.0f} s")
    if not args.only:  # a partial study leaves the other chapters' pages alone
        for page in remove_stale_pages(runs, args.root / BOOK_PAGES):
            print(f"removed the page of a run no longer in the study: {page}")
    print(report.summary())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
