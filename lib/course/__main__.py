"""The course's commands:

    python -m lib.course labs              # make labs: each lab's student version and autograder
    python -m lib.course pages             # the book's lab pages (make book runs it)
    python -m lib.course model             # make lab-model: train (or find) the labs' detector

``labs`` writes _build/labs/<lab>/student/<lab>.ipynb (hand these out) and
_build/labs/<lab>/autograder/ (the solutions, and the zip ``otter run`` grades with).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from ..errors import add_debug_flag, reported
from .assign import assign, masters
from .model import lab_model
from .pages import write_pages
from .scale import SCALES

LABS_OUT = Path("_build") / "labs"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lib.course", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("labs", "pages", "model"))
    parser.add_argument("--out", type=Path, default=LABS_OUT, help=f"labs: where the versions go (default {LABS_OUT})")
    parser.add_argument("--root", type=Path, default=Path("."), help="pages: the book's root (default .)")
    parser.add_argument("--scale", default="laptop", choices=sorted(SCALES), help="model: the labs' scale")
    add_debug_flag(parser)
    args = parser.parse_args(argv)
    with reported(args.debug):
        if args.command == "labs":
            for master in masters():
                made = assign(master, args.out / master.stem)
                print(f"{master.stem}: hand out {made.student}; grade with {made.autograder}")
        elif args.command == "pages":
            for page in write_pages(args.root):
                print(f"wrote {page}")
        else:
            start = time.perf_counter()
            lab_model(args.scale)
            print(f"the labs' detector is ready ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
