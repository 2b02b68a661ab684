import functools
import os
import subprocess
import sys

import pytest

from lib.models import build

# Started with no standard input at all (fd 0 closed), Python leaves sys.__stdin__ None, and
# IPython's import inside a test (papermill run in-process) then fails pytest's capture
# assertion. Such a run reads nothing from stdin: give it an empty one.
if sys.__stdin__ is None:
    sys.__stdin__ = open(os.devnull)


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


@pytest.fixture
def study_cache(tmp_path, monkeypatch):
    """A test's own $STUDY_CACHE (generated datasets, the images known to decode)."""
    monkeypatch.setenv("STUDY_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def dead_pid() -> int:
    """The pid of a process that has ended (and been reaped): a killed writer's."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid
