"""Run the study: execute every chapter notebook that has no result yet.

    python -m lib.study --profile cpu            # what make book runs
    python -m lib.study --profile smoke --root /tmp/book-copy

Executed notebooks go to <root>/book/runs/<chapter>/<key>.ipynb, results to
<root>/runs/study/. Exits non-zero, after running everything it can, if any run failed.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..profiles import PROFILES
from .grid import study_runs
from .runner import execute

REPO = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.study", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="cpu", choices=sorted(PROFILES))
    parser.add_argument("--root", type=Path, default=REPO, help="the book tree to write into (default: this repo)")
    args = parser.parse_args(argv)
    report = execute(study_runs(args.profile), REPO / "notebooks", args.root / "book" / "runs",
                     args.root / "runs" / "study", cwd=REPO)
    print(report.summary())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
