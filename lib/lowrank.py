"""Low-rank factorisation: Tucker-2 of k x k convolutions (Kim et al. 2016).

A conv weight W: (T, S, k, k) is approximated by its higher-order SVD along the output
and input channel modes, U_out: (T, R_out), U_in: (S, R_in), core = W x_0 U_out^T x_1 U_in^T:
(R_out, R_in, k, k), and the conv becomes three:
    1x1 (S -> R_in, weight U_in^T), k x k (R_in -> R_out, the core, W's stride and padding),
    1x1 (R_out -> T, weight U_out, W's bias),
with S R_in + R_in R_out k^2 + R_out T weights instead of T S k^2. At full rank the
product is W itself. The factorised model is then fine-tuned (``lib.train.train(model=)``).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import ClassVar

import torch
from torch import Tensor, nn

from .models import Detector, load_weights
from .models.factored import factored
from .models.io import ModelFileError, copy_of
from .params import ParamError, RunParams, check_settings, override, validate
from .paths import TRAIN_RUNS, run_dir
from .train import train


def mode_factors(weight: Tensor, mode: int) -> tuple[Tensor, Tensor]:
    """Left singular vectors (C, C') and singular values (C',) of ``weight``'s mode
    unfolding, (C, everything else) with C its size along ``mode`` (0: out, 1: in)."""
    unfolded = weight.transpose(0, mode).reshape(weight.shape[mode], -1).double()
    u, s, _ = torch.linalg.svd(unfolded, full_matrices=False)
    return u, s


def rank_for(singular: Tensor, channels: int, rank_ratio: float | None, energy: float | None) -> int:
    """Rank by ``rank_ratio`` x channels (rounded, at least 1), or the smallest one that keeps
    ``energy`` of the squared singular values."""
    if energy is not None:
        kept = (singular ** 2).cumsum(0) / (singular ** 2).sum().clamp_min(1e-30)
        return min(int((kept < energy).sum()) + 1, len(singular))
    return min(max(1, round(rank_ratio * channels)), len(singular))


def tucker2_conv(conv: nn.Conv2d, rank_ratio: float | None = None, energy: float | None = None) -> nn.Sequential:
    """``conv`` as three convs (module docstring). x: (N, S, H, W) -> (N, T, H', W')."""
    w = conv.weight.detach()
    u_out, s_out = mode_factors(w, 0)
    u_in, s_in = mode_factors(w, 1)
    u_out = u_out[:, :rank_for(s_out, conv.out_channels, rank_ratio, energy)]
    u_in = u_in[:, :rank_for(s_in, conv.in_channels, rank_ratio, energy)]
    layers = factored(conv, u_in.shape[1], u_out.shape[1])
    with torch.no_grad():
        layers[0].weight.copy_(u_in.T[:, :, None, None])
        layers[1].weight.copy_(torch.einsum("tskl,tr,sq->rqkl", w.double(), u_out, u_in))
        layers[2].weight.copy_(u_out[:, :, None, None])
        if conv.bias is not None:
            layers[2].bias.copy_(conv.bias)
    return layers


def factorisable(conv: nn.Module) -> bool:
    """A plain k x k conv (k > 1, one group, no mask) with channels to reduce on both sides."""
    return (type(conv) is nn.Conv2d and conv.kernel_size != (1, 1) and conv.groups == 1
            and not hasattr(conv, "weight_mask") and min(conv.in_channels, conv.out_channels) > 3)


def factor_params(conv: nn.Conv2d, r_in: int, r_out: int) -> int:
    k = conv.kernel_size[0] * conv.kernel_size[1]
    return conv.in_channels * r_in + r_in * r_out * k + r_out * conv.out_channels


def tucker2(model: Detector, rank_ratio: float | None = 0.25, energy: float | None = None) -> Detector:
    """A copy of ``model`` with every ``factorisable`` conv replaced by its Tucker-2
    factors where that holds fewer weights; ranks by ``rank_ratio`` of each side's
    channels, or by the ``energy`` (0 < energy <= 1) of each unfolding's spectrum.
    The ranks go into the copy's arch, so its model file rebuilds it."""
    if (rank_ratio is None) == (energy is None):
        raise ParamError("tucker2: give exactly one of rank_ratio and energy")
    for name, value in (("rank_ratio", rank_ratio), ("energy", energy)):
        if value is not None and not 0 < value <= 1:
            raise ParamError(f"tucker2: {name} must be in (0, 1], got {value!r}")
    model = copy_of(model)
    ranks = dict(model.arch.get("lowrank", {}))
    for name, conv in list(model.named_modules()):
        if factorisable(conv):
            layers = tucker2_conv(conv, rank_ratio, energy)
            r_in, r_out = layers[0].out_channels, layers[1].out_channels
            if factor_params(conv, r_in, r_out) < conv.weight.numel():
                model.set_submodule(name, layers)
                ranks[name] = [r_in, r_out]
    if ranks:
        model.arch["lowrank"] = ranks
    return model


@dataclass(frozen=True)
class LowRankParams:
    rank_ratio: float = 0.25            # each factor's rank as a share of its side's channels
    finetune_epochs: int | None = None  # None: the profile's epochs
    # each number's range, checked with its type before any work (lib.params.check_settings)
    RANGES: ClassVar[dict] = {"rank_ratio": (0, 1, "open low"), "finetune_epochs": (1, 10**6, "integer")}


def finetune_params(params: RunParams, lp: LowRankParams) -> RunParams:
    """``params`` with the fine-tuning's epochs."""
    check_settings(lp)
    return validate(override(params, **{"train.epochs": lp.finetune_epochs or params.train.epochs}))


def run_tucker2(params: RunParams, lp: LowRankParams, source: str | Path, root: str | Path = TRAIN_RUNS,
                **train_kwargs) -> dict:
    """The trained model file ``source`` factorised by ``tucker2`` at ``lp.rank_ratio``,
    then fine-tuned through the one training loop; the fine-tuning's metrics."""
    if not Path(source).is_file():
        raise ModelFileError(f"source: no model file at {source}")
    finetune = finetune_params(params, lp)
    model = tucker2(load_weights(source), rank_ratio=lp.rank_ratio)  # checks the ratio before any training
    folder = run_dir(root, finetune, "tucker2", {**asdict(lp), "source": str(Path(source).resolve())})
    return train(finetune, folder, model=model, **train_kwargs)
