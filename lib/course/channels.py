"""Lab 2, channel pruning: channels ranked by their filters' L1 norm (Li et al.) and
by their BatchNorm scale (Liu et al.), as Torch-Pruning scores them for the study;
why removing 30 % of the channels removes about half the MACs; and how much of that
reaches latency. The study's chapter: Pruning (channel pruning)."""
from __future__ import annotations


import matplotlib.pyplot as plt
import pandas as pd
import torch
import torch_pruning as tp
from torch import nn

from ..counting import count_macs, count_params
from ..measure import latency
from ..prune import channel_prune
from ..prune.magnitude import layer_kept  # the same floor rule: what is left when a fraction goes
from .checks import Case, Exercise
from .figures import beside_map
from .model import Lab
from .targets import require, require_epochs, require_map, target_line

SCAN_MACS = (0.9, 0.7, 0.5, 0.35, 0.25)   # the shares of the dense MACs the scan asks for
MACS_AT_MOST = 0.5                        # the target: at most half the dense model's MACs


def _conv_bn(weight: torch.Tensor, gamma: torch.Tensor | None = None) -> nn.Sequential:
    """A conv holding ``weight``, its BatchNorm (scale ``gamma``) and a next conv: the
    smallest graph in which Torch-Pruning scores the conv's output channels."""
    c_out, c_in, k, _ = weight.shape
    block = nn.Sequential(nn.Conv2d(c_in, c_out, k, bias=False), nn.BatchNorm2d(c_out), nn.Conv2d(c_out, 2, 1))
    with torch.no_grad():
        block[0].weight.copy_(weight)
        if gamma is not None:
            block[1].weight.copy_(gamma)
    return block


def _scores(block: nn.Sequential, importance) -> torch.Tensor:
    size = block[0].kernel_size[0] + 2
    graph = tp.DependencyGraph().build_dependency(block, torch.zeros(1, block[0].in_channels, size, size))
    group = graph.get_pruning_group(block[0], tp.prune_conv_out_channels, idxs=list(range(block[0].out_channels)))
    return importance(group).detach()


def filter_l1_reference(weight: torch.Tensor) -> torch.Tensor:
    """(C_out,) Torch-Pruning's L1 magnitude of each output filter of ``weight`` (C_out, C_in, k, k)."""
    return _scores(_conv_bn(weight), tp.importance.MagnitudeImportance(p=1, group_reduction="first", normalizer=None))


def bn_scale_reference(gamma: torch.Tensor) -> torch.Tensor:
    """(C,) Torch-Pruning's BatchNorm-scale score of each channel, from the BN's scales ``gamma``."""
    weight = torch.ones(len(gamma), 1, 1, 1)
    return _scores(_conv_bn(weight, gamma), tp.importance.BNScaleImportance(normalizer=None))


def macs_kept_reference(c_in: int, c_out: int, k: int, size: int, fraction: float) -> float:
    """Share of a k x k conv's MACs (stride 1, same padding, ``size`` x ``size`` input) left
    when ``fraction`` of its input and of its output channels go (floor of each), counted
    by the study's counter (lib.counting)."""
    def macs(i: int, o: int) -> int:
        return count_macs(nn.Conv2d(i, o, k, padding=k // 2, bias=False), input_shape=(1, i, size, size))["macs"]
    return macs(layer_kept(c_in, fraction), layer_kept(c_out, fraction)) / macs(c_in, c_out)


def _filter_cases() -> list[Case]:
    g = torch.Generator().manual_seed(1)
    return [Case("a (5, 5, 1, 1) weight", (torch.randn(5, 5, 1, 1, generator=g),)),
            Case("a (6, 3, 3, 3) conv weight", (torch.randn(6, 3, 3, 3, generator=g),))]


def _bn_cases() -> list[Case]:
    g = torch.Generator().manual_seed(2)
    return [Case("5 scales, some negative", (torch.randn(5, generator=g),)),
            Case("8 scales", (torch.rand(8, generator=g) * 2 - 1,))]


def _macs_cases() -> list[Case]:
    return [Case("a 3x3 conv 64 -> 128 channels at 52x52, 30% removed", (64, 128, 3, 52, 0.3)),
            Case("a 1x1 conv 10 -> 10 at 13x13, half removed", (10, 10, 1, 13, 0.5)),
            Case("a 3x3 conv 16 -> 16 at 8x8, nothing removed", (16, 16, 3, 8, 0.0))]


EXERCISES = {"filter_l1": Exercise(filter_l1_reference, _filter_cases),
             "bn_scale_scores": Exercise(bn_scale_reference, _bn_cases),
             "macs_kept": Exercise(macs_kept_reference, _macs_cases, atol=1e-9)}


def channel_scan(lab: Lab, shares=SCAN_MACS, importance: str = "magnitude") -> pd.DataFrame:
    """The dense detector channel-pruned (the study's pruner) to each share of its MACs,
    scored at once on the validation split: its MACs, parameters and latency (1 thread,
    the lab's image size) as shares of the dense model's, and its mAP@0.5."""
    dense, size = lab.model(), lab.params.data.img_size
    base = count_macs(dense, size)["macs"], count_params(dense), latency(dense, size)
    rows = []
    for share in shares:
        slim = channel_prune(dense, macs_ratio=share, importance=importance)
        rows.append({"asked": share, "macs": count_macs(slim, size)["macs"] / base[0],
                     "params": count_params(slim) / base[1], "latency": latency(slim, size) / base[2],
                     "val_map50": lab.val_map50(slim)})
    return pd.DataFrame(rows)


def channel_figure(scan: pd.DataFrame, dense_map50: float) -> plt.Figure:
    def latency_panel(ax):
        ax.plot(scan["macs"], scan["latency"], marker="o", label="measured")
        ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="latency = MACs")
        ax.set(xlabel="MACs (share of dense)", ylabel="latency (share of dense)", title="What reaches latency")

    return beside_map(scan, dense_map50, latency_panel, figsize=(9, 3.6))


def check_target(lab: Lab, macs_ratio, finetune_epochs) -> None:
    """The lab's target: the detector channel-pruned to ``macs_ratio`` of its MACs, then
    fine-tuned ``finetune_epochs`` (1 to FINETUNE_AT_MOST), at most MACS_AT_MOST of the
    dense MACs at the scale's share of its validation mAP@0.5."""
    require(isinstance(macs_ratio, (int, float)) and not isinstance(macs_ratio, bool) and 0 < macs_ratio < 1,
            f"macs_ratio: expected a share in (0, 1), got {macs_ratio!r}")
    require_epochs(finetune_epochs)
    require(macs_ratio <= MACS_AT_MOST, f"macs_ratio {macs_ratio} asks for more than the target's "
                                        f"{MACS_AT_MOST:.0%} of the MACs")
    dense, size = lab.model(), lab.params.data.img_size
    model = lab.finetune(channel_prune(dense, macs_ratio=macs_ratio), "channels", {"macs_ratio": macs_ratio},
                         finetune_epochs)
    share, score = count_macs(model, size)["macs"] / count_macs(dense, size)["macs"], lab.val_map50(model)
    print(target_line(lab, score, f"{share:.1%} of the dense MACs"))
    require(share <= MACS_AT_MOST + 1e-9, f"the pruned model has {share:.1%} of the MACs")
    require_map(lab, score)
