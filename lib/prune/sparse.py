"""A compact file for pruned models, and sparse inference.

Each masked conv weight is stored as its alive values (float32, bitwise) plus the
cheaper of two position codes, chosen per tensor:
  bitmask: one bit per weight (numpy.packbits);
  csr:     the weight as a (out, in/groups * k * k) matrix in CSR, with the
           narrowest unsigned type that fits the row pointers and the column indices.
Everything else (BatchNorm, biases, output convs) is stored dense, as it is.
"""
from __future__ import annotations

import os
from typing import BinaryIO

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..models import Detector, build
from .masks import apply_masks, weight

FORMAT = "compression-study/sparse-v1"
UNSIGNED = (np.uint8, np.uint16, np.uint32, np.uint64)


def narrowest(max_value: int):
    return next(t for t in UNSIGNED if max_value <= np.iinfo(t).max)


def _raw(array: np.ndarray) -> Tensor:
    """Bytes of an array as a uint8 tensor (torch.save stores them as they are)."""
    return torch.from_numpy(np.ascontiguousarray(array).view(np.uint8).copy())


def encode(w: Tensor, mask: Tensor) -> dict:
    """Alive values of ``w`` and the smaller position code of ``mask``."""
    rows = w.shape[0]
    m = mask.detach().cpu().numpy().reshape(rows, -1).astype(bool)
    values = w.detach().cpu().numpy().reshape(rows, -1)[m].astype(np.float32)
    nnz, cols = len(values), m.shape[1]
    ptr_t, idx_t = narrowest(nnz), narrowest(max(cols - 1, 0))
    bitmask_bytes = (m.size + 7) // 8
    csr_bytes = (rows + 1) * np.dtype(ptr_t).itemsize + nnz * np.dtype(idx_t).itemsize
    entry = {"shape": tuple(w.shape), "values": torch.from_numpy(values)}
    if bitmask_bytes <= csr_bytes:
        return {**entry, "code": "bitmask", "bits": _raw(np.packbits(m))}
    indptr = np.concatenate(([0], np.cumsum(m.sum(1)))).astype(ptr_t)
    indices = np.nonzero(m)[1].astype(idx_t)
    return {**entry, "code": "csr", "indptr": _raw(indptr), "ptr_dtype": np.dtype(ptr_t).name,
            "indices": _raw(indices), "idx_dtype": np.dtype(idx_t).name}


def decode(entry: dict) -> tuple[Tensor, Tensor]:
    """(dense weight with zeros where pruned, 0/1 mask), both float32."""
    shape = entry["shape"]
    rows, size = shape[0], int(np.prod(shape))
    if entry["code"] == "bitmask":
        m = np.unpackbits(entry["bits"].numpy(), count=size).astype(bool).reshape(rows, -1)
    else:
        indptr = entry["indptr"].numpy().view(entry["ptr_dtype"]).astype(np.int64)
        indices = entry["indices"].numpy().view(entry["idx_dtype"]).astype(np.int64)
        m = np.zeros((rows, size // rows), bool)
        m[np.repeat(np.arange(rows), np.diff(indptr)), indices] = True
    dense = np.zeros(m.shape, np.float32)
    dense[m] = entry["values"].numpy()
    return torch.from_numpy(dense).view(shape), torch.from_numpy(m.astype(np.float32)).view(shape)


def save_sparse(model: Detector, path: str | os.PathLike | BinaryIO) -> None:
    """Write the compact file (a path or a binary file object)."""
    masked = {n for n, m in model.named_modules() if hasattr(m, "weight_mask")}
    modules = dict(model.named_modules())
    dense = {k: v for k, v in model.state_dict().items()
             if k.rsplit(".", 1)[0] not in masked or not k.rsplit(".", 1)[1].startswith("weight")}
    sparse = {n: encode(weight(modules[n]), modules[n].weight_mask) for n in sorted(masked)}
    torch.save({"format": FORMAT, "arch": dict(model.arch), "dense": dense, "sparse": sparse}, path)


def load_sparse(path: str | os.PathLike, map_location="cpu") -> Detector:
    """The masked model back: masks and alive weights bitwise as saved."""
    blob = torch.load(path, map_location="cpu", weights_only=False)
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise ValueError(f"{path}: not a sparse model file ({FORMAT})")
    model = build(**blob["arch"])
    decoded = {n: decode(e) for n, e in blob["sparse"].items()}
    apply_masks(model, {n: mask for n, (_, mask) in decoded.items()})
    state = dict(blob["dense"])
    for name, (w, mask) in decoded.items():
        state[f"{name}.weight_orig"], state[f"{name}.weight_mask"] = w, mask
    model.load_state_dict(state)
    return model.to(map_location)


class SparseConv2d(nn.Module):
    """A pruned conv run as sparse (CSR) weight x im2col(input), as in the paper's Fig. 1."""

    def __init__(self, conv: nn.Conv2d):
        super().__init__()
        if conv.groups != 1:
            raise ValueError("SparseConv2d: grouped convolutions are not supported")
        w = weight(conv).detach()
        self.weight = w.reshape(w.shape[0], -1).to_sparse_csr()
        self.bias = None if conv.bias is None else conv.bias.detach()
        self.out_channels, self.kernel_size = w.shape[0], conv.kernel_size
        self.stride, self.padding, self.dilation = conv.stride, conv.padding, conv.dilation

    def forward(self, x: Tensor) -> Tensor:
        n, _, h, w = x.shape
        cols = F.unfold(x, self.kernel_size, self.dilation, self.padding, self.stride)  # (N, C*k*k, L)
        kh, kw = self.kernel_size
        oh = (h + 2 * self.padding[0] - self.dilation[0] * (kh - 1) - 1) // self.stride[0] + 1
        ow = (w + 2 * self.padding[1] - self.dilation[1] * (kw - 1) - 1) // self.stride[1] + 1
        out = torch.stack([torch.sparse.mm(self.weight, c) for c in cols]).view(n, self.out_channels, oh, ow)
        return out if self.bias is None else out + self.bias[:, None, None]


def to_sparse_inference(model: Detector) -> Detector:
    """Replace every masked, ungrouped conv by a SparseConv2d (in place); eval mode."""
    for name, module in list(model.named_modules()):
        if isinstance(module, nn.Conv2d) and hasattr(module, "weight_mask") and module.groups == 1:
            parent_name, _, child = name.rpartition(".")
            setattr(model.get_submodule(parent_name) if parent_name else model, child, SparseConv2d(module))
    return model.eval()
