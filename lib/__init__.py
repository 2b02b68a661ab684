"""Reproducible study of model compression for YOLOv3-family object detectors.

Sub-packages, one concern each: ``lib.models`` (the detector zoo), ``lib.data``
(datasets and augmentation) and ``lib.measure`` (parameters, MACs, storage).
"""

__version__ = "0.1.0"
