"""The detector zoo, built by name: ``lib.models.build("yolov3", num_classes=20)``.

Every model's ``forward(x)`` takes (N, 3, H, W) with H, W multiples of 32 and
returns raw head maps, one per scale, largest stride first: (N, 3*(5+C), H/s, W/s).
``model.decode(maps)`` turns them into boxes in input pixels.
"""
from __future__ import annotations

from .head import Detector
from .io import ModelFileError, fresh, load_weights, save_weights
from .slim import channel_counts
from .taps import capture
from .zoo import REGISTRY, build, computation, default_anchors, residual_norms

__all__ = ["REGISTRY", "Detector", "ModelFileError", "build", "capture", "channel_counts", "computation", "default_anchors", "fresh", "load_weights", "residual_norms",
           "save_weights"]
