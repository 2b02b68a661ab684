"""The study's model file: a plain dict with the architecture and the float32
weights (state_dict, BatchNorm buffers included), self-describing so that
``load_weights`` rebuilds the right detector, masks included (torch's
``weight_orig`` / ``weight_mask`` convention) for a pruned one."""
from __future__ import annotations

import io
import os
from typing import BinaryIO

import torch
from torch.nn.utils import prune

from .head import Detector


def weights_blob(model: Detector) -> dict:
    """The model file's content: {"arch": build() arguments, "state_dict": weights}."""
    return {"arch": dict(model.arch), "state_dict": model.state_dict()}


def to_bytes(obj) -> bytes:
    """``torch.save``'s bytes of ``obj``, the same whatever file they end up in (torch
    names its zip records after the file it writes, so saving to paths of other names
    gives files of other sizes)."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def write_bytes(data: bytes, file: str | os.PathLike | BinaryIO) -> None:
    if isinstance(file, (str, os.PathLike)):
        with open(file, "wb") as f:
            f.write(data)
    else:
        file.write(data)


def save_weights(model: Detector, file: str | os.PathLike | BinaryIO) -> None:
    write_bytes(to_bytes(weights_blob(model)), file)


def load_weights(file: str | os.PathLike | BinaryIO, map_location="cpu") -> Detector:
    blob = torch.load(file, map_location=map_location, weights_only=True)
    if not isinstance(blob, dict) or "arch" not in blob or "state_dict" not in blob:
        raise ValueError(f"{file}: not a model file of this study (expected keys 'arch' and 'state_dict')")
    return from_state(blob["arch"], blob["state_dict"])


def from_state(arch: dict, state_dict: dict) -> Detector:
    """Build ``arch`` and load ``state_dict`` into it, attaching its masks first if it has any."""
    from . import build  # the registry imports this module's siblings

    model = build(**arch)
    for key, mask in state_dict.items():
        if key.endswith(".weight_mask"):
            prune.custom_from_mask(model.get_submodule(key.removesuffix(".weight_mask")), "weight", mask)
    model.load_state_dict(state_dict)
    return model
