import math

import pytest
import torch

from lib.profiles import profile_params
from lib.prune import prunable_layers, sparsity
from lib.paths import METRICS, SNAPSHOT, round_dir
from lib.prune.lth import LTHParams, check, lth_rounds, run_lth
from lib.prune.masks import get_masks, weight
from lib.prune.rewind import RewindSnapshot, last_state, rewind, trained_model
from lib.models import build
from lib.train import train


def smoke(**overrides):
    return profile_params("smoke", **{"model.name": "yolov3-tiny", "train.epochs": 2, **overrides})


def test_schedules_land_exactly_on_the_target():
    assert LTHParams(0.9, rounds=1).sparsities() == [0.9]
    three = LTHParams(0.9, rounds=3).sparsities()
    assert three[-1] == 0.9 and three[0] == pytest.approx(1 - 0.1 ** (1 / 3))
    by_rate = LTHParams(0.9, rounds=None, rate=0.2).sparsities()
    assert len(by_rate) == math.ceil(math.log(0.1) / math.log(0.8)) == 11 and by_rate[-1] == 0.9
    assert all(a < b for a, b in zip(by_rate, by_rate[1:]))


@pytest.mark.parametrize("lth,field", [
    (LTHParams(1.0), "LTHParams.target_sparsity"), (LTHParams(0.9, rate=1.5, rounds=None), "LTHParams.rate"),
    (LTHParams(0.9, scope="channel"), "lth.scope"), (LTHParams(0.9, rounds=0), "LTHParams.rounds"),
    (LTHParams(0.9, rounds=2, rate=0.2), "not the target"), (LTHParams(0.9, rewind_epoch=2), "lth.rewind_epoch"),
])
def test_bad_lth_parameters(lth, field):
    with pytest.raises(ValueError, match=field):
        check(lth, smoke())


def test_rewind_restores_the_snapshot_under_the_masks():
    torch.manual_seed(0)
    snapshot = {k: v.clone() for k, v in build("yolov3-tiny", 3, width=0.25).state_dict().items()}
    model = build("yolov3-tiny", 3, width=0.25)  # other weights
    layers = prunable_layers(model)
    masks = {n: (torch.rand_like(m.weight) > 0.5).float() for n, m in layers.items()}
    rewind(model, snapshot, masks)
    for name, layer in prunable_layers(model).items():
        assert torch.equal(weight(layer), snapshot[f"{name}.weight"] * masks[name])
    state = model.state_dict()
    assert all(torch.equal(state[k], v) for k, v in snapshot.items() if k in state)


def test_two_rounds_end_on_the_exact_sparsity_from_one_snapshot(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDY_CACHE", str(tmp_path / "cache"))
    lth = LTHParams(0.75, rounds=2, scope="global", rewind_epoch=1)
    results = run_lth(smoke(), lth, tmp_path, log=lambda _: None)
    assert len(results) == 3 and all("test" in r for r in results)
    rounds = lth_rounds(smoke(), lth, tmp_path)
    snapshot = torch.load(rounds[0] / SNAPSHOT, weights_only=True)
    assert snapshot["epoch"] == 1
    ticket = trained_model(rounds[2])
    masks = get_masks(ticket)
    n = sum(m.numel() for m in masks.values())
    assert sum(int(m.sum()) for m in masks.values()) == round(0.25 * n)  # exactly the requested sparsity
    first = get_masks(trained_model(rounds[1]))
    assert sparsity(first) == pytest.approx(0.5, abs=1 / n) and all(torch.all(masks[k] <= first[k]) for k in masks)
    # the snapshot is taken once, in round 0, and the rounds do not touch it again
    stamp = (rounds[0] / SNAPSHOT).stat().st_mtime_ns
    assert run_lth(smoke(), lth, tmp_path, log=lambda _: None) == results
    assert (rounds[0] / SNAPSHOT).stat().st_mtime_ns == stamp
    assert "lth_start" in last_state(rounds[2])["callbacks"]


def test_a_shared_dense_run_is_round_zero(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDY_CACHE", str(tmp_path / "cache"))
    dense = tmp_path / "dense"
    train(smoke(), dense, [RewindSnapshot(1)], log=lambda _: None)
    stamp = (dense / METRICS).stat().st_mtime_ns
    lth = LTHParams(0.5, rewind_epoch=1)
    results = run_lth(smoke(), lth, tmp_path / "lth", round0=dense, log=lambda _: None)
    assert len(results) == 2 and (dense / METRICS).stat().st_mtime_ns == stamp  # not retrained
    assert not round_dir(lth_rounds(smoke(), lth, tmp_path / "lth")[1].parent, 0).exists()
    with pytest.raises(ValueError, match="rewind_epoch: 0, but .* holds epoch 1"):
        run_lth(smoke(), LTHParams(0.5, rewind_epoch=0), tmp_path / "lth", round0=dense, log=lambda _: None)
