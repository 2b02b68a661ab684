"""What the report computes from the models themselves: each run's model opened through
its method (``lib.methods.load_model``) and timed into its typed result."""
import statistics
from dataclasses import replace

import torch

from lib.export import rows_onnx
from lib.measure import LATENCY_ROUNDS
from lib.methods import load_model
from lib.models import build, save_weights
from lib.models.io import copy_of
from lib.quantize.run import CALIBRATION
from lib.prune import apply_masks, magnitude_prune
from lib.prune.random import random_masks
from lib.report import inference
from lib.report.inference import with_latencies
from tests.report.test_results import result
from tests.test_export import counting_exports, moved


def test_a_run_is_opened_through_its_method_and_timed_into_its_result(tmp_path):
    torch.manual_seed(0)
    model = build("yolov3-tiny", 3, width=0.125)
    save_weights(model, tmp_path / "best.pt")
    run = result("yolov3-tiny", 0, 0.5, 1000, run_dir=str(tmp_path))
    opened = load_model(run)
    assert all(torch.equal(a, b) for a, b in zip(opened.state_dict().values(), model.state_dict().values()))
    [timed] = with_latencies([run])
    assert run.latency is None and timed.latency.ms > 0 and timed.latency.ms_416 > timed.latency.ms  # 128 px, then 416
    assert 0 < timed.latency.onnx_ms < timed.latency.onnx_ms_416  # its ONNX file in onnxruntime, both sizes
    assert timed.latency.onnx_bytes > 4 * sum(p.numel() for p in model.parameters())  # float32 weights and a graph
    rounds = timed.latency.rounds  # each time the median of its rounds
    assert set(rounds) == {"ms", "ms_416", "onnx_ms", "onnx_ms_416"} and {len(v) for v in rounds.values()} == {LATENCY_ROUNDS}
    assert all(getattr(timed.latency, name) == statistics.median(values) for name, values in rounds.items())
    assert timed.metrics == run.metrics and timed.row == run.row


def test_a_row_is_timed_once_per_dataset_on_its_lowest_seed(tmp_path, monkeypatch):
    torch.manual_seed(0)
    save_weights(build("yolov3-tiny", 3, width=0.125), tmp_path / "best.pt")
    runs = [result("yolov3-tiny", seed, 0.5, 1000, run_dir=str(tmp_path)) for seed in (2, 0, 1)]
    runs.append(replace(runs[0], dataset="builtin-dark"))
    sparse = replace(runs[0], row="yolov3-tiny-masked", footprint=replace(runs[0].footprint, storage_encoding="sparse"))
    runs += [sparse, replace(sparse, dataset="builtin-dark")]
    opened, exported = [], []
    monkeypatch.setattr(inference, "load_model", lambda r: opened.append((r.row, r.seed, r.dataset)) or load_model(r))
    monkeypatch.setattr(inference, "rows_onnx", lambda calls: exported.extend(r.row for r, _ in calls) or rows_onnx(calls))
    timed = with_latencies(runs, workers=1)  # in this process, where the counters are
    # seed 0 of the light set times the dense form for the dark set too; the masked row
    # (one file, so one mask, on both sets) is its own form, timed once
    assert opened == [("yolov3-tiny", 0, "builtin"), ("yolov3-tiny-masked", 2, "builtin")]
    assert exported == ["yolov3-tiny", "yolov3-tiny-masked"]
    assert [t.seed for t in timed] == [2, 0, 1, 2, 2, 2] and len({t.latency for t in timed[:4]}) == 1
    assert timed[4].latency == timed[5].latency != timed[0].latency


def test_masked_rows_share_a_time_only_with_the_same_masks(tmp_path, monkeypatch):
    """A ticket and its re-init control (one mask, other weights) run one computation and
    are timed once; a random mask with the same count per layer is timed apart."""
    models = {}
    for row, seed in (("yolov3-lth-local", 0), ("yolov3-lth-local-reinit", 1), ("yolov3-random-prune", 0)):
        torch.manual_seed(seed)
        models[row] = build("yolov3-tiny", 3, width=0.125)
    ticket = magnitude_prune(copy_of(models["yolov3-lth-local"]), 0.9, "layer")
    apply_masks(models["yolov3-lth-local"], ticket)
    apply_masks(models["yolov3-lth-local-reinit"], ticket)
    apply_masks(models["yolov3-random-prune"], random_masks(models["yolov3-random-prune"], 0.9, seed=3))
    runs = []
    for row, model in models.items():
        (tmp_path / row).mkdir()
        save_weights(model, tmp_path / row / "best.pt")
        made = result(row, 0, 0.5, 1000, run_dir=str(tmp_path / row))
        runs.append(replace(made, footprint=replace(made.footprint, storage_encoding="sparse")))
    key = [inference.deployment_key(r) for r in runs]
    assert key[0] == key[1] != key[2] and key[0].masks
    dense = replace(runs[0], footprint=replace(runs[0].footprint, storage_encoding="dense"))
    assert inference.deployment_key(dense).masks == ""
    opened = []
    monkeypatch.setattr(inference, "load_model", lambda r: opened.append(r.row) or load_model(r))
    timed = with_latencies(runs, workers=1)
    assert opened == ["yolov3-lth-local", "yolov3-random-prune"]
    assert timed[0].latency == timed[1].latency != timed[2].latency


def test_files_written_in_worker_processes_are_timed_as_those_written_here(tmp_path):
    runs = []
    for width in (0.125, 0.25):
        folder = tmp_path / str(width)
        folder.mkdir()
        save_weights(build("yolov3-tiny", 3, width=width), folder / "best.pt")
        runs.append(replace(result("yolov3-tiny", 0, 0.5, 1000, run_dir=str(folder)), row=f"tiny-{width}"))
    here, pooled = with_latencies(runs, workers=1), with_latencies(runs, workers=2)
    assert [r.latency.onnx_bytes for r in pooled] == [r.latency.onnx_bytes for r in here]
    assert pooled[0].latency.onnx_bytes < pooled[1].latency.onnx_bytes  # each row its own file


def test_rows_of_one_architecture_are_traced_once_each_file_with_its_own_weights(tmp_path, monkeypatch):
    """An int8 row's float step, listed first, still finds the float rows' graph."""
    runs = []
    for row, width, seed in (("yolov3-int8", 0.125, 1), ("yolov3", 0.125, 2), ("yolov3-tiny", 0.25, 1)):
        folder = tmp_path / row
        folder.mkdir()
        save_weights(moved(build("yolov3-tiny", 3, width=width), seed), folder / "best.pt")
        runs.append(result(row, 0, 0.5, 1000, run_dir=str(folder)))
    torch.save(torch.rand(4, 3, 128, 128), tmp_path / "yolov3-int8" / CALIBRATION)
    runs[0] = replace(runs[0], settings={"keep_outputs_fp32": True})
    exports = counting_exports(monkeypatch)
    files = rows_onnx([(r, tmp_path / f"{r.row}.onnx") for r in runs])  # each checked against its own model
    assert exports == [1, 1]  # the two widths
    assert files == [tmp_path / f"{r.row}.onnx" for r in runs] and all(f.is_file() for f in files)
    assert files[0].stat().st_size < files[1].stat().st_size / 2  # int8


def test_rows_share_a_deployed_form_when_only_their_anchors_differ(tmp_path):
    """The anchors are read by ``decode`` only, after the graph; the channels are not."""
    runs = {}
    for name, kwargs in {"light": {}, "dark": {"anchors": [[i + 1.0, i + 2.0] for i in range(6)]},
                         "wide": {"width": 0.25}}.items():
        folder = tmp_path / name
        folder.mkdir()
        save_weights(build("yolov3-tiny", 3, **{"width": 0.125, **kwargs}), folder / "best.pt")
        runs[name] = result("yolov3-tiny", 0, 0.5, 1000, run_dir=str(folder))
    key = {name: inference.deployment_key(r) for name, r in runs.items()}
    assert key["light"] == key["dark"] != key["wide"]
    sparse = replace(runs["light"], footprint=replace(runs["light"].footprint, storage_encoding="sparse"))
    assert inference.deployment_key(sparse) != key["light"]  # a masked model's zeros are timed, not assumed free
