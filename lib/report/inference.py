"""What the book computes from trained models rather than from results: detections
to draw, mAP under other evaluation rules, and CPU latency. (Figures only draw what
this returns.)"""
from __future__ import annotations

import json
import tempfile
from dataclasses import fields
from pathlib import Path

import pandas as pd
import torch
from torch.utils.data import DataLoader, Subset

from ..data import DetectionDataset, collate
from ..evaluate import AUTHORS_RULES, Rules, average_precision, predict
from ..export import onnx_latency, own_int8, row_onnx
from ..measure import deployed, latency
from ..methods import load_model
from ..models import load_weights
from ..params import RunParams, from_dict
from ..quantize import Int8Detector
from ..result import Latency, RunResult
from ..train.distributed import resolve_device
from ..train.run import eval_batch, open_data


def split_set(result: RunResult, split: str = "test", n_images: int | None = None):
    """A recorded run's params, the index of one of its splits and a loader over its
    first ``n_images`` (all if None)."""
    params = from_dict(result.run_params)
    index = open_data(params)[split]
    dataset = DetectionDataset(index, params.data.img_size)
    subset = Subset(dataset, range(n_images)) if n_images else dataset
    loader = DataLoader(subset, batch_size=n_images or eval_batch(params), collate_fn=collate)
    return params, index, loader


def map50_on(model: torch.nn.Module, params: RunParams, loader) -> float:
    """mAP@0.5 of ``model`` over ``loader`` (``split_set``'s), as the training loop scores it."""
    t, device = params.train, resolve_device(None)
    with torch.no_grad():
        predictions, targets = predict(model.to(device), loader, device, t.conf, t.nms_iou, t.max_det)
    return average_precision(predictions, targets)["map"]


def sample_detections(results: list[RunResult], n_images: int = 4, conf: float = 0.3) -> list[dict]:
    """Each run's best model on the first ``n_images`` test images of its dataset:
    images (N, 3, H, W) in [0, 1], detections with score >= conf and the ground truth
    (boxes (n, 4) xyxy, input pixels), for ``detection_grid``."""
    device, samples = resolve_device(None), []
    for r in results:
        params, test, loader = split_set(r, "test", n_images)
        model = load_weights(r.model_file).to(device)
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
def map_under_rules(result: RunResult) -> dict[str, float]:
    """A recorded run's test mAP@0.5 under each of ``rule_variants``."""
    params, _, loader = split_set(result)
    t, device = params.train, resolve_device(None)
    model = load_weights(result.model_file).to(device)
    out = {}
    for name, rules in rule_variants().items():
        predictions, targets = predict(model, loader, device, t.conf, t.nms_iou, t.max_det, rules)
        out[name] = average_precision(predictions, targets, integration=rules.integration)["map"]
    return out


def rules_table(results: list[RunResult]) -> pd.DataFrame:
    """One column per run (its dataset): test mAP@0.5 under each evaluation rule."""
    return pd.DataFrame({f"{r.model}, {r.training} ({r.dataset})": map_under_rules(r) for r in results})


def with_latencies(results: list[RunResult], threads: int = 1) -> list[RunResult]:
    """Each run with its latency: its model in the form it is deployed in
    (``lib.methods.load_model``: an int8 row's int8 model; ``lib.measure.deployed``:
    sparse kernels chosen per layer for a masked model, inductor's int8 kernels for an
    int8 one), timed by ``lib.measure.latency``, and its ONNX file (``lib.export.row_onnx``)
    timed by onnxruntime, with ``threads`` threads at batch 1, at the run's input size and
    at 416; all in this one process, one after another, so that the runs compare on equal
    terms.

    A row's seeds share its architecture and, pruned, its sparsity, so a row is timed
    once per dataset, on its lowest seed's model, and its other seeds carry that time
    (timing each seed cost the cpu build about a minute at its end, for the same number).
    Where a form's kernels do not look at the weights' values (any ONNX file in
    onnxruntime, an int8 model in inductor's kernels), rows of the same architecture run
    the same computation, and are timed once (``deployment_key``)."""
    onnx_by_form: dict[tuple, tuple] = {}  # deployment_key -> ({size: ms}, bytes) in onnxruntime
    int8_by_form: dict[tuple, dict] = {}   # deployment_key -> {size: ms} of an int8 model in PyTorch
    timed: dict[tuple, Latency] = {}
    with tempfile.TemporaryDirectory() as folder:
        for r in sorted(results, key=lambda r: r.seed):
            if (r.row, r.dataset) in timed:
                continue
            key, sizes = deployment_key(r), (r.img_size, 416)
            if key not in onnx_by_form:
                onnx = row_onnx(r, Path(folder) / f"{len(onnx_by_form)}.onnx")
                onnx_by_form[key] = {size: onnx_latency(onnx, size, threads) for size in sizes}, onnx.stat().st_size
            ms = int8_by_form.get(key)
            if ms is None:
                model = load_model(r)
                ms = {size: latency(deployed(model, size, threads), size, threads) for size in sizes}
                if isinstance(model, Int8Detector):
                    int8_by_form[key] = ms
            onnx_ms, onnx_bytes = onnx_by_form[key]
            timed[r.row, r.dataset] = Latency(ms[r.img_size], ms[416], onnx_ms[r.img_size], onnx_ms[416], onnx_bytes)
    return [r.with_latency(timed[r.row, r.dataset]) for r in results]


def deployment_key(result: RunResult) -> tuple:
    """What a deployed form's speed depends on when its kernels ignore the weights'
    values: the architecture (its ``arch``, channels and ranks included; not its anchors,
    which only ``decode`` reads, after the graph), the input size, and whether it runs in
    int8. A masked model's file is timed apart from its dense architecture's, so that
    "its zeros buy nothing in onnxruntime" is measured, not assumed."""
    arch = {k: v for k, v in load_weights(result.model_file).arch.items() if k != "anchors"}
    return (json.dumps(arch, sort_keys=True, default=str), result.img_size, own_int8(result) is not None,
            result.footprint.storage_encoding == "sparse")
