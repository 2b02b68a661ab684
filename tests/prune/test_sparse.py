import numpy as np
import pytest
import torch

from lib.measure import storage_bytes
from lib.models import build, load_weights, save_weights
from lib.prune import magnitude_prune
from lib.prune.dispatch import KERNELS, baked_model, to_sparse_inference
from lib.prune.sparse import decode, encode, gap_columns, gap_stream, load_sparse, position_codes, save_sparse


def pruned(name="yolov3", sparsity=0.8, width=0.25, seed=0):
    torch.manual_seed(seed)
    model = build(name, 5, width=width)
    magnitude_prune(model, sparsity, "layer")
    return model


@pytest.mark.parametrize("sparsity,shape", [(0.5, (64, 32, 3, 3)), (0.99, (64, 32, 3, 3)), (0.995, (8, 4096, 1, 1)),
                                            (0.9, (3, 1, 3, 3))])
def test_every_position_code_round_trips(sparsity, shape):
    torch.manual_seed(0)
    w = torch.randn(shape)
    mask = (torch.rand_like(w) > sparsity).float()
    mask[0] = 0  # an empty row
    matrix = mask.numpy().reshape(shape[0], -1).astype(bool)
    for code, streams in position_codes(matrix).items():
        entry = {**encode(w * mask, mask), "code": code, **streams}
        back, back_mask = decode(entry)
        assert torch.equal(back_mask, mask) and torch.equal(back, w * mask), code


def test_a_fully_pruned_tensor_round_trips_in_every_code():
    w, mask = torch.randn(8, 4, 3, 3), torch.zeros(8, 4, 3, 3)
    for code, streams in position_codes(mask.numpy().reshape(8, -1).astype(bool)).items():
        back, back_mask = decode({**encode(w, mask), "code": code, **streams})
        assert not back_mask.any() and not back.any(), code


def test_gap_stream_escapes_long_gaps():
    mask = np.zeros((2, 700), bool)
    mask[0, [0, 300, 699]] = True
    mask[1, [255, 256]] = True
    stream = gap_stream(mask)
    assert stream.tolist() == [1, 0, 45, 0, 144, 0, 1, 1]  # 300 = 255 + 45; the next row starts at 255 + 1
    assert gap_columns(stream, np.array([0, 3, 5])).tolist() == [0, 300, 699, 255, 256]


def test_the_smallest_code_is_chosen():
    torch.manual_seed(0)
    w = torch.randn(64, 512, 3, 3)
    dense_mask = (torch.rand_like(w) > 0.5).float()
    sparse_mask = (torch.rand_like(w) > 0.99).float()
    assert encode(w, dense_mask)["code"] == "bitmask"
    assert encode(w, sparse_mask)["code"] in ("gaps", "csr")


def test_sparse_file_loads_back_bitwise(tmp_path):
    model = pruned("yolo-nano", 0.7)
    save_sparse(model, tmp_path / "m.pt")
    loaded = load_sparse(tmp_path / "m.pt")
    a, b = model.state_dict(), loaded.state_dict()
    assert a.keys() == b.keys()
    for key in a:
        if key.endswith("weight_orig"):
            assert torch.equal(a[key] * a[key.replace("orig", "mask")], b[key])
        else:
            assert torch.equal(a[key], b[key])
    x = torch.rand(1, 3, 96, 96)
    assert all(torch.equal(p, q) for p, q in zip(model.eval()(x), loaded.eval()(x)))


@pytest.mark.parametrize("sparsity,limit_mib", [(0.9, 32), (0.99, 4)])
def test_pruned_yolov3_files_are_small(tmp_path, sparsity, limit_mib):
    model = pruned(width=1.0, sparsity=sparsity)
    save_sparse(model, tmp_path / "y.pt")
    size = (tmp_path / "y.pt").stat().st_size
    assert size <= limit_mib * 2**20
    # byte for byte, whatever the file's name (torch names its zip records after the file)
    save_sparse(model, tmp_path / "a_much_longer_file_name.pt")
    assert storage_bytes(model) == size == (tmp_path / "a_much_longer_file_name.pt").stat().st_size


@pytest.mark.parametrize("name", ["yolov3", "yolo-nano"])
@pytest.mark.parametrize("kernel", [None, *KERNELS])
def test_every_sparse_kernel_and_the_dispatch_equal_the_masked_dense_model(name, kernel):
    model = pruned(name, 0.85).eval()
    sparse = to_sparse_inference(model, 128, repeats=1, force=kernel)
    chosen = {row["kernel"] for row in sparse.dispatch_table}
    assert kernel is None or kernel in chosen  # forced: it ran wherever it applies
    x = torch.rand(2, 3, 128, 96)
    with torch.no_grad():
        for dense_map, sparse_map, baked_map in zip(model(x), sparse(x), baked_model(model)(x)):
            assert torch.allclose(dense_map, sparse_map, atol=1e-4, rtol=0)
            assert torch.allclose(dense_map, baked_map, atol=1e-4, rtol=0)
        # layer by layer too: an untrained model's head maps are near its biases, whatever its convs do
        for row in sparse.dispatch_table:
            masked, swapped = model.get_submodule(row["layer"]), sparse.get_submodule(row["layer"])
            layer_input = torch.randn(2, masked.in_channels, 13, 10)
            assert torch.allclose(masked(layer_input), swapped(layer_input), atol=1e-4, rtol=0), row
    assert any(hasattr(m, "weight_mask") for m in model.modules())  # the model given is left as it was


def test_a_file_of_another_kind_is_refused(tmp_path):
    torch.save({"hello": 1}, tmp_path / "x.pt")
    with pytest.raises(ValueError, match="not a sparse model file"):
        load_sparse(tmp_path / "x.pt")


def test_a_masked_model_file_loads_with_its_masks(tmp_path):
    model = pruned("yolov3-tiny", 0.6)
    save_weights(model, tmp_path / "w.pt")
    loaded = load_weights(tmp_path / "w.pt")
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), loaded.state_dict().values()))
