"""The chapters' explanatory figures draw what the study's code computes."""
import matplotlib

matplotlib.use("Agg")

import math

import numpy as np
import pytest

from lib.params import RunParams, override
from lib.profiles import profile_params
from lib.prune.cs import FINAL_BETA, CSParams
from lib.report import explainers
from lib.train.optim import WARMUP_BIAS_LR


def test_paper_schedule_prebias_then_cosine_to_its_final_rate():
    params = override(RunParams(), **{"model.name": "yolov3"})
    x, weights, biases = explainers._schedule_lrs(params, 10)
    lr0 = params.train.lr("yolov3")
    assert biases[0] == pytest.approx(WARMUP_BIAS_LR) and weights[0] == pytest.approx(lr0)
    after_prebias = x >= 4  # prebias covers epochs 0..3, ending at twice lr0
    assert np.allclose(biases[after_prebias], weights[after_prebias])
    final = lr0 * (params.train.lr_final + (1 - params.train.lr_final) * (1 + math.cos(math.pi * 299 / 300)) / 2)
    assert weights[-1] == pytest.approx(final)


def test_cpu_schedule_burns_in_from_zero_to_the_base_rate():
    params = profile_params("cpu", **{"model.name": "yolov3"})
    batches = params.data.builtin_train // params.train.batch_size
    x, weights, _ = explainers._schedule_lrs(params, batches)
    assert weights[0] == 0 and weights[batches - 1] < params.train.lr0
    assert weights[batches] == pytest.approx(params.train.lr0 * (params.train.lr_final + (1 - params.train.lr_final)
                                                                 * (1 + math.cos(math.pi / 10)) / 2))


def test_soft_mask_panel_is_one_at_s0_for_beta_one_and_a_step_at_the_final_beta():
    figure = explainers.pruning_methods()
    mask_axes = figure.axes[1]
    curves = {line.get_label(): line for line in mask_axes.get_lines()}
    first, last = curves["β = 1"], curves[f"β = {FINAL_BETA:.3g}"]
    s, m = np.asarray(first.get_xdata()), np.asarray(first.get_ydata())
    assert np.interp(CSParams().s0, s, m) == pytest.approx(1.0, abs=1e-3)
    s, m = np.asarray(last.get_xdata()), np.asarray(last.get_ydata())
    norm = 1 + math.exp(-CSParams().s0)
    assert m[s < -0.1].max() < 1e-3 and m[s > 0.1].min() == pytest.approx(norm, rel=1e-3)


def test_hint_pairs_show_the_measured_shapes_and_which_rows_use_them():
    figure = explainers.hint_pairs_figure(img_size=128, width=0.25)
    texts = [t.get_text() for t in figure.axes[0].texts]
    # YOLOv3's layer 36 at width 0.25: 64 channels at stride 8
    assert "layer 36\n64×16×16" in texts
    assert "rows: 79" in texts  # Nano's pair at the teacher's layer 79 is the KD fts 79 row's
    arrows = [t.arrow_patch for t in figure.axes[0].texts if getattr(t, "arrow_patch", None) is not None]
    # no row pairs YOLOv3-Mobile's layers 61 and 79: those two arrows are dotted, the other six solid
    assert sorted(a.get_linestyle() for a in arrows) == ["-"] * 6 + [":"] * 2


def test_int8_errors_stay_within_half_a_level_and_tucker_counts_match():
    figure = explainers.quantization_and_tucker()
    hist, tucker = figure.axes
    edges = [p.get_x() for p in hist.patches] + [hist.patches[-1].get_x() + hist.patches[-1].get_width()]
    assert min(edges) >= -0.5 - 1e-6 and max(edges) <= 0.5 + 1e-6
    # layers.29.conv: 128 -> 256, 3x3; ranks 32 and 64
    expected = 128 * 32 + 32 * 64 * 9 + 64 * 256
    assert any(t.get_text().startswith(f"Tucker-2 at ranks 1/4: {expected:,} weights") for t in tucker.texts)
