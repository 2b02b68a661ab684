import io

import pytest
import torch
from torch import nn

from lib.counting import count_params
from lib.models import REGISTRY, build, capture, load_weights, residual_norms, save_weights
from lib.models.blocks import ChannelScale
from lib.models.head import OBJECTNESS_BIAS, VOC_TINY_ANCHORS
from lib.params import TrainParams
from lib.train.loss import YoloLoss

# book/spec.md, Models: plain sums of every nn.Parameter at width 1.0.
EXACT_PARAMS = {
    ("yolov3", 20): 61_626_049, ("yolov3", 12): 61_582_969,
    ("yolov3-tiny", 20): 8_713_766, ("yolov3-tiny", 12): 8_695_286,
    ("yolo-nano", 20): 2_890_527, ("yolo-nano", 12): 2_872_743,
    ("yolov3-mobile", 20): 4_395_985, ("yolov3-mobile", 12): 4_390_537,
}


@pytest.mark.parametrize("activation", [None, "leaky"])
@pytest.mark.parametrize("name,num_classes", sorted(EXACT_PARAMS))
def test_exact_parameter_counts(full_size, name, num_classes, activation):
    assert count_params(full_size(name, num_classes, activation)) == EXACT_PARAMS[name, num_classes]


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_forward_maps_have_the_paper_strides_and_channels(full_size, name):
    model = full_size(name, 20, None).eval()
    with torch.no_grad():
        maps = model(torch.zeros(1, 3, 416, 320))
    expected_strides = (32, 16) if name == "yolov3-tiny" else (32, 16, 8)
    assert model.strides == expected_strides
    assert [tuple(m.shape) for m in maps] == [(1, 3 * 25, 416 // s, 320 // s) for s in expected_strides]


def test_tiny_uses_upstream_anchor_masks():
    """darknet's yolov3-tiny.cfg (and the authors'): anchors 3, 4, 5 at stride 32 and 1, 2, 3 at stride 16."""
    model = build("yolov3-tiny", 20)
    assert model.anchors.tolist() == [[list(map(float, a)) for a in VOC_TINY_ANCHORS[3:6]],
                                      [list(map(float, a)) for a in VOC_TINY_ANCHORS[1:4]]]


def test_decode_gives_boxes_in_input_pixels():
    model = build("yolov3", 3, width=0.25)
    maps = [torch.zeros(2, 24, 416 // s, 416 // s) for s in model.strides]
    out = model.decode(maps)
    assert out.shape == (2, 3 * (13 * 13 + 26 * 26 + 52 * 52), 8)
    # zero logits: centre in the middle of its cell, size = the anchor, probabilities 0.5
    first = out[0, 0]  # stride 32, anchor 6 (the largest mask's first), cell (0, 0)
    w, h = model.anchors[0, 0].tolist()
    assert first[:4].tolist() == pytest.approx([16 - w / 2, 16 - h / 2, 16 + w / 2, 16 + h / 2])
    assert first[4:].tolist() == pytest.approx([0.5] * 4)
    # cell (row 2, col 5) of the stride-8 map, third anchor
    idx = 3 * (13 * 13 + 26 * 26) + 2 * 52 * 52 + 2 * 52 + 5
    w, h = model.anchors[2, 2].tolist()
    assert out[1, idx, :4].tolist() == pytest.approx([44 - w / 2, 20 - h / 2, 44 + w / 2, 20 + h / 2])


TAP_SHAPES = {
    "yolov3": {"36": (256, 52), "61": (512, 26), "79": (512, 13), "91": (256, 26)},
    "yolov3-mobile": {"36": (32, 52), "61": (64, 26), "79": (64, 13), "91": (32, 26)},
    "yolo-nano": {"pep7": (150, 52), "pep15": (325, 26), "conv5": (189, 13), "conv7": (98, 26)},
}
OUTPUT_TAPS = {"yolov3": ["81", "93", "105"], "yolov3-mobile": ["81", "93", "105"],
               "yolo-nano": ["out13", "out26", "out52"]}


@pytest.mark.parametrize("name", sorted(TAP_SHAPES))
def test_feature_taps_by_the_papers_layer_names(full_size, name):
    model = full_size(name, 20, None).eval()
    with torch.no_grad(), capture(model, [*TAP_SHAPES[name], *OUTPUT_TAPS[name]]) as feats:
        maps = model(torch.rand(1, 3, 416, 416))
    for tap, (channels, size) in TAP_SHAPES[name].items():
        assert tuple(feats[tap].shape) == (1, channels, size, size), tap
    for tap, head_map in zip(OUTPUT_TAPS[name], maps):
        assert torch.equal(feats[tap], head_map)


def test_unknown_tap_is_named():
    with pytest.raises(KeyError, match="pep99"):
        with capture(build("yolo-nano", 20, width=0.25), ["pep99"]):
            pass


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_smart_bias_init_on_output_convs(name):
    model = build(name, 12, width=0.25)
    assert len(model.output_convs()) == len(model.strides)
    for conv in model.output_convs():
        bias = conv.bias.view(3, 17)
        assert torch.all(bias[:, 4] == OBJECTNESS_BIAS)
        assert torch.allclose(bias[:, 5:], torch.tensor(1 / (12 - 0.99)).log())


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_leaky_swaps_every_activation(name):
    model = build(name, 20, width=0.25, activation="leaky")
    kinds = {type(m) for m in model.modules()}
    assert nn.LeakyReLU in kinds and not kinds & {nn.ReLU6, nn.Hardswish}
    # Mobile's squeeze-excitation keeps its inner ReLU (the paper's MACs match only so)
    relus = [n for n, m in model.named_modules() if isinstance(m, nn.ReLU)]
    assert all(".fc." in n for n in relus)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_width_multiplier_shrinks_every_model(full_size, name):
    small = build(name, 20, width=0.25)
    assert count_params(small) < count_params(full_size(name, 20, None)) / 8
    convs = [m for m in small.modules() if isinstance(m, nn.Conv2d) and m not in small.output_convs()]
    assert all(c.out_channels % 8 == 0 for c in convs)
    assert len(small(torch.zeros(1, 3, 64, 64))) == len(small.strides)


def test_same_seed_same_initialisation():
    torch.manual_seed(3)
    a = build("yolo-nano", 20, width=0.5).state_dict()
    torch.manual_seed(3)
    b = build("yolo-nano", 20, width=0.5).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_weights_file_round_trip():
    model = build("yolov3-mobile", 5, width=0.5, activation="leaky")
    buffer = io.BytesIO()
    save_weights(model, buffer)
    buffer.seek(0)
    loaded = load_weights(buffer)
    assert loaded.arch == model.arch
    x = torch.rand(1, 3, 96, 96)
    assert all(torch.equal(a, b) for a, b in zip(loaded.eval()(x), model.eval()(x)))


@pytest.mark.parametrize("kwargs,field", [
    ({"name": "yolov4", "num_classes": 20}, "model"),
    ({"name": "yolov3", "num_classes": 0}, "num_classes"),
    ({"name": "yolov3", "num_classes": 20, "width": 0}, "width"),
    ({"name": "yolov3", "num_classes": 20, "activation": "gelu"}, "activation"),
    ({"name": "yolov3", "num_classes": 20, "anchors": [(10, 10)] * 4}, "anchors"),
])
def test_bad_build_arguments_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        build(**kwargs)


def stem_to_output_gradient_ratio(name: str, zero_init_residual: bool) -> float:
    """|grad| of the first conv's weight over the mean |grad| of the output convs' weights,
    at initialisation, for the YOLO loss of one fixed batch."""
    torch.manual_seed(0)
    model = build(name, 20, zero_init_residual=zero_init_residual)
    targets = [{"boxes": torch.tensor([[50.0, 60, 200, 220], [220, 100, 400, 300]]), "labels": torch.tensor([3, 7])}] * 2
    loss, _ = YoloLoss(model, TrainParams())(model(torch.rand(2, 3, 416, 416)), targets)
    loss.backward()
    stem = next(m for m in model.modules() if isinstance(m, nn.Conv2d))
    outputs = [conv.weight.grad.norm().item() for conv in model.output_convs()]
    return stem.weight.grad.norm().item() / (sum(outputs) / len(outputs))


@pytest.mark.parametrize("name", ["yolo-nano", "yolov3-mobile"])
def test_zero_initialised_residual_branches_tame_the_depthwise_models_gradients(name):
    """Every residual branch of Nano and Mobile ends in a BatchNorm with no activation:
    at scale 1 each block adds a full-size random signal, and the stem's gradient dwarfs
    the outputs'. Starting those scales at 0 (torchvision's zero_init_residual) fixes it."""
    assert stem_to_output_gradient_ratio(name, False) > 1000
    assert stem_to_output_gradient_ratio(name, True) < 1000
    plain, zeroed = build(name, 20), build(name, 20, zero_init_residual=True)
    assert count_params(zeroed) == count_params(plain)
    assert residual_norms(zeroed) and all(not n.weight.detach().any() for n in residual_norms(zeroed))
    assert residual_norms(build("yolov3", 20)) == []  # its shortcut branches end in an activation


def test_a_channel_scale_computes_the_depthwise_1x1_conv_it_stands_for():
    mobile = build("yolov3-mobile", num_classes=3, width=0.125)
    scales = [m for m in mobile.modules() if isinstance(m, ChannelScale)]
    assert len(scales) == 34  # every 1x1 depthwise conv of the 1x1 bottlenecks
    torch.manual_seed(0)
    scale = ChannelScale(6, bias=True)
    nn.init.normal_(scale.weight), nn.init.normal_(scale.bias)
    x = torch.randn(2, 6, 5, 7, requires_grad=True)
    reference = nn.Conv2d(6, 6, 1, groups=6)
    reference.load_state_dict(scale.state_dict())
    y, y_ref = scale(x), reference(x)
    assert torch.allclose(y, y_ref, atol=1e-6)
    grads = torch.autograd.grad(y.square().sum(), [x, scale.weight, scale.bias])
    grads_ref = torch.autograd.grad(y_ref.square().sum(), [x, *reference.parameters()])
    assert all(torch.allclose(g, r, atol=1e-5) for g, r in zip(grads, grads_ref))
