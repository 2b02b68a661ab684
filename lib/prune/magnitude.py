"""Magnitude pruning: keep the largest-magnitude weights, globally (one threshold
across all prunable layers) or per layer (the same fraction of every tensor)."""
from __future__ import annotations

import math

import torch
from torch import Tensor

from ..models import Detector
from ..params import ParamError
from .masks import apply_masks, prunable_layers, weight

SCOPES = ("global", "layer")


def check_sparsity(sparsity: float, name: str = "sparsity") -> float:
    if not 0 < sparsity < 1:
        raise ParamError(f"{name}: expected a fraction in (0, 1), got {sparsity!r}")
    return sparsity


def layer_kept(n: int, sparsity: float) -> int:
    """Weights a tensor of ``n`` keeps when a layer-wise pruning removes floor(sparsity * n)
    of them (the authors' rule, which gives the paper's 6,331,150 +- 1 survivors of YOLOv3
    at 90%; 1e-9 absorbs the float error of sparsity * n)."""
    return n - math.floor(sparsity * n + 1e-9)


def layer_mask(scores: Tensor, sparsity: float) -> Tensor:
    """0/1 mask of ``scores``' shape keeping its ``layer_kept`` largest entries (ties:
    torch.topk's choice): layer-wise magnitude pruning of one tensor (scores: |w|)."""
    flat = scores.flatten()
    kept = torch.zeros_like(flat)
    kept[torch.topk(flat, layer_kept(flat.numel(), sparsity), sorted=False).indices] = 1
    return kept.view_as(scores)


def magnitude_prune(model: Detector, sparsity: float, scope: str = "global") -> dict[str, Tensor]:
    """One pruning step: mask the smallest-magnitude weights so that ``sparsity`` of the
    prunable weights are masked (already masked ones stay masked). Applies and returns the masks.

    global: keeps round((1 - sparsity) * N) weights of all N prunable ones, exactly;
    layer:  prunes floor(sparsity * n) of each tensor of n weights (``layer_kept``).
    """
    check_sparsity(sparsity)
    if scope not in SCOPES:
        raise ParamError(f"scope: expected one of {SCOPES}, got {scope!r}")
    layers = prunable_layers(model)
    with torch.no_grad():
        # a masked-out weight scores -1, below every alive one (|w| >= 0)
        scores = {n: torch.where(weight(m) != 0, weight(m).abs(), torch.full_like(m.weight, -1.0))
                  if hasattr(m, "weight_mask") else m.weight.abs() for n, m in layers.items()}
        if scope == "global":
            flat = torch.cat([s.flatten() for s in scores.values()])
            keep = round((1 - sparsity) * flat.numel())
            kept = torch.zeros_like(flat, dtype=torch.bool)
            kept[torch.topk(flat, keep, sorted=False).indices] = True
            masks, start = {}, 0
            for name, s in scores.items():
                masks[name] = kept[start:start + s.numel()].view_as(s).to(s.dtype)
                start += s.numel()
        else:
            masks = {name: layer_mask(s, sparsity) for name, s in scores.items()}
    apply_masks(model, masks)
    return masks
