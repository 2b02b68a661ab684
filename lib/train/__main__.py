"""One training run from the command line (also under torchrun for DDP):

    python -m lib.train --profile cpu --model yolov3 --epochs 30
    torchrun --nproc_per_node 2 -m lib.train --profile smoke --run-dir runs/ddp
    python -m lib.train --profile paper --data-root ~/data --set train.batch_size=32

Prints one line per epoch, then the test metrics and the training throughput.
"""
from __future__ import annotations

import argparse
import ast
import json
import sys

from ..errors import add_debug_flag, reported
from ..paths import TRAIN_RUNS, run_dir as params_run_dir
from ..profiles import PROFILES, profile_params
from .run import train

SHORTCUTS = {"dataset": "data.dataset", "data_root": "data.data_root", "img_size": "data.img_size",
             "model": "model.name", "width": "model.width", "activation": "model.activation",
             "epochs": "train.epochs", "batch_size": "train.batch_size", "seed": "train.seed"}


def literal(text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m lib.train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="cpu", choices=sorted(PROFILES))
    for flag in SHORTCUTS:
        parser.add_argument(f"--{flag.replace('_', '-')}", dest=flag, type=literal)
    parser.add_argument("--set", action="append", default=[], metavar="GROUP.FIELD=VALUE",
                        help="any parameter by dotted name, e.g. train.lr0=0.005")
    parser.add_argument("--run-dir", help=f"default: {TRAIN_RUNS}/train-<model>-<hash of the parameters>")
    parser.add_argument("--device", help="cpu, cuda, cuda:1 (default: CUDA when present)")
    parser.add_argument("--workers", type=int, default=0, help="data loader processes")
    add_debug_flag(parser)
    args = parser.parse_args(argv)
    overrides = {SHORTCUTS[k]: v for k, v in vars(args).items() if k in SHORTCUTS and v is not None}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            parser.error(f"--set {item!r}: expected GROUP.FIELD=VALUE")
        overrides[key] = literal(value)
    with reported(args.debug):
        params = profile_params(args.profile, **overrides)
        run_dir = args.run_dir or params_run_dir(TRAIN_RUNS, params)
        try:
            metrics = train(params, run_dir, device=args.device, workers=args.workers)
        except KeyboardInterrupt:
            print(f"interrupted; {run_dir} keeps every finished epoch: run the same command to resume", file=sys.stderr)
            sys.exit(130)
    if metrics:
        test = metrics["test"]
        print(f"run {run_dir}: val mAP@0.5 {metrics['val_map50']:.4f}, test mAP@0.5 {test['map50']:.4f}, "
              f"mAP@[.5:.95] {test['map']:.4f}")
        print(f"throughput: {metrics['train_img_per_s']:.1f} images/s (training)")
        print(json.dumps(test["ap50_per_class"], indent=1))
    return metrics


if __name__ == "__main__":
    main()
