import io

import pytest
import torch

from lib.codecs import decode_matrix, encode_matrix
from lib.measure import deflated_bytes, storage_bytes
from lib.models import build
from lib.prune import load_sparse, magnitude_prune, save_sparse
from lib.prune.masks import weight
from lib.quantize import LEDGER, load_encoded, save_encoded, storage_ledger


# int8 reads back within half a step of its scale s, plus float32's rounding of q * s
# (|q| <= 127: under 127 * 2**-23 * s)
HALF_STEP = 0.5 + 127 * 2**-23


def within_int8(back, w):
    """Every row of ``back`` within half an int8 step of ``w``'s, the step max |row| / 127."""
    scale = w.flatten(1).abs().amax(1) / 127
    return bool(((back - w).abs().flatten(1).amax(1) <= scale * HALF_STEP).all())


def masked_model(sparsity=0.8):
    torch.manual_seed(0)
    model = build("yolov3-tiny", 3, width=0.25)
    magnitude_prune(model, sparsity, "layer")
    return model.eval()


def test_each_precision_round_trips_a_matrix():
    torch.manual_seed(0)
    w = torch.randn(16, 8, 3, 3) * torch.logspace(-3, 1, 16).view(16, 1, 1, 1)  # rows of very different ranges
    w[3] = 0  # an all-zero row
    assert torch.equal(decode_matrix(encode_matrix(w, "fp32")), w)
    assert torch.equal(decode_matrix(encode_matrix(w, "fp16")), w.half().float())
    back = decode_matrix(encode_matrix(w, "int8"))
    assert within_int8(back, w)
    assert torch.equal(back[3], w[3]) and not torch.equal(back, w)  # zeros stay zeros; int8 is not lossless
    with pytest.raises(ValueError, match="precision: expected one of"):
        encode_matrix(w, "int4")


def state_of(model):
    """A masked model's weights as it computes with them (masks multiplied in)."""
    modules = dict(model.named_modules())
    out = {}
    for key, value in model.state_dict().items():
        owner, _, leaf = key.rpartition(".")
        if leaf == "weight_mask":
            continue
        out[owner + ".weight" if leaf == "weight_orig" else key] = weight(modules[owner]) if leaf == "weight_orig" else value
    return out


@pytest.mark.parametrize("precision", ["fp32", "fp16", "int8"])
def test_every_dense_encoding_round_trips(precision):
    model = masked_model()
    buffer = io.BytesIO()
    save_encoded(model, buffer, precision)
    loaded = load_encoded(io.BytesIO(buffer.getvalue())).state_dict()
    for key, value in state_of(model).items():
        if not value.is_floating_point() or precision == "fp32":
            assert torch.equal(loaded[key], value), key
        elif precision == "fp16":
            assert torch.equal(loaded[key], value.half().float()), key
        elif value.ndim < 2:  # int8 leaves vectors (BatchNorm, biases) in float32
            assert torch.equal(loaded[key], value), key
        else:
            assert within_int8(loaded[key], value), key


@pytest.mark.parametrize("precision", ["fp16", "int8"])
def test_every_sparse_encoding_round_trips_with_its_masks(tmp_path, precision):
    model = masked_model()
    save_sparse(model, tmp_path / "m.pt", precision)
    loaded = dict(load_sparse(tmp_path / "m.pt").named_modules())
    for name, module in model.named_modules():
        if hasattr(module, "weight_mask"):
            w, back = weight(module), weight(loaded[name])
            assert torch.equal(loaded[name].weight_mask, module.weight_mask), name
            if precision == "fp16":
                assert torch.equal(back, w.half().float()), name
            else:
                assert within_int8(back, w), name


def test_the_ledger_measures_real_files_that_shrink_with_precision():
    model = masked_model()
    sizes = storage_ledger(model)
    assert list(sizes) == list(LEDGER)
    assert sizes["sparse fp32"] == storage_bytes(model) and sizes["dense deflated"] == deflated_bytes(model)
    assert sizes["dense int8"] < sizes["dense fp16"] < sizes["dense deflated"] < sizes["dense fp32"]
    assert sizes["sparse int8"] < sizes["sparse fp16"] < sizes["sparse fp32"] < sizes["dense deflated"]
    dense = storage_ledger(build("yolov3-tiny", 3, width=0.25))
    assert set(dense) == {"dense fp32", "dense deflated", "dense fp16", "dense int8"}
