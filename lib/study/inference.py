"""What the book computes from trained models rather than from results: detections
to draw, mAP under other evaluation rules, and CPU latency. (Figures only draw what
this returns.)"""
from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pandas as pd
import torch
from torch.utils.data import DataLoader, Subset

from ..data import DetectionDataset, collate
from ..evaluate import AUTHORS_RULES, Rules, average_precision, predict
from ..measure import deployed, latency
from ..models import load_weights
from ..params import from_dict
from ..quantize.run import load_int8
from ..paths import BEST
from ..train.distributed import resolve_device
from ..train.run import open_data


def best_model(result: dict) -> Path:
    """The best model file of a run, from its record or the metrics ``train`` returns."""
    return Path(result["run_dir"]) / BEST


def _test_set(result: dict, n_images: int | None = None):
    """A recorded run's params, test index and a loader over its first ``n_images`` (all if None)."""
    params = from_dict(result["run_params"])
    test = open_data(params)["test"]
    dataset = DetectionDataset(test, params.data.img_size)
    subset = Subset(dataset, range(n_images)) if n_images else dataset
    loader = DataLoader(subset, batch_size=n_images or params.train.batch_size, collate_fn=collate)
    return params, test, loader


def sample_detections(results: list[dict], n_images: int = 4, conf: float = 0.3) -> list[dict]:
    """Each run's best model on the first ``n_images`` test images of its dataset:
    images (N, 3, H, W) in [0, 1], detections with score >= conf and the ground truth
    (boxes (n, 4) xyxy, input pixels), for ``detection_grid``."""
    device, samples = resolve_device(None), []
    for r in results:
        params, test, loader = _test_set(r, n_images)
        model = load_weights(best_model(r)).to(device)
        predictions, targets = predict(model, loader, device, conf, params.train.nms_iou, params.train.max_det)
        samples.append({"result": r, "images": next(iter(loader))[0], "predictions": predictions,
                        "targets": targets, "classes": test.classes})
    return samples


def rule_variants() -> dict[str, Rules]:
    """The study's rules, each of the authors' details alone, then all of them."""
    alone = {f"+ {f.name} = {getattr(AUTHORS_RULES, f.name)}": Rules(**{f.name: getattr(AUTHORS_RULES, f.name)})
             for f in fields(Rules)}
    return {"study (pycocotools' rules)": Rules(), **alone, "all of the authors' rules": AUTHORS_RULES}


@torch.no_grad()
def map_under_rules(result: dict) -> dict[str, float]:
    """A recorded run's test mAP@0.5 under each of ``rule_variants``."""
    params, _, loader = _test_set(result)
    t, device = params.train, resolve_device(None)
    model = load_weights(best_model(result)).to(device)
    out = {}
    for name, rules in rule_variants().items():
        predictions, targets = predict(model, loader, device, t.conf, t.nms_iou, t.max_det, rules)
        out[name] = average_precision(predictions, targets, integration=rules.integration)["map"]
    return out


def rules_table(results: list[dict]) -> pd.DataFrame:
    """One column per run (its dataset): test mAP@0.5 under each evaluation rule."""
    return pd.DataFrame({f"{r['model']}, {r['training']} ({r['dataset']})": map_under_rules(r) for r in results})


LATENCY_SIZES = {"latency_ms": None, "latency_416_ms": 416}  # column -> input side (None: the run's own)


def latencies(results: list[dict], threads: int = 1) -> pd.DataFrame:
    """Each run's best model in the form it is deployed in (``lib.measure.deployed``:
    sparse kernels chosen per layer for a masked model; an int8 row's int8 model), timed by ``lib.measure.latency``
    with ``threads`` threads at batch 1, at the run's input size and at 416; all in this
    one process, one after another, so that the runs compare on equal terms."""
    out = []
    for r in results:
        model = load_int8(r["run_dir"]) if r.get("precision") == "int8" else load_weights(best_model(r))
        line = {"row": r["row"], "dataset": r["dataset"], "seed": r["seed"]}
        for column, size in LATENCY_SIZES.items():
            size = size or r["img_size"]
            line[column] = latency(deployed(model, size, threads), size, threads)
        out.append(line)
    return pd.DataFrame(out, columns=["row", "dataset", "seed", *LATENCY_SIZES])
