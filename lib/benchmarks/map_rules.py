"""mAP@0.5 of trained models under the study's evaluation rules (pycocotools') and
under each detail of the authors' test.py, alone and together (prints a table; not a test).

    python -m lib.benchmarks.map_rules RESULT_JSON [RESULT_JSON ...]

A RESULT_JSON is a training chapter's result (runs/study/<chapter>-<key>.json); each run
is scored on its own test split, so the gaps printed are what the authors' recipe would
have changed in the study's tables. The results chapter shows the same table.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ..report.inference import rules_table
from ..result import read_result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", nargs="+", type=Path)
    args = parser.parse_args(argv)
    table = rules_table([read_result(p) for p in args.results])
    print(table.to_string(float_format=lambda v: f"{v:.4f}"))
    return table


if __name__ == "__main__":
    main()
