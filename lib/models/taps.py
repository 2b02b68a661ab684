"""Feature taps: read intermediate outputs by the paper's layer names
(Darknet indices "36", "61", "79", "91" for YOLOv3 / YOLOv3-Mobile; "pep7",
"pep15", "conv5", "conv7" for YOLO Nano) without changing forward()."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from torch import Tensor

from .head import Detector


def tap_module(model: Detector, name: str | int):
    modules = model.tap_modules()
    key = str(name)
    if key not in modules:
        shown = sorted(modules, key=lambda k: (not k.isdigit(), int(k) if k.isdigit() else 0, k))
        raise KeyError(f"tap {name!r}: not a layer of {type(model).__name__}; "
                       f"expected one of {shown[:8]}{' ...' if len(shown) > 8 else ''}")
    return modules[key]


@contextmanager
def capture(model: Detector, names: list[str | int]) -> Iterator[dict[str, Tensor]]:
    """Within the block, every forward pass stores tap outputs in the yielded dict.

    >>> with capture(model, [36, 61]) as feats:
    ...     maps = model(x)        # feats["36"]: (N, 256, H/8, W/8) for YOLOv3
    """
    features: dict[str, Tensor] = {}
    handles = []
    for name in names:
        module = tap_module(model, name)
        handles.append(module.register_forward_hook(
            lambda _m, _inp, out, key=str(name): features.__setitem__(key, out)))
    try:
        yield features
    finally:
        for handle in handles:
            handle.remove()
