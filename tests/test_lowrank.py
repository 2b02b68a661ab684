import io

import pytest
import torch
from torch import nn

from lib.counting import count_params
from lib.lowrank import LowRankParams, run_tucker2, tucker2, tucker2_conv
from lib.models import build, load_weights, save_weights
from lib.paths import BEST
from lib.profiles import profile_params
from lib.train import train


def test_tucker2_at_full_rank_is_the_conv_itself():
    torch.manual_seed(0)
    conv = nn.Conv2d(12, 20, 3, stride=2, padding=1)
    factors = tucker2_conv(conv, rank_ratio=1.0)
    assert [f.out_channels for f in factors] == [12, 20, 20]
    x = torch.randn(2, 12, 11, 9)
    assert torch.allclose(factors(x), conv(x), atol=1e-4, rtol=0)
    assert [f.out_channels for f in tucker2_conv(conv, energy=1.0)][:2] == [12, 20]


def test_tucker2_at_rank_r_has_the_parameters_counted_by_hand():
    conv = nn.Conv2d(32, 64, 3, padding=1, bias=True)
    factors = tucker2_conv(conv, rank_ratio=0.25)  # R_in = 8, R_out = 16
    assert count_params(factors) == 32 * 8 + 8 * 16 * 9 + 16 * 64 + 64
    x = torch.randn(1, 32, 8, 8)
    assert not torch.allclose(factors(x), conv(x), atol=1e-3)  # a random conv is not of low rank


def test_a_factorised_detector_counts_and_reloads():
    torch.manual_seed(0)
    model = build("yolov3-tiny", 3, width=0.25).eval()
    small = tucker2(model, rank_ratio=0.25)
    replaced = {name: model.get_submodule(name) for name in small.arch["lowrank"]}
    assert replaced and all(conv.kernel_size == (3, 3) for conv in replaced.values())
    by_hand = sum(c.in_channels * ri + ri * ro * 9 + ro * c.out_channels - c.weight.numel()
                  for (ri, ro), c in zip(small.arch["lowrank"].values(), replaced.values()))
    assert count_params(small) == count_params(model) + by_hand
    buffer = io.BytesIO()
    save_weights(small, buffer)
    loaded = load_weights(io.BytesIO(buffer.getvalue())).eval()
    x = torch.rand(1, 3, 96, 96)
    with torch.no_grad():
        assert all(torch.equal(a, b) for a, b in zip(small(x), loaded(x)))
        assert not any(torch.allclose(a, b) for a, b in zip(small(x), model(x)))


def test_a_model_factorised_twice_reloads():
    torch.manual_seed(0)
    twice = tucker2(tucker2(build("yolov3-tiny", 3, width=0.25), rank_ratio=0.5), rank_ratio=0.5)
    assert any(name.endswith(".1") and name.rsplit(".", 1)[0] in twice.arch["lowrank"] for name in twice.arch["lowrank"])
    buffer = io.BytesIO()
    save_weights(twice, buffer)
    loaded = load_weights(io.BytesIO(buffer.getvalue())).eval()
    x = torch.rand(1, 3, 96, 96)
    with torch.no_grad():
        assert all(torch.equal(a, b) for a, b in zip(twice.eval()(x), loaded(x)))


@pytest.mark.parametrize("kwargs", [{"rank_ratio": 0}, {"rank_ratio": 1.5}, {"rank_ratio": None},
                                    {"rank_ratio": 0.5, "energy": 0.9}])
def test_bad_ranks_are_named(kwargs):
    with pytest.raises(ValueError, match="tucker2:"):
        tucker2(build("yolov3-tiny", 3, width=0.25), **kwargs)


def test_a_tucker2_run_fine_tunes_the_factorised_model_for_its_epochs(tmp_path):
    params = profile_params("smoke", **{"model.name": "yolov3-tiny", "train.epochs": 2})
    train(params, tmp_path / "dense", log=lambda _: None)
    metrics = run_tucker2(params, LowRankParams(rank_ratio=0.25, finetune_epochs=1), tmp_path / "dense" / BEST,
                          tmp_path, log=lambda _: None)
    assert metrics["epochs"] == 1 and metrics["params"]["train"]["epochs"] == 1
    slim, dense = load_weights(f"{metrics['run_dir']}/{BEST}"), load_weights(tmp_path / "dense" / BEST)
    assert slim.arch["lowrank"] and sum(p.numel() for p in slim.parameters()) < sum(p.numel() for p in dense.parameters())
    with pytest.raises(ValueError, match="finetune_epochs"):
        run_tucker2(params, LowRankParams(finetune_epochs=0), tmp_path / "dense" / BEST, tmp_path)
