"""A compact file for pruned models (sparse inference: ``dispatch``).

Each masked conv weight, seen as an (out, in/groups * k * k) matrix, is stored as
its alive values (deflated, in a precision of ``lib.codecs``: float32 by default, bitwise
exact; or float16, or int8 with one scale per row) plus the smallest, after deflate, of
three position codes:
  bitmask: one bit per weight (numpy.packbits);
  csr:     row pointers and column indices, each of the narrowest unsigned type that fits;
  gaps:    row pointers and one byte per alive weight, its distance from the previous one.
Everything else (BatchNorm, biases, output convs) is stored dense, as it is.
"""
from __future__ import annotations

import os
from typing import BinaryIO

import numpy as np
import torch
from torch import Tensor

from ..codecs import check_precision, decode_values, encode_values, pack, unpack
from ..models import Detector
from ..models.io import (ModelFileError, decoding, expected_shapes, from_state, misfit, read_file, stored_shape,
                         to_bytes, write_bytes)
from .masks import weight

FORMAT = "compression-study/sparse-v2"
UNSIGNED = (np.uint8, np.uint16, np.uint32, np.uint64)
GAP_ESCAPE = 255  # in a gap stream a 0 byte means "255 further, no weight yet"


def narrowest(max_value: int):
    return next(t for t in UNSIGNED if max_value <= np.iinfo(t).max)


def gap_stream(mask: np.ndarray) -> np.ndarray:
    """Per row, the distance from the previous alive column (from -1 at a row's start),
    one byte each; distances over 255 are preceded by 0-escapes worth 255 each."""
    rows, cols = np.nonzero(mask)
    if len(cols) == 0:  # global pruning can empty a whole layer
        return np.zeros(0, np.uint8)
    gaps = np.diff(cols, prepend=-1)
    first = np.r_[True, rows[1:] != rows[:-1]]
    gaps[first] = cols[first] + 1
    escapes = (gaps - 1) // GAP_ESCAPE
    stream = np.zeros(int((escapes + 1).sum()), np.uint8)
    stream[np.cumsum(escapes + 1) - 1] = gaps - GAP_ESCAPE * escapes
    return stream


def gap_columns(stream: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Inverse of gap_stream: the column of every alive weight, row-major."""
    step = np.where(stream == 0, GAP_ESCAPE, stream).astype(np.int64)
    at_entry = np.cumsum(step)[stream != 0]                      # running position at each weight
    rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    row_start = indptr[rows]
    base = np.where(row_start > 0, at_entry[np.maximum(row_start - 1, 0)], 0)
    return at_entry - base - 1


def position_codes(mask: np.ndarray) -> dict[str, dict[str, Tensor]]:
    """The three ways to store where the alive weights are, each deflated."""
    counts = mask.sum(1)
    indptr = np.r_[0, np.cumsum(counts)].astype(narrowest(int(counts.sum())))
    columns = np.nonzero(mask)[1].astype(narrowest(max(mask.shape[1] - 1, 0)))
    return {"bitmask": {"bits": pack(np.packbits(mask))},
            "csr": {"indptr": pack(indptr), "indices": pack(columns)},
            "gaps": {"indptr": pack(indptr), "gaps": pack(gap_stream(mask))}}


def encode(w: Tensor, mask: Tensor, precision: str = "fp32") -> dict:
    """Alive values of ``w`` in ``precision`` and the smallest position code of ``mask``."""
    rows = w.shape[0]
    m = mask.detach().cpu().numpy().reshape(rows, -1).astype(bool)
    codes = position_codes(m)
    code = min(codes, key=lambda c: sum(t.numel() for t in codes[c].values()))
    values = encode_values(w.detach().cpu().numpy().reshape(rows, -1)[m], np.nonzero(m)[0], rows, precision)
    return {"shape": tuple(w.shape), **values, "code": code, "nnz": int(m.sum()), **codes[code]}


def decode(entry: dict) -> tuple[Tensor, Tensor]:
    """(dense weight with zeros where pruned, 0/1 mask), both float32."""
    shape, nnz = entry["shape"], int(entry["nnz"])
    rows, size = shape[0], int(np.prod(shape))
    if not 0 <= nnz <= size:
        raise ValueError(f"{nnz} alive weights in a tensor of {size}")
    if entry["code"] == "bitmask":
        m = np.unpackbits(unpack(entry["bits"], np.uint8, -(-size // 8)), count=size).astype(bool).reshape(rows, -1)
    else:
        indptr = unpack(entry["indptr"], narrowest(nnz), rows + 1).astype(np.int64)
        if indptr[0] != 0 or indptr[-1] != nnz or (np.diff(indptr) < 0).any():
            raise ValueError("row pointers that do not count the alive weights")
        escapes = size // GAP_ESCAPE + rows  # at most: the gaps of a row add up to its length
        cols = (unpack(entry["indices"], narrowest(max(size // rows - 1, 0)), nnz).astype(np.int64)
                if entry["code"] == "csr" else gap_columns(unpack(entry["gaps"], np.uint8, nnz + escapes, exact=False),
                                                           indptr))
        m = np.zeros((rows, size // rows), bool)
        m[np.repeat(np.arange(rows), np.diff(indptr)), cols] = True
    dense = np.zeros(m.shape, np.float32)
    dense[m] = decode_values(entry, np.nonzero(m)[0])
    return torch.from_numpy(dense).view(shape), torch.from_numpy(m.astype(np.float32)).view(shape)


def save_sparse(model: Detector, path: str | os.PathLike | BinaryIO, precision: str = "fp32") -> None:
    """Write the compact file (a path or a binary file object), the alive values in
    ``precision`` (``lib.codecs.PRECISIONS``)."""
    check_precision(precision)
    masked = {n for n, m in model.named_modules() if hasattr(m, "weight_mask")}
    modules = dict(model.named_modules())
    dense = {k: v for k, v in model.state_dict().items()
             if k.rsplit(".", 1)[0] not in masked or not k.rsplit(".", 1)[1].startswith("weight")}
    sparse = {n: encode(weight(modules[n]), modules[n].weight_mask, precision) for n in sorted(masked)}
    write_bytes(to_bytes({"format": FORMAT, "arch": dict(model.arch), "dense": dense, "sparse": sparse}), path)


def load_sparse(path: str | os.PathLike, map_location="cpu") -> Detector:
    """The masked model back: masks and alive weights as saved (bitwise for float32)."""
    remedy = "give a file written by lib.prune.save_sparse"
    blob = read_file(path, "sparse model file", remedy)
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a sparse model file ({FORMAT}); {remedy}")
    expected = expected_shapes(blob.get("arch"), path)  # the architecture's shapes, nothing allocated
    if not isinstance(blob.get("dense"), dict) or not isinstance(blob.get("sparse"), dict):
        raise ModelFileError(f"{path}: its 'dense' and 'sparse' parts are not both dicts; the file is damaged or "
                             "was edited by hand")
    state = dict(blob["dense"])
    for name, entry in blob["sparse"].items():
        want = expected.get(f"{name}.weight")
        if want is None or stored_shape(entry) != tuple(want):
            raise misfit(path, f"sparse entry {name!r}", stored_shape(entry), want)
        with decoding(path, f"sparse entry {name!r}"):
            state[f"{name}.weight_orig"], state[f"{name}.weight_mask"] = decode(entry)
    return from_state(blob["arch"], state, path).to(map_location)
