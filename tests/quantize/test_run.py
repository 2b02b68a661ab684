"""The study's int8 runs: a trained model file quantized, scored, and rebuilt exactly
where it is timed."""
import pytest
import torch

from lib.paths import BEST
from lib.profiles import profile_params
from lib.quantize import Int8Params, load_int8, run_int8
from lib.quantize.run import CALIBRATION
from lib.train import train
from lib.train.distributed import World
from lib.train.run import make_loader, open_data, scored


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("int8")
    params = profile_params("smoke", **{"model.name": "yolov3-tiny", "train.epochs": 1})
    train(params, root / "source", log=lambda _: None)
    return params, root


def test_an_int8_run_scores_the_model_it_rebuilds(trained):
    params, root = trained
    metrics = run_int8(params, Int8Params(calibration_images=6), root / "source" / BEST, root)
    folder = metrics["run_dir"]
    assert torch.load(f"{folder}/{CALIBRATION}", weights_only=True).shape == (6, 3, 128, 128)
    assert metrics["quantized_ops"]["int8 conv"] > 0 and metrics["epochs"] == 0
    first, again = load_int8(folder), load_int8(folder)
    x = torch.rand(1, 3, 128, 128)
    assert all(torch.equal(a, b) for a, b in zip(first(x), again(x)))  # the calibration fixes the int8 model
    data = open_data(params)
    test = scored(again, make_loader(data["test"], params, World(), False, 0), params, torch.device("cpu"),
                  data["train"].classes)
    assert test == metrics["test"]
    assert run_int8(params, Int8Params(calibration_images=6), root / "source" / BEST, root)["test"] == test  # done


def test_bad_int8_settings_and_sources_are_named(trained, tmp_path):
    params, root = trained
    with pytest.raises(ValueError, match="calibration_images"):
        run_int8(params, Int8Params(calibration_images=0), root / "source" / BEST, tmp_path)
    with pytest.raises(ValueError, match="source: no model file"):
        run_int8(params, Int8Params(), tmp_path / "missing.pt", tmp_path)
