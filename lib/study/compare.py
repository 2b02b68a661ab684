"""Two studies' results, compared run by run: the same run keys, and every recorded
value equal but the measured throughputs (which depend on the machine's load) and
the training folders' names (a distillation run's names its teacher's file, whose
path holds the study's root).
How a study run elsewhere (a Slurm cluster, submitit jobs) is checked against a
local one (``make check-slurm``):

    python -m lib.study.compare <root A> <root B>     # exit 0: the same results
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from ..paths import STUDY_RESULTS

# measured, not computed (they differ between identical runs), or where, not what
NOT_RESULTS = ("train_img_per_s", "latency_ms", "latency_416_ms", "run_dir")


def without_timings(value):
    if isinstance(value, dict):
        return {k: without_timings(v) for k, v in value.items() if k not in NOT_RESULTS}
    if isinstance(value, list):
        return [without_timings(v) for v in value]
    return value


def differences(root_a: Path, root_b: Path) -> list[str]:
    """What differs between the result JSONs of two study roots (empty: the same
    results), one line each: a run only one root has, or a run whose values differ."""
    a, b = ({p.name: p for p in (Path(root) / STUDY_RESULTS).glob("*.json")} for root in (root_a, root_b))
    lines = [f"only in {root}: {name}" for root, names in ((root_a, a.keys() - b.keys()), (root_b, b.keys() - a.keys()))
             for name in sorted(names)]
    for name in sorted(a.keys() & b.keys()):
        if without_timings(json.loads(a[name].read_text())) != without_timings(json.loads(b[name].read_text())):
            lines.append(f"different values: {name}")
    if not a and not b:
        lines.append(f"no results in either root ({STUDY_RESULTS})")
    return lines


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    lines = differences(Path(argv[0]), Path(argv[1]))
    count = len(list((Path(argv[0]) / STUDY_RESULTS).glob("*.json")))
    print("\n".join(lines) if lines else f"the same results: {count} runs, every value but {', '.join(NOT_RESULTS)}")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
