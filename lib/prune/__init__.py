"""Pruning: masks on conv weights, magnitude pruning (global or per layer), lottery
tickets (``lth``), continuous sparsification (``cs``) and the compact sparse file
with sparse inference that picks the fastest kernel per layer (``sparse``, ``dispatch``); channel pruning (``channels``), which gives a
smaller dense model."""
from .channels import channel_prune
from .magnitude import SCOPES, magnitude_prune
from .masks import apply_masks, get_masks, layer_table, prunable_layers, sparsity
from .dispatch import to_sparse_inference
from .sparse import load_sparse, save_sparse

__all__ = ["SCOPES", "apply_masks", "channel_prune", "get_masks", "layer_table", "load_sparse", "magnitude_prune", "prunable_layers",
           "save_sparse", "sparsity", "to_sparse_inference"]
