"""What the book computes from trained models rather than from results: detections
to draw, mAP under other evaluation rules, and CPU latency. (Figures only draw what
this returns.)"""
from __future__ import annotations

import hashlib
import statistics
import tempfile
from dataclasses import fields
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader, Subset

from ..data import DetectionDataset, collate
from ..evaluate import AUTHORS_RULES, Rules, average_precision, predict, predict_under
from ..export import OnnxForward, own_int8, rows_onnx
from ..measure import deployed, latencies
from ..methods import load_model
from ..models import computation, load_weights
from ..models.io import read_model_file
from ..parallel import in_workers
from ..params import RunParams, from_dict
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


def map_under_rules(result: RunResult) -> dict[str, float]:
    """A recorded run's test mAP@0.5 under each of ``rule_variants`` (one forward pass of
    the split for all of them)."""
    params, _, loader = split_set(result)
    t, device, variants = params.train, resolve_device(None), rule_variants()
    model = load_weights(result.model_file).to(device)
    predictions, targets = predict_under(model, loader, device, t.conf, t.nms_iou, t.max_det, variants)
    return {name: average_precision(predictions[name], targets, integration=rules.integration)["map"]
            for name, rules in variants.items()}


def rules_table(results: list[RunResult]) -> pd.DataFrame:
    """One column per run (its dataset): test mAP@0.5 under each evaluation rule."""
    return pd.DataFrame({f"{r.model}, {r.training} ({r.dataset})": map_under_rules(r) for r in results})


class Form(NamedTuple):
    """What a deployed form's speed depends on (``deployment_key``)."""
    arch: str        # the architecture as JSON, channels and ranks included, anchors not
    img_size: int
    int8: bool
    masks: str       # a masked float model's masks, digested (its sparse kernels in PyTorch
                     # skip its zeros, and choose by them); "": not masked, or int8


def with_latencies(results: list[RunResult], threads: int = 1, workers: int | None = None) -> list[RunResult]:
    """Each run with its latency: its model in the form it is deployed in
    (``lib.methods.load_model``: an int8 row's int8 model; ``lib.measure.deployed``:
    sparse kernels chosen per layer for a masked model, inductor's int8 kernels for an
    int8 one), and its ONNX file (``lib.export.row_onnx``'s) run by onnxruntime, with
    ``threads`` threads at batch 1, at the run's input size and at 416: all of them timed
    together in this one process, in rounds (``lib.measure.latencies``), so that the runs
    compare on equal terms and a slow minute of the machine falls on every row alike; each
    time is the median of its rounds, which ``Latency.rounds`` keeps. The ONNX files are
    written first, ``workers`` at once in processes of their own (``lib.parallel.in_workers``:
    exporting traces, it times nothing), each architecture traced once (``onnx_files``).

    A row's seeds share its architecture and, pruned, its sparsity, so a row is timed
    once per dataset, on its lowest seed's model, and its other seeds carry that time
    (timing each seed cost the cpu build about a minute at its end, for the same number).
    Rows of one deployed form (``deployment_key``) run the same computation, and are
    timed once: in PyTorch and onnxruntime alike (a ticket and its re-init control share
    one mask; timed apart, the same computation read 60.5 and 48.7 ms at 416 px in the
    cpu build of ccae9f9)."""
    firsts: dict[tuple, RunResult] = {}  # (row, dataset) -> its lowest seed's run
    for r in sorted(results, key=lambda r: r.seed):
        firsts.setdefault((r.row, r.dataset), r)
    forms = {label: deployment_key(r) for label, r in firsts.items()}
    exported: dict[Form, RunResult] = {}  # a form -> the first run of it, whose file is timed
    for label, r in firsts.items():
        exported.setdefault(forms[label], r)
    with tempfile.TemporaryDirectory() as folder:
        files = onnx_files(list(exported.items()), Path(folder), workers)
        modules = {}  # (runtime, form, size) -> (module, size)
        for (form, r), file in zip(exported.items(), files):
            model = load_model(r)
            for size in (form.img_size, 416):
                modules[ONNX_RUNTIME, form, size] = (OnnxForward(file, threads), size)
                modules[PYTORCH, form, size] = (deployed(model, size, threads), size)
        rounds = latencies(modules, threads)
        timed = {form: form_latency(rounds, form, file.stat().st_size) for form, file in zip(exported, files)}
    return [r.with_latency(timed[forms[r.row, r.dataset]]) for r in results]


PYTORCH, ONNX_RUNTIME = "pytorch", "onnxruntime"
# Latency's times -> (runtime, at the run's own size or not)
TIMES = {"ms": (PYTORCH, True), "ms_416": (PYTORCH, False), "onnx_ms": (ONNX_RUNTIME, True),
         "onnx_ms_416": (ONNX_RUNTIME, False)}


def form_latency(rounds: dict[tuple, list[float]], form: Form, onnx_bytes: int) -> Latency:
    """A form's latency from its rounds (``lib.measure.latencies``, keyed by (runtime,
    form, size)): each time the median of its rounds."""
    mine = {name: rounds[runtime, form, form.img_size if own_size else 416] for name, (runtime, own_size) in TIMES.items()}
    return Latency(**{name: statistics.median(values) for name, values in mine.items()}, onnx_bytes=onnx_bytes,
                   rounds=mine)


def onnx_files(forms: list[tuple[Form, RunResult]], folder: Path, workers: int | None) -> list[Path]:
    """Each form's run as its ONNX file in ``folder`` (``lib.export.rows_onnx``), in order:
    the forms of one architecture and input size in one worker, which traces it once."""
    files = [folder / f"{i}.onnx" for i in range(len(forms))]
    groups: dict[tuple, list[tuple[RunResult, Path]]] = {}
    for (form, r), file in zip(forms, files):
        groups.setdefault((form.arch, form.img_size), []).append((r, file))
    in_workers(rows_onnx, [(calls,) for calls in groups.values()], workers)
    return files


def deployment_key(result: RunResult) -> Form:
    """What a deployed form's speed depends on: the architecture (its ``arch``, channels
    and ranks included; not its anchors, which only ``decode`` reads, after the graph),
    the input size, whether it runs in int8, and a masked float model's masks: its sparse
    kernels skip the zeros and are chosen by them, and in onnxruntime, where its zeros are
    baked in, "they buy nothing" is measured, not assumed (a masked float form is never a
    dense one's). An int8 model runs dense int8 kernels in both runtimes (inductor's
    oneDNN convolutions, onnxruntime's integer ones), which read every weight, zero or
    not: a ticket's int8 ("sparse int8" file) shares the dense int8's form and times."""
    blob = read_model_file(result.model_file)
    masks = masks_digest(blob["state_dict"]) if result.footprint.storage_encoding == "sparse" else ""
    return Form(computation(blob["arch"]), result.img_size, own_int8(result) is not None, masks)


def masks_digest(state: dict[str, torch.Tensor]) -> str:
    """A digest of a masked model's masks (``weight_mask`` entries, by name; their values,
    not their memory layout): equal for equal masks. "sparse" even with none, so that a
    masked form never shares a dense one's time."""
    digest = hashlib.sha256(b"sparse")
    for name in sorted(k for k in state if k.endswith("weight_mask")):
        digest.update(name.encode() + np.packbits(state[name].detach().cpu().contiguous().numpy() != 0).tobytes())
    return digest.hexdigest()
