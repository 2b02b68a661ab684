import functools

import pytest

from lib.models import build


@functools.lru_cache(maxsize=None)
def _full_size(name: str, num_classes: int, activation: str | None):
    return build(name, num_classes, activation=activation)


@pytest.fixture
def full_size():
    """Width-1.0 models, built once per session (building YOLOv3 takes a second)."""
    return _full_size


@pytest.fixture
def context():
    """A callback's Context outside the loop: ``context(model, epochs)`` on the smoke profile."""
    import torch

    from lib.profiles import profile_params
    from lib.train import Context, YoloLoss
    from lib.train.optim import make_optimizer

    def make(model, epochs: int = 2) -> Context:
        params = profile_params("smoke", **{"model.name": model.arch["name"], "train.epochs": epochs})
        return Context(model=model, params=params, loss=YoloLoss(model, params.train), run_dir=None,
                       device=torch.device("cpu"), optimizer=make_optimizer(model, params.train, 0.01))
    return make
