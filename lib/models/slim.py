"""Models whose layers have other channel counts than their architecture's defaults
(a channel-pruned detector): the counts are part of the model's ``arch`` (its
``channels`` entry), so the model file describes itself and ``lib.models.build``
rebuilds it at those counts before loading its weights.

``channels``: module name -> [in, out, groups] for a conv, [in, out] for a linear
layer, [features] for a BatchNorm; every such layer of the model is listed.
"""
from __future__ import annotations

from torch import nn

RESIZABLE = (nn.Conv2d, nn.Linear, nn.BatchNorm2d)


def channel_counts(model: nn.Module) -> dict[str, list[int]]:
    """The ``channels`` entry of ``model``'s arch: the shape-defining counts of every
    conv, linear and BatchNorm layer, by module name."""
    counts = {}
    for name, m in model.named_modules():
        if isinstance(m, nn.Conv2d):
            counts[name] = [m.in_channels, m.out_channels, m.groups]
        elif isinstance(m, nn.Linear):
            counts[name] = [m.in_features, m.out_features]
        elif isinstance(m, nn.BatchNorm2d):
            counts[name] = [m.num_features]
    return counts


def resized(module: nn.Module, counts: list[int]) -> nn.Module:
    """A fresh layer like ``module`` (kernel, stride, padding, bias, eps...) at ``counts``."""
    if isinstance(module, nn.Conv2d):
        c_in, c_out, groups = counts
        return nn.Conv2d(c_in, c_out, module.kernel_size, module.stride, module.padding, module.dilation, groups,
                         module.bias is not None, module.padding_mode)
    if isinstance(module, nn.Linear):
        return nn.Linear(*counts, bias=module.bias is not None)
    return nn.BatchNorm2d(counts[0], module.eps, module.momentum, module.affine, module.track_running_stats)


def set_channels(model: nn.Module, channels: dict[str, list[int]]) -> nn.Module:
    """Replace every layer named in ``channels`` whose counts differ by a fresh one at
    the given counts (in place; the weights are to be loaded after)."""
    modules = dict(model.named_modules())
    unknown = [name for name in channels if not isinstance(modules.get(name), RESIZABLE)]
    if unknown:
        raise ValueError(f"channels: {unknown[:3]} are not conv, linear or BatchNorm layers of {type(model).__name__}")
    current = channel_counts(model)
    for name, counts in channels.items():
        if list(counts) != current[name]:
            model.set_submodule(name, resized(modules[name], list(counts)))
    return model
