import io

import pytest
import torch

from lib.counting import count_macs
from lib.measure import footprint
from lib.models import build, load_weights, save_weights
from lib.prune import channel_prune, magnitude_prune
from lib.prune.filters import FilterMasks, compact


def dense(name="yolov3", width=0.25, seed=0):
    torch.manual_seed(seed)
    return build(name, 5, width=width).eval()


@pytest.fixture(scope="module")
def slim_pair():
    model = dense()
    return model, channel_prune(model, 0.11)


def test_a_channel_pruned_yolov3_keeps_its_output_shapes_and_its_macs_target(slim_pair):
    model, slim = slim_pair
    x = torch.rand(1, 3, 128, 96)
    with torch.no_grad():
        assert [m.shape for m in slim(x)] == [m.shape for m in model(x)]
    ratio = count_macs(slim, 128)["macs"] / count_macs(model, 128)["macs"]
    assert 0.08 < ratio <= 0.11  # within the target, and not far below it
    assert [c.out_channels for c in slim.output_convs()] == [c.out_channels for c in model.output_convs()]
    assert sum(p.numel() for p in model.parameters()) > 3 * sum(p.numel() for p in slim.parameters())


def test_its_params_and_macs_are_footprints_and_its_file_reloads_exactly(slim_pair):
    _, slim = slim_pair
    size = footprint(slim, 128)
    assert size["params"] == size["nonzero_params"] == sum(p.numel() for p in slim.parameters())
    assert size["macs"] == sum(m.weight.numel() * o for m, o in conv_outputs(slim, 128))
    buffer = io.BytesIO()
    save_weights(slim, buffer)
    assert size["storage_bytes"] == buffer.getbuffer().nbytes
    buffer.seek(0)
    back = load_weights(buffer).eval()
    assert back.arch == slim.arch and "channels" in back.arch
    assert all(torch.equal(a, b) for a, b in zip(back.state_dict().values(), slim.state_dict().values()))
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        assert all(torch.equal(a, b) for a, b in zip(back(x), slim(x)))


def conv_outputs(model, size):
    """(conv, output positions) of every conv for one image."""
    found = []
    hooks = [m.register_forward_hook(lambda m, i, o: found.append((m, o.shape[2] * o.shape[3])))
             for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    with torch.no_grad():
        model(torch.zeros(1, 3, size, size))
    for h in hooks:
        h.remove()
    return found


def test_a_params_target_and_the_batchnorm_importance():
    model = dense()
    for m in model.modules():  # trained-like scales: all equal, BatchNorm importance could not choose
        if isinstance(m, torch.nn.BatchNorm2d):
            m.weight.data.uniform_(0, 1)
    slim = channel_prune(model, params_ratio=0.3, importance="bn")
    assert sum(p.numel() for p in slim.parameters()) <= 0.3 * sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("bad, message", [({"macs_ratio": 1.5}, "macs_ratio"), ({"macs_ratio": 0.1, "importance": "x"},
                                                                                 "importance"), ({}, "one target")])
def test_bad_targets_are_refused(bad, message):
    with pytest.raises(ValueError, match=message):
        channel_prune(dense(), **bad)


def test_a_masked_model_is_refused():
    model = dense()
    magnitude_prune(model, 0.5)
    with pytest.raises(ValueError, match="masks"):
        channel_prune(model, 0.5)


@pytest.mark.parametrize("name", ["yolov3", "yolov3-tiny"])
def test_masked_filters_cut_out_give_the_same_outputs(name):
    model = dense(name)
    for m in model.modules():  # BatchNorm shifts that are not zero: a masked channel must still carry 0
        if isinstance(m, torch.nn.BatchNorm2d):
            m.bias.data.uniform_(-1, 1)
            m.running_mean.data.uniform_(-1, 1)
    masks = FilterMasks(model)
    masks.prune_to(0.5)
    assert 0.4 < masks.sparsity() <= 0.5
    slim = compact(model, masks.masked)
    assert sum(p.numel() for p in slim.parameters()) < 0.5 * sum(p.numel() for p in model.parameters())
    x = torch.rand(2, 3, 128, 96)
    with torch.no_grad():
        for a, b in zip(model.eval()(x), slim(x)):
            assert torch.allclose(a, b, atol=1e-4, rtol=0)
