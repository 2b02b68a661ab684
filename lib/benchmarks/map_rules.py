"""mAP@0.5 of trained models under the study's evaluation rules (pycocotools') and
under each detail of the authors' test.py, alone and together (prints a table; not a test).

    python -m lib.benchmarks.map_rules RUN_DIR [RUN_DIR ...]

RUN_DIR is a finished training folder (its metrics file and best model); each is
scored on its own test split, so the gaps it prints are what the paper's recipe
would have changed in our tables.
"""
from __future__ import annotations

import argparse
import json
from dataclasses import fields
from pathlib import Path

from torch.utils.data import DataLoader

from ..data import DetectionDataset, collate
from ..evaluate import AUTHORS_RULES, Rules, average_precision, predict
from ..models import load_weights
from ..params import from_dict
from ..paths import BEST, METRICS
from ..train.distributed import resolve_device
from ..train.run import open_data


def variants() -> dict[str, Rules]:
    """The study's rules, each of the authors' details alone, then all of them."""
    alone = {f"+ {f.name} = {getattr(AUTHORS_RULES, f.name)}": Rules(**{f.name: getattr(AUTHORS_RULES, f.name)})
             for f in fields(Rules)}
    return {"study (pycocotools' rules)": Rules(), **alone, "all of the authors' rules": AUTHORS_RULES}


def map_under_rules(run_dir: Path) -> dict[str, float]:
    params = from_dict(json.loads((run_dir / METRICS).read_text())["params"])
    t, device = params.train, resolve_device(None)
    loader = DataLoader(DetectionDataset(open_data(params)["test"], params.data.img_size), t.batch_size,
                        collate_fn=collate)
    model = load_weights(run_dir / BEST).to(device)
    out = {}
    for name, rules in variants().items():
        predictions, targets = predict(model, loader, device, t.conf, t.nms_iou, t.max_det, rules)
        out[name] = average_precision(predictions, targets, integration=rules.integration)["map"]
    return out


def main(argv=None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path)
    args = parser.parse_args(argv)
    table = {str(run): map_under_rules(run) for run in args.runs}
    for run, row in table.items():
        print(f"{run}\n{'rules':<42} {'test mAP@0.5':>12} {'vs study':>9}")
        base = row["study (pycocotools' rules)"]
        for name, value in row.items():
            print(f"{name:<42} {value:>12.4f} {value - base:>+9.4f}")
    return table


if __name__ == "__main__":
    main()
