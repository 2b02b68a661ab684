"""Pruning: masks on conv weights, magnitude pruning (global or per layer)."""
from .magnitude import SCOPES, magnitude_prune
from .masks import apply_masks, get_masks, prunable_layers, sparsity

__all__ = ["SCOPES", "apply_masks", "get_masks", "magnitude_prune", "prunable_layers", "sparsity"]
