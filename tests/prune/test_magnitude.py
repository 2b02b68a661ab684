import math

import pytest
import torch

from lib.counting import count_macs, count_nonzero_params, count_params
from lib.models import build
from lib.prune import apply_masks, get_masks, layer_table, magnitude_prune, prunable_layers, sparsity
from lib.paper import paper_table

PRUNABLE_YOLOV3 = 61_438_816  # book/spec.md, Lottery tickets; 20 classes


@pytest.fixture(scope="module")
def fresh_yolov3():
    def make():
        torch.manual_seed(0)
        return build("yolov3", 20)
    return make


def test_prunable_set_is_every_conv_but_the_outputs(fresh_yolov3):
    model = fresh_yolov3()
    layers = prunable_layers(model)
    assert sum(m.weight.numel() for m in layers.values()) == PRUNABLE_YOLOV3
    assert count_params(model) - PRUNABLE_YOLOV3 == 187_233
    assert not {id(m) for m in model.output_convs()} & {id(m) for m in layers.values()}


@pytest.mark.parametrize("scope,expected", [("global", 6_331_114), ("layer", 6_331_150)])
def test_ninety_percent_leaves_the_papers_parameter_count(fresh_yolov3, scope, expected):
    """The paper reports 6,331,114 +- 1 (global) and 6,331,150 +- 1 (local): per tensor,
    the authors prune floor(0.9 n), which leaves 6,331,151."""
    model = fresh_yolov3()
    masks = magnitude_prune(model, 0.9, scope)
    assert abs(count_nonzero_params(model) - expected) <= 2
    assert count_params(model) == 61_626_049  # masks hide weights, they do not delete parameters
    assert sparsity(masks) == pytest.approx(0.9, abs=1e-6)
    if scope == "layer":
        assert all(m.numel() - int(m.sum()) == math.floor(0.9 * m.numel()) for m in masks.values())
        paper = next(r for r in paper_table("voc") if r["row"] == "yolov3-lth-local")
        assert count_macs(model, 416)["macs_paper"] == pytest.approx(paper["macs_mean"], rel=1e-3)


def test_global_scope_keeps_the_largest_magnitudes(fresh_yolov3):
    model = build("yolov3-tiny", 3, width=0.25)
    before = {n: m.weight.detach().abs().clone() for n, m in prunable_layers(model).items()}
    masks = magnitude_prune(model, 0.7, "global")
    kept = torch.cat([before[n][masks[n] == 1] for n in masks])
    dropped = torch.cat([before[n][masks[n] == 0] for n in masks])
    assert kept.min() >= dropped.max()


def test_a_second_step_prunes_only_survivors_and_masks_act_in_forward():
    torch.manual_seed(1)
    model = build("yolo-nano", 4, width=0.25)
    first = magnitude_prune(model, 0.5, "layer")
    second = magnitude_prune(model, 0.8, "layer")
    assert all(torch.all(second[n] <= first[n]) for n in first)  # nothing revived
    assert sparsity(second) == pytest.approx(0.8, abs=0.01)
    layer = next(iter(prunable_layers(model).values()))
    outputs = []
    layer.register_forward_hook(lambda m, i, o: outputs.append(m.weight))
    model(torch.rand(1, 3, 64, 64))
    assert torch.all(outputs[0][second[next(iter(second))] == 0] == 0)
    assert get_masks(model).keys() == second.keys()


@pytest.mark.parametrize("sparsity_,scope,message", [(1.0, "global", "sparsity"), (0.0, "layer", "sparsity"),
                                                    (0.5, "tensor", "scope")])
def test_bad_pruning_parameters(sparsity_, scope, message):
    with pytest.raises(ValueError, match=message):
        magnitude_prune(build("yolov3-tiny", 2, width=0.125), sparsity_, scope)


def test_a_mask_that_does_not_match_the_model_is_refused():
    model = build("yolov3-tiny", 2, width=0.125)
    name, layer = next(iter(prunable_layers(model).items()))
    with pytest.raises(ValueError, match=f"mask {name!r}: shape"):
        apply_masks(model, {name: torch.ones(3, 3)})
    with pytest.raises(ValueError, match="not a conv layer"):
        apply_masks(model, {"layers.999": torch.ones(1)})
    with pytest.raises(ValueError, match="only 0 and 1"):
        apply_masks(model, {name: torch.full_like(layer.weight, 0.5)})


def test_layer_table_reports_every_masked_layer():
    torch.manual_seed(2)
    model = build("yolov3-tiny", 3, width=0.25)
    masks = magnitude_prune(model, 0.6, "global")
    table = layer_table(model)
    assert [r["layer"] for r in table] == list(masks)
    assert sum(r["alive"] for r in table) == sum(int(m.sum()) for m in masks.values())
    assert all(r["sparsity"] == pytest.approx(1 - r["alive"] / r["total"]) for r in table)
    assert len({round(r["sparsity"], 2) for r in table}) > 1  # global scope: layers differ
