"""Every kind of model a study row produces leaves Python as an ONNX file that
onnxruntime runs with PyTorch's outputs, and int8 is onnxruntime's integer operators."""
import re
import shutil

import numpy as np
import onnx
import pytest
import torch

from lib.export import OnnxDetector, graph, quantize_int8, runtime_ops, to_onnx
from lib.export.__main__ import main as export_main
from lib.lowrank import tucker2
from lib.models import build
from lib.models.io import copy_of
from lib.prune import channel_prune, magnitude_prune
from lib.study import chapter as study_chapter

SIZE = 64


def masked():
    model = build("yolov3", 3, width=0.125)
    magnitude_prune(model, 0.8, "layer")
    return model


KINDS = {  # the models of the study's rows, at the smoke width
    "dense": lambda: build("yolov3", 3, width=0.125),
    "slim": lambda: channel_prune(build("yolov3", 3, width=0.125), 0.3),
    "factored": lambda: tucker2(build("yolov3", 3, width=0.25), rank_ratio=0.5),
    "masked": masked,
    "nano (a distilled student; its depthwise convs are Mobile's too)":
        lambda: build("yolo-nano", 3, width=0.125, activation="leaky"),
    "tiny": lambda: build("yolov3-tiny", 3, width=0.125),
    "mobile (its 1x1 depthwise convs as ChannelScale)": lambda: build("yolov3-mobile", 3, width=0.125),
}


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_of_model_runs_in_onnxruntime_with_pytorchs_outputs_and_detections(tmp_path, kind):
    model = KINDS[kind]().eval()
    path = to_onnx(model, tmp_path / "model.onnx", SIZE)  # checked there on one image
    onnx.checker.check_model(str(path), full_check=True)
    deployed = OnnxDetector(path, model)
    x = torch.rand(3, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(1))  # another batch size than exported
    with torch.no_grad():
        expected, got = model(x), deployed(x)
    for want, have in zip(expected, got):
        assert want.shape == have.shape
        assert float((want - have).abs().max()) <= 1e-4 * float(want.abs().max())
    decoded, decoded_onnx = model.decode(expected), deployed.decode(got)  # boxes in pixels, scores
    assert float((decoded - decoded_onnx).abs().max()) <= 1e-4 * float(decoded.abs().max())
    if kind == "masked":  # its zeros are plain weights in the file: the masks' 80% of the prunable weights
        weights = [onnx.numpy_helper.to_array(t) for t in onnx.load(str(path)).graph.initializer if len(t.dims) == 4]
        assert sum(int((w == 0).sum()) for w in weights) / sum(w.size for w in weights) >= 0.75  # outputs unmasked


def moved(model, seed):
    """``model``'s architecture with other weights: every parameter moved (BatchNorm's
    too, so that every folded conv has a bias that is not zero)."""
    other = copy_of(model)
    draw = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in other.parameters():
            param.add_(0.05 * torch.randn(param.shape, generator=draw))
    return other


def maps(path, x):
    return [m.numpy() for m in OnnxDetector(path, build("yolov3", 3, width=0.125))(x)]


def counting_exports(monkeypatch) -> list:
    exports, export = [], torch.onnx.export
    monkeypatch.setattr(torch.onnx, "export", lambda *a, **k: exports.append(1) or export(*a, **k))
    return exports


@pytest.mark.parametrize("kind", KINDS)
def test_a_traced_graph_takes_the_weights_of_another_model_of_its_architecture(tmp_path, monkeypatch, kind):
    """Two kinds are traced anew, their graphs holding constants the exporter computed from
    the weights under other names: a factored model's BatchNorms, which ``folded`` leaves to
    the exporter, and Mobile's ChannelScale weights, reshaped in its forward."""
    first, second = (moved(KINDS[kind]().eval(), seed) for seed in (1, 2))
    traced = to_onnx(first, tmp_path / "first.onnx", SIZE)
    exports = counting_exports(monkeypatch)
    reused = to_onnx(second, tmp_path / "second.onnx", SIZE, like=traced)  # checked there against second's outputs
    assert exports == ([1] if kind.startswith(("factored", "mobile")) else [])
    x = torch.rand(1, 3, SIZE, SIZE)
    assert not all(np.allclose(a, b) for a, b in zip(maps(traced, x), maps(reused, x)))  # not the first's weights


def test_a_graph_traced_with_zero_biases_is_not_reused_for_a_model_with_biases(tmp_path, monkeypatch):
    """The exporter leaves out an all-zero conv bias (a fresh model's folded BatchNorm
    gives one), so that graph cannot carry a model whose bias is not zero: it is traced anew."""
    fresh = build("yolov3-tiny", 3, width=0.125).eval()
    traced = to_onnx(fresh, tmp_path / "fresh.onnx", SIZE)
    names = {init.name for init in onnx.load(str(traced)).graph.initializer}
    assert "layers.0.conv.weight" in names and "layers.0.conv.bias" not in names  # the premise
    trained, exports = moved(fresh, 1), counting_exports(monkeypatch)
    to_onnx(trained, tmp_path / "trained.onnx", SIZE, like=traced)  # checked there against trained's outputs
    assert exports == [1]
    to_onnx(moved(fresh, 2), tmp_path / "again.onnx", SIZE, like=tmp_path / "trained.onnx")
    assert exports == [1]  # a graph with every bias serves


def test_a_reused_graph_that_fails_its_check_is_traced_anew(tmp_path, monkeypatch):
    first, second = (moved(build("yolov3-tiny", 3, width=0.125).eval(), seed) for seed in (1, 2))
    traced = to_onnx(first, tmp_path / "first.onnx", SIZE)
    # a graph that computes from its weights in a way their names do not show: here, the first's weights kept
    monkeypatch.setattr(graph, "reweighted", lambda model, like, path: bool(shutil.copy(like, path)))
    exports = counting_exports(monkeypatch)
    to_onnx(second, tmp_path / "second.onnx", SIZE, like=traced)  # checked there against second's outputs
    assert exports == [1]


@pytest.mark.parametrize("keep", [True, False], ids=["outputs float", "all int8"])
def test_int8_runs_every_conv_as_an_integer_operator_but_the_kept_float_outputs(tmp_path, keep):
    model = build("yolov3-tiny", 3, width=0.125).eval()
    fp32 = to_onnx(model, tmp_path / "fp32.onnx", SIZE)
    int8 = quantize_int8(fp32, tmp_path / "int8.onnx", torch.rand(8, 3, SIZE, SIZE), keep_outputs_fp32=keep)
    convs = sum(isinstance(m, torch.nn.Conv2d) for m in model.modules())
    before, after = runtime_ops(fp32), runtime_ops(int8)
    assert before["QLinearConv"] == 0 and before["Conv"] + before["FusedConv"] == convs
    float_convs = after["Conv"] + after["FusedConv"]
    assert after["QLinearConv"] + float_convs == convs
    # the output convs run in float either way (the graph's outputs are float maps; without keeping them their
    # weights are int8-rounded); keeping them float also leaves the conv before each in float: onnxruntime runs
    # the activation between the two in float, so that conv has no quantized output to fuse into QLinearConv
    assert float_convs == len(model.strides) * (2 if keep else 1)
    x = torch.rand(1, 3, SIZE, SIZE)
    with torch.no_grad():
        reference = model(x)
    error = [float((a - b).abs().max() / a.abs().max()) for a, b in zip(reference, OnnxDetector(int8, model)(x))]
    # int8's rounding: at most 1/255 of a tensor's range per layer, through Tiny's 13 convs about 5% at worst;
    # a wrong graph (another model, a broken calibration) differs by its outputs' whole scale
    assert np.isfinite(error).all() and max(error) < 13 / 255


def test_a_rows_model_ships_as_a_file_whose_size_latency_and_map_are_printed(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("STUDY_CACHE", str(tmp_path / "cache"))
    tiny, _ = study_chapter.run_row("yolov3-tiny", "smoke", "builtin", None, 0, [], str(tmp_path / "runs"), epochs=2)
    study_chapter.save_result(str(tmp_path / "tiny.json"), tiny)
    for flags, precision in (([], "float32"), (["--int8"], "int8")):
        out = tmp_path / f"tiny-{precision}.onnx"
        assert export_main(["--run", str(tmp_path / "tiny.json"), "--out", str(out), *flags]) == 0
        size, speed, accuracy = capsys.readouterr().out.strip().splitlines()
        assert size == f"{out}: yolov3-tiny (builtin, seed 0), {precision}, {out.stat().st_size:,} bytes"
        assert re.fullmatch(r"onnxruntime latency, batch 1, 1 thread\(s\): [\d.]+ ms at 128 px, [\d.]+ ms at 416 px",
                            speed)
        through_onnx, own = map(float, re.findall(r"\d\.\d{4}", accuracy))
        assert own == round(tiny.metrics.map50, 4)
        if precision == "float32":  # the same maps up to float sums' order: the same detections
            assert through_onnx == own
