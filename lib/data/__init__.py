"""Datasets by name, all read through validated VOC / ExDark readers.

    open_split("builtin", "train")                       # generated light scenes (default)
    open_split("builtin-dark", "val")                    # generated low-light scenes
    open_split("voc", "test", data_root="~/data")        # VOC2012 train/val, VOC2007 test
    open_split("exdark", "train", data_root="~/ExDark")  # the official split
    open_split("vocformat", "train", data_root="my_set", classes=["cat", "dog"])
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from .augment import AugmentParams
from .exdark import EXDARK_CLASSES, read_exdark
from .loader import DetectionDataset, collate, multiscale_sizes, resize_batch
from .records import DatasetError, DetectionIndex, Record
from .synthetic import BuiltinSpec, builtin_dataset
from .voc import VOC_CLASSES, read_voc

DATASETS = ("builtin", "builtin-dark", "voc", "exdark", "vocformat")
VOC_PAPER_YEARS = {"train": 2012, "val": 2012, "test": 2007, "trainval": 2012}  # book/spec.md, Evaluation


def open_split(dataset: str, split: str, data_root: str | Path | None = None, skip_invalid: bool = False,
               classes: Sequence[str] | None = None, year: int | None = None,
               builtin: dict | None = None) -> DetectionIndex:
    """Open and validate one split of a dataset by name.

    builtin: overrides of BuiltinSpec fields (image size, counts, classes, seed)
    for the generated datasets; they are generated on first use.
    """
    if dataset not in DATASETS:
        raise DatasetError(f"dataset: unknown name {dataset!r}; expected one of {DATASETS}")
    if dataset.startswith("builtin"):
        variant = "dark" if dataset == "builtin-dark" else "light"
        root = builtin_dataset(BuiltinSpec(**{**(builtin or {}), "variant": variant}))
        return read_voc(root, split, skip_invalid=skip_invalid, name=dataset)
    if data_root is None:
        raise DatasetError(f"data_root: required for dataset {dataset!r} (the folder you unpacked it into)")
    root = Path(data_root).expanduser()
    if dataset == "exdark":
        return read_exdark(root, split, skip_invalid=skip_invalid)
    if dataset == "voc":
        return read_voc(root, split, year or VOC_PAPER_YEARS.get(split), classes or VOC_CLASSES, skip_invalid)
    return read_voc(root, split, year, classes, skip_invalid, name="vocformat")


__all__ = ["DATASETS", "EXDARK_CLASSES", "VOC_CLASSES", "AugmentParams", "BuiltinSpec", "DatasetError",
           "DetectionDataset", "DetectionIndex", "Record", "builtin_dataset", "collate", "multiscale_sizes",
           "open_split", "read_exdark", "read_voc", "resize_batch"]
