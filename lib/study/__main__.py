"""Run the study: execute every chapter notebook that has no result yet.

    python -m lib.study --profile cpu --jobs 2   # what make book runs
    python -m lib.study --profile smoke --root /tmp/book-copy
    python -m lib.study --profile paper --dataset voc=~/data/VOCdevkit --dataset exdark=~/data/ExDark --seeds 3
    python -m lib.study --profile cpu --only 00_architectures 01_baseline
    python -m lib.study --profile cpu --seeds 3 --seed-rows nano-kd-79@builtin   # + its teacher and plain student
    python -m lib.study --profile paper --executor submitit --partition gpu --dataset voc=~/data   # Slurm

Executed notebooks go to <root>/book/runs/<chapter>/, results to <root>/runs/study/
(lib.paths). With --executor submitit each run is a job (Slurm where srun is present,
local processes otherwise; job logs in <root>/runs/jobs/), with the profile's
resources (lib.study.resources) unless given here. Exits non-zero, after running
everything it can, if any run failed.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..errors import add_debug_flag, reported
from ..paths import BOOK_PAGES, BOOK_TOC, CLUSTER_JOBS, REPO, STUDY_RESULTS
from ..profiles import PROFILES
from .executors import EXECUTORS, make_backend
from .grid import study_runs
from .resources import resources_for
from .runner import execute, remove_stale_pages, study_lock
from .toc import write_toc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.study", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="cpu", choices=sorted(PROFILES))
    parser.add_argument("--dataset", action="append", metavar="NAME[=DATA_ROOT]",
                        help="a dataset to run on (repeatable; default: the profile's built-in light and dark sets)")
    parser.add_argument("--seeds", type=int, help="seeds per row (the paper: 3; default: the profile's plan, "
                        "lib.study.plan)")
    parser.add_argument("--seed-rows", nargs="*", metavar="ROW[@DATASET]",
                        help="only these rows (and the rows they read) run --seeds seeds, the others one; given "
                             "empty: every row (default: the profile's plan)")
    parser.add_argument("--all-rows", action="store_true",
                        help="every row on every dataset (the cpu plan: the dark set runs the references, LTH Local and its "
                             "controls; the light set all but each student's second choice of hint layers)")
    parser.add_argument("--only", nargs="+", default=(), metavar="CHAPTER", help="run only these chapters")
    parser.add_argument("--jobs", type=int, default=1,
                        help="notebooks executed at once, each with cpu_count / jobs threads (make book: 2)")
    parser.add_argument("--root", type=Path, default=REPO, help="the book tree to write into (default: this repo)")
    parser.add_argument("--executor", default="local", choices=EXECUTORS,
                        help="local: kernels on this machine (--jobs at once); submitit: a job per run")
    cluster = parser.add_argument_group("submitit jobs (default: the profile's, lib.study.resources)")
    cluster.add_argument("--cluster", choices=("slurm", "local"), help="default: Slurm where srun is present")
    cluster.add_argument("--gpus", type=int, help="GPUs per job")
    cluster.add_argument("--cpus", type=int, help="CPUs per job, also its compute threads")
    cluster.add_argument("--mem-gb", type=int, help="memory per job")
    cluster.add_argument("--time-min", type=int, help="a job's time limit (a training past it is requeued)")
    cluster.add_argument("--partition", help="Slurm partition")
    cluster.add_argument("--parallelism", type=int, help="tasks of a job array (local: jobs) at once")
    add_debug_flag(parser)
    args = parser.parse_args(argv)
    with reported(args.debug):
        return study(args)


def study(args: argparse.Namespace) -> int:
    """The study ``args`` ask for, run; the exit status (0: every run done)."""
    datasets = None
    if args.dataset:
        datasets = {name: (str(Path(root).expanduser()) if root else None)
                    for name, _, root in (d.partition("=") for d in args.dataset)}
    seed_rows = None if args.seed_rows is None else tuple(args.seed_rows)
    runs = study_runs(args.profile, datasets, args.seeds, tuple(args.only), seed_rows, args.all_rows)
    resources = resources_for(args.profile, gpus=args.gpus, cpus=args.cpus, mem_gb=args.mem_gb,
                              time_min=args.time_min, partition=args.partition, parallelism=args.parallelism)
    backend = make_backend(args.executor, args.jobs, resources, args.root / CLUSTER_JOBS, args.cluster)
    started, results = time.monotonic(), args.root / STUDY_RESULTS
    try:
        with study_lock(results):
            report = execute(runs, REPO / "notebooks", args.root / BOOK_PAGES, results, cwd=args.root,
                             backend=backend)
    except KeyboardInterrupt:
        jobs = "; jobs already submitted go on (on Slurm, scancel stops them)" if args.executor == "submitit" else ""
        print(f"study interrupted after {time.monotonic() - started:.0f} s; the finished runs are kept in {results}: "
              "run the same command to go on (finished runs are skipped, a training resumes from its last epoch)"
              f"{jobs}", file=sys.stderr)
        return 130
    print(f"study ({args.profile}) took {time.monotonic() - started:.0f} s")
    if not args.only:  # a partial study leaves the other chapters' pages alone
        for page in remove_stale_pages(runs, args.root / BOOK_PAGES):
            print(f"removed the page of a run no longer in the study: {page}")
    # the contents list every page of the study, also those a partial run (--only) left as they were
    whole = study_runs(args.profile, datasets, args.seeds, (), seed_rows, args.all_rows) if args.only else runs
    template = next(t for t in (args.root / "book" / "_toc.yml", REPO / "book" / "_toc.yml") if t.exists())
    toc = write_toc(whole, template, args.root / BOOK_PAGES, args.root / BOOK_TOC)
    print(f"the book's contents, in row order: {toc}")
    print(report.summary())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
