"""One mechanism for masked conv weights: torch.nn.utils.prune's reparametrisation.
A masked conv keeps its parameter as ``weight_orig`` and a 0/1 buffer ``weight_mask``;
``weight = weight_orig * weight_mask`` is recomputed before every forward, so masks
apply in every pass and travel with the state_dict (and so with checkpoints)."""
from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils import prune

from ..models import Detector


def prunable_layers(model: Detector, include_outputs: bool = False) -> dict[str, nn.Conv2d]:
    """Conv layers whose weights may be pruned, by module name: every conv but the
    output convs (book/spec.md, Lottery tickets: 61,438,816 weights of YOLOv3 at 20 classes)."""
    skip = set() if include_outputs else {id(m) for m in model.output_convs()}
    return {name: m for name, m in model.named_modules() if isinstance(m, nn.Conv2d) and id(m) not in skip}


def is_masked(model: nn.Module) -> bool:
    return any(hasattr(m, "weight_mask") for m in model.modules())


def weight(module: nn.Conv2d) -> Tensor:
    """The weight the forward pass uses (masked if the module is masked)."""
    return module.weight_orig * module.weight_mask if hasattr(module, "weight_mask") else module.weight


def apply_masks(model: nn.Module, masks: dict[str, Tensor]) -> None:
    """Attach (or replace) the masks of the named conv layers; validated first, all or nothing."""
    modules = dict(model.named_modules())
    for name, mask in masks.items():
        module = modules.get(name)
        if not isinstance(module, nn.Conv2d):
            raise ValueError(f"mask {name!r}: not a conv layer of {type(model).__name__}")
        if tuple(mask.shape) != tuple(weight(module).shape):
            raise ValueError(f"mask {name!r}: shape {tuple(mask.shape)} does not match the weight's "
                             f"{tuple(weight(module).shape)}")
        if not torch.all((mask == 0) | (mask == 1)):
            raise ValueError(f"mask {name!r}: expected only 0 and 1 entries")
    for name, mask in masks.items():
        module = modules[name]
        if hasattr(module, "weight_mask"):
            module.weight_mask.copy_(mask)
            module.weight = module.weight_orig * module.weight_mask  # what the next forward will see
        else:
            prune.custom_from_mask(module, "weight", mask.to(module.weight.device))


def get_masks(model: nn.Module) -> dict[str, Tensor]:
    return {name: m.weight_mask.detach().clone() for name, m in model.named_modules() if hasattr(m, "weight_mask")}


def sparsity(masks: dict[str, Tensor]) -> float:
    """Fraction of masked-out weights over all the masks' entries."""
    total = sum(m.numel() for m in masks.values())
    return 1 - sum(int(m.count_nonzero()) for m in masks.values()) / total if total else 0.0


def plain_weights(state: dict[str, Tensor]) -> dict[str, Tensor]:
    """The state_dict an unmasked model would have: masked (``weight_orig``) and
    parametrised (``parametrizations.weight.original``) weights under their plain
    names, with their original values; masks and scores left out."""
    plain = {}
    for key, value in state.items():
        if key.endswith(".weight_mask") or ".parametrizations.weight.0." in key:
            continue
        key = key.replace(".parametrizations.weight.original", ".weight").replace(".weight_orig", ".weight")
        plain[key] = value.detach().clone()
    return plain


def plain_state(model: nn.Module) -> dict[str, Tensor]:
    """``plain_weights`` of a live model."""
    return plain_weights(model.state_dict())


def layer_table(model: nn.Module) -> list[dict]:
    """One row per masked layer: name, weight shape, alive and total weights, sparsity."""
    rows = []
    for name, module in model.named_modules():
        if hasattr(module, "weight_mask"):
            alive, total = int(module.weight_mask.count_nonzero()), module.weight_mask.numel()
            rows.append({"layer": name, "shape": tuple(module.weight_mask.shape), "alive": alive, "total": total,
                         "sparsity": 1 - alive / total})
    return rows
