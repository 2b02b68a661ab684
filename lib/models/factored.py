"""Models with Tucker-2-factorised convs (``lib.lowrank``): the ranks are part of the
model's ``arch`` (its ``lowrank`` entry), so the model file describes itself and
``lib.models.build`` rebuilds the factorised layers before loading their weights.

``lowrank``: module name of a replaced k x k conv -> [R_in, R_out].
"""
from __future__ import annotations

from torch import nn


def factored(conv: nn.Conv2d, r_in: int, r_out: int) -> nn.Sequential:
    """Fresh layers for ``conv`` factorised at ranks (r_in, r_out): 1x1 (S -> r_in),
    k x k (r_in -> r_out, ``conv``'s stride, padding, dilation), 1x1 (r_out -> T, ``conv``'s bias)."""
    return nn.Sequential(
        nn.Conv2d(conv.in_channels, r_in, 1, bias=False),
        nn.Conv2d(r_in, r_out, conv.kernel_size, conv.stride, conv.padding, conv.dilation, bias=False),
        nn.Conv2d(r_out, conv.out_channels, 1, bias=conv.bias is not None),
    ).to(conv.weight.device)


def set_ranks(model: nn.Module, ranks: dict[str, list[int]]) -> nn.Module:
    """Replace each conv named in ``ranks``, in order, by fresh ``factored`` layers (in
    place; the weights are to be loaded after). A name may point inside layers an earlier
    entry created (a factorised model factorised again)."""
    for name, (r_in, r_out) in ranks.items():
        try:
            conv = model.get_submodule(name)
        except AttributeError:
            conv = None
        if type(conv) is not nn.Conv2d:
            raise ValueError(f"lowrank: {name!r} is not a plain conv layer of {type(model).__name__}")
        model.set_submodule(name, factored(conv, r_in, r_out))
    return model
