"""How the study's files store weight values, in three precisions (the storage ledger's
columns, ``lib.quantize.ledger``):

  fp32: lossless.
  fp16: IEEE half, rounded to nearest: ``decode(encode(w)) == w.half().float()``.
  int8: symmetric, one scale per row of the weight seen as (out, in/groups * k * k):
        scale = max |w| of the row / 127, q = round(w / scale), so |w - q * scale| <= scale / 2.

Values arrive flat, each with its row (a sparse file stores only the alive ones).
"""
from __future__ import annotations

import zlib

import numpy as np
import torch
from torch import Tensor

PRECISIONS = ("fp32", "fp16", "int8")
FLOATS = {"fp32": np.float32, "fp16": np.float16}


def pack(array: np.ndarray) -> Tensor:
    """An array's bytes, deflated, as a uint8 tensor."""
    return torch.frombuffer(bytearray(zlib.compress(np.ascontiguousarray(array).tobytes(), 6)), dtype=torch.uint8)


def unpack(blob: Tensor, dtype, count: int, exact: bool = True) -> np.ndarray:
    """The ``count`` values of ``dtype`` that ``pack`` deflated (``exact=False``: at most
    ``count``). A stream that inflates to more (a damaged or hostile file) stops at that
    size and is a ValueError, so a few bytes of a file can never ask for gigabytes."""
    expected = count * np.dtype(dtype).itemsize
    inflater = zlib.decompressobj()
    data = inflater.decompress(blob.numpy().tobytes(), expected)
    if inflater.unconsumed_tail or (len(data) != expected if exact else len(data) % np.dtype(dtype).itemsize):
        raise ValueError(f"a deflated stream does not hold the {count} value(s) of {np.dtype(dtype)} expected")
    return np.frombuffer(data, dtype=dtype)


def pack_floats(values: np.ndarray, dtype=np.float32) -> Tensor:
    """Float values with their bytes regrouped by significance (sign/exponent bytes
    together), then deflated: smaller than deflating the floats as they lie."""
    width = np.dtype(dtype).itemsize
    return pack(values.astype(dtype).view(np.uint8).reshape(-1, width).T)


def unpack_floats(blob: Tensor, count: int, dtype=np.float32) -> np.ndarray:
    width = np.dtype(dtype).itemsize
    return unpack(blob, np.uint8, count * width).reshape(width, -1).T.copy().view(dtype).ravel().astype(np.float32)


def check_precision(precision: str) -> str:
    if precision not in PRECISIONS:
        raise ValueError(f"precision: expected one of {PRECISIONS}, got {precision!r}")
    return precision


def largest_level(bits: int) -> int:
    """The largest integer of symmetric ``bits``-bit quantization: 2^(bits-1) - 1 (int8: 127)."""
    if not 2 <= bits <= 8:
        raise ValueError(f"bits: expected 2 to 8, got {bits!r}")
    return 2 ** (bits - 1) - 1


def row_scales(values: np.ndarray, rows: np.ndarray, n_rows: int, bits: int = 8) -> np.ndarray:
    """(n_rows,) float32: each row's scale, max |value| / largest_level(bits) (1 for an
    empty or all-zero row)."""
    peak = np.zeros(n_rows, np.float32)
    np.maximum.at(peak, rows, np.abs(values).astype(np.float32))
    return np.where(peak > 0, peak / largest_level(bits), 1).astype(np.float32)


def quantize_rows(values: np.ndarray, rows: np.ndarray, n_rows: int, bits: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric per-row quantization of (V,) ``values`` (``rows``: the row of each):
    (V,) int8 levels in [-L, L], L = largest_level(bits), and the (n_rows,) scales;
    a value is its level times its row's scale."""
    scale = row_scales(values, rows, n_rows, bits)
    level = largest_level(bits)
    return np.clip(np.rint(values / scale[rows]), -level, level).astype(np.int8), scale


def encode_values(values: np.ndarray, rows: np.ndarray, n_rows: int, precision: str = "fp32") -> dict:
    """values: (V,) float32, rows: (V,) the row of each value. A dict of tensors that
    ``decode_values`` turns back into the (V,) values. fp32 carries no "precision" key,
    so its files are byte for byte those written before there were other precisions."""
    if check_precision(precision) == "fp32":
        return {"values": pack_floats(values)}
    if precision == "fp16":
        return {"precision": "fp16", "values": pack_floats(values, np.float16)}
    q, scale = quantize_rows(values, rows, n_rows)
    return {"precision": "int8", "values": pack(q), "scale": torch.from_numpy(scale)}


def decode_values(entry: dict, rows: np.ndarray) -> np.ndarray:
    """(V,) float32 values of an ``encode_values`` entry (files without a precision are fp32)."""
    precision = entry.get("precision", "fp32")
    if precision in FLOATS:
        return unpack_floats(entry["values"], len(rows), FLOATS[precision])
    return unpack(entry["values"], np.int8, len(rows)).astype(np.float32) * entry["scale"].numpy()[rows]


def encode_matrix(w: Tensor, precision: str) -> dict:
    """A whole weight tensor (out, ...) in ``precision``, its shape kept."""
    matrix = w.detach().cpu().float().numpy().reshape(w.shape[0], -1)
    rows = np.repeat(np.arange(matrix.shape[0]), matrix.shape[1])
    return {"shape": tuple(w.shape), **encode_values(matrix.ravel(), rows, matrix.shape[0], precision)}


def decode_matrix(entry: dict) -> Tensor:
    shape = entry["shape"]
    rows = np.repeat(np.arange(shape[0]), int(np.prod(shape[1:])))
    return torch.from_numpy(decode_values(entry, rows).reshape(shape))
