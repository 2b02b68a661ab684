"""Lab 1, magnitude pruning: fine-grained (weight by weight) pruning of one tensor,
each layer's sensitivity to it on the trained detector (one-shot: evaluation only),
and per-layer sparsities chosen from that scan to meet a size and mAP target after a
brief fine-tune. The study's chapter: Pruning (lottery tickets prune this way)."""
from __future__ import annotations


import matplotlib.pyplot as plt
import pandas as pd
import torch

from ..counting import count_nonzero_params
from ..models import Detector
from ..models.io import copy_of
from ..prune import apply_masks
from ..prune.magnitude import layer_kept, layer_mask
from ..prune.masks import prunable_layers
from .checks import Case, Exercise
from .model import Lab
from .targets import require, require_map, target_line

SCAN_SPARSITIES = (0.5, 0.7, 0.8, 0.9, 0.95)
KEEP_AT_MOST = 0.15  # the target: at most this share of the prunable weights kept (uniform sparsity misses it)


def fine_grained_reference(weight: torch.Tensor, sparsity: float) -> torch.Tensor:
    """The library's layer-wise magnitude mask of one tensor (lib.prune.magnitude)."""
    return layer_mask(weight.abs(), sparsity)


def _cases() -> list[Case]:
    g = torch.Generator().manual_seed(0)
    five, conv = torch.randn(5, 5, generator=g), torch.randn(4, 3, 3, 3, generator=g)
    return [Case("a 5x5 tensor, sparsity 0.4", (five, 0.4)), Case("the same tensor, sparsity 0.75", (five, 0.75)),
            Case("a (4, 3, 3, 3) conv weight, sparsity 0.9", (conv, 0.9))]


EXERCISES = {"fine_grained_mask": Exercise(fine_grained_reference, _cases)}


def layer_sizes(model: Detector) -> dict[str, int]:
    """Weights of each prunable conv, by name (the output convs are never pruned)."""
    return {name: m.weight.numel() for name, m in prunable_layers(model).items()}


def pruned(model: Detector, sparsities: dict[str, float]) -> Detector:
    """A copy of ``model`` with each named layer pruned layer-wise at its sparsity."""
    copy = copy_of(model)
    layers = prunable_layers(copy)
    apply_masks(copy, {name: layer_mask(layers[name].weight.detach().abs(), s)
                       for name, s in sparsities.items() if s > 0})
    return copy


def sensitivity_scan(lab: Lab, sparsities=SCAN_SPARSITIES) -> pd.DataFrame:
    """Each prunable layer pruned alone at each sparsity, scored on the validation split
    at once (no retraining): one line per layer and sparsity."""
    dense = lab.model()
    rows = []
    for name, size in layer_sizes(dense).items():
        for s in sparsities:
            rows.append({"layer": name, "weights": size, "sparsity": s,
                         "val_map50": lab.val_map50(pruned(dense, {name: s}))})
    return pd.DataFrame(rows)


def sensitivity_figure(scan: pd.DataFrame, dense_map50: float) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, lines in scan.groupby("layer", sort=False):
        ax.plot(lines["sparsity"], lines["val_map50"], marker="o", label=f"{name} ({lines['weights'].iloc[0]:,})")
    ax.axhline(dense_map50, color="black", linestyle="--", linewidth=1, label="dense")
    ax.set(xlabel="sparsity of the one pruned layer", ylabel="validation mAP@0.5",
           title="Sensitivity of each layer, pruned alone (no retraining)")
    ax.legend(fontsize=7, ncol=2)
    return fig


def kept_share(model: Detector) -> float:
    """Share of the prunable weights that are nonzero."""
    layers = prunable_layers(model)
    return sum(count_nonzero_params(m) for m in layers.values()) / sum(m.weight.numel() for m in layers.values())


def check_target(lab: Lab, layer_sparsities) -> None:
    """The lab's target: prune by ``layer_sparsities`` ({layer: sparsity}; layers not named
    stay dense), fine-tune briefly, then keep at most KEEP_AT_MOST of the prunable weights
    at a validation mAP@0.5 of at least the scale's share of the dense model's."""
    names = layer_sizes(lab.model())
    require(isinstance(layer_sparsities, dict), f"layer_sparsities: expected a dict {{layer: sparsity}}, "
                                                f"got {layer_sparsities!r}")
    unknown = sorted(set(layer_sparsities) - set(names))
    require(not unknown, f"layer_sparsities: {unknown} are not prunable layers; they are {list(names)}")
    bad = {k: v for k, v in layer_sparsities.items() if not (isinstance(v, (int, float)) and 0 <= v < 1)}
    require(not bad, f"layer_sparsities: expected fractions in [0, 1), got {bad}")
    planned = sum(layer_kept(n, layer_sparsities.get(k, 0)) for k, n in names.items()) / sum(names.values())
    require(planned <= KEEP_AT_MOST, f"those sparsities keep {planned:.1%} of the prunable weights; "
                                     f"the target is at most {KEEP_AT_MOST:.0%}")
    model = lab.finetune(pruned(lab.model(), layer_sparsities), "magnitude", dict(sorted(layer_sparsities.items())))
    kept, score = kept_share(model), lab.val_map50(model)
    print(target_line(lab, score, f"{kept:.1%} of the prunable weights kept"))
    require(kept <= KEEP_AT_MOST + 1e-9, f"after fine-tuning {kept:.1%} of the weights are nonzero")
    require_map(lab, score)
