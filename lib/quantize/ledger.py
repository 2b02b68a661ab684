"""The storage ledger: one model written in every encoding the study compares, each a
real file whose bytes are counted, and each read back by a loader of its own.

  dense fp32      the study's model file (``lib.models.save_weights``), as torch saves it;
  dense deflated  the same float32 values, deflated (the like-for-like baseline of a sparse file);
  dense fp16      every float tensor in float16, deflated;
  dense int8      conv and linear weights in int8 (one scale per output channel), the rest
                  float32, deflated;
  sparse fp32 / fp16 / int8   a masked model's sparse file (``lib.prune.save_sparse``), its
                  alive values in that precision.

The precisions are ``lib.codecs``'s. A masked model's dense files hold its masked weights.
"""
from __future__ import annotations

import math
import os
from typing import BinaryIO

import torch

from ..codecs import check_precision, decode_matrix, encode_matrix
from ..models import Detector, save_weights
from ..models.io import (ModelFileError, decoding, expected_shapes, from_state, misfit, read_file, stored_shape,
                         to_bytes, write_bytes, written_size)
from ..prune.dispatch import baked_model
from ..prune.masks import is_masked
from ..prune.sparse import save_sparse

FORMAT = "compression-study/dense-v1"
DENSE = ("dense fp32", "dense deflated", "dense fp16", "dense int8")
SPARSE = ("sparse fp32", "sparse fp16", "sparse int8")
LEDGER = DENSE + SPARSE


def encoded(tensor: torch.Tensor, precision: str):
    """A state_dict entry in ``precision``: int8 only for weights of two or more
    dimensions (a vector's per-row scale would cost more than its values), float32 then."""
    if not tensor.is_floating_point():
        return tensor
    return encode_matrix(tensor.reshape(-1, 1) if tensor.ndim < 2 else tensor,
                         "fp32" if precision == "int8" and tensor.ndim < 2 else precision) | {"vector": tensor.ndim < 2}


def decoded(entry):
    if not isinstance(entry, dict):
        return entry
    matrix = decode_matrix(entry)
    return matrix.flatten() if entry["vector"] else matrix


def save_encoded(model: Detector, file: str | os.PathLike | BinaryIO, precision: str) -> None:
    """Write ``model`` (masked weights baked in) with every float tensor deflated in ``precision``."""
    check_precision(precision)
    plain = baked_model(model) if is_masked(model) else model
    state = {k: encoded(v, precision) for k, v in plain.state_dict().items()}
    write_bytes(to_bytes({"format": FORMAT, "arch": dict(plain.arch), "precision": precision, "state": state}), file)


def load_encoded(file: str | os.PathLike | BinaryIO) -> Detector:
    """The model of a ``save_encoded`` file, its weights as decoded (float32)."""
    remedy = "give a file written by lib.quantize.ledger.save_encoded"
    blob = read_file(file, "encoded model file", remedy)
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise ModelFileError(f"{file}: not an encoded model file ({FORMAT}); {remedy}")
    expected = expected_shapes(blob.get("arch"), file)  # the architecture's shapes, nothing allocated
    if not isinstance(blob.get("state"), dict):
        raise ModelFileError(f"{file}: its 'state' is not a dict; the file is damaged or was edited by hand")
    state = {}
    for key, entry in blob["state"].items():
        want = expected.get(key)
        if isinstance(entry, dict):  # an encoded tensor: its claimed shape, before anything is inflated
            shape = stored_shape(entry)
            if want is None or not shape or shape[0] != (want[0] if want else 1) or math.prod(shape) != math.prod(want):
                raise misfit(file, f"entry {key!r}", shape, want)
        with decoding(file, f"entry {key!r}"):
            state[key] = decoded(entry)
    return from_state(blob["arch"], state, file)


def writers(model: Detector) -> dict:
    """Encoding name -> a function writing ``model`` in it to a binary file."""
    plain = baked_model(model) if is_masked(model) else model
    out = {"dense fp32": lambda f: save_weights(plain, f),
           "dense deflated": lambda f: save_encoded(plain, f, "fp32"),
           "dense fp16": lambda f: save_encoded(plain, f, "fp16"),
           "dense int8": lambda f: save_encoded(plain, f, "int8")}
    if is_masked(model):
        out |= {f"sparse {p}": (lambda f, p=p: save_sparse(model, f, p)) for p in ("fp32", "fp16", "int8")}
    return out


def storage_ledger(model: Detector) -> dict[str, int]:
    """Bytes of ``model``'s file in each encoding of ``LEDGER`` that applies (sparse: masked models)."""
    return {name: written_size(write) for name, write in writers(model).items()}
