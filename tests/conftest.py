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
