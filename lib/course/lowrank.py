"""Lab 5, low-rank factorisation: a conv's weight approximated by a truncated SVD of its
(C_out, C_in k k) unfolding and by Tucker-2 (ranks on both channel sides); the rank
against the reconstruction error, MACs, latency and mAP; and a rank chosen to meet a
MACs and mAP target after a brief fine-tune. The study's chapter: Quantization
(Tucker-2 rows beyond the paper)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import torch
from torch import nn

from ..counting import count_macs, count_params
from ..lowrank import factorisable, mode_factors, tucker2, tucker2_conv
from ..measure import latency
from .checks import Case, Exercise
from .figures import beside_map
from .model import Lab
from .targets import require, require_epochs, require_map, target_line

SCAN_RATIOS = (0.75, 0.5, 0.35, 0.25, 0.15)
MACS_AT_MOST = 0.6   # the target: at most this share of the dense model's MACs


def svd_reference(weight: torch.Tensor, rank: int) -> torch.Tensor:
    """``weight`` projected on the ``rank`` leading left singular vectors of its
    (C_out, rest) unfolding (lib.lowrank.mode_factors): its best rank-``rank`` approximation."""
    u = mode_factors(weight, 0)[0][:, :rank]
    matrix = weight.double().reshape(weight.shape[0], -1)
    return (u @ (u.T @ matrix)).reshape(weight.shape).float()


def composed(layers: nn.Sequential) -> torch.Tensor:
    """The (C_out, C_in, k, k) weight the three convs of a Tucker-2 factorisation apply."""
    first, core, last = (layer.weight.detach().double() for layer in layers)
    return torch.einsum("rqkl,tr,qs->tskl", core, last[:, :, 0, 0], first[:, :, 0, 0]).float()


def tucker2_reference(weight: torch.Tensor, rank_ratio: float) -> torch.Tensor:
    """``weight`` through the library's Tucker-2 factorisation (lib.lowrank.tucker2_conv) at
    ``rank_ratio`` of each side's channels, composed back into one weight."""
    c_out, c_in, k, _ = weight.shape
    conv = nn.Conv2d(c_in, c_out, k, padding=k // 2, bias=False)
    with torch.no_grad():
        conv.weight.copy_(weight)
    return composed(tucker2_conv(conv, rank_ratio))


def _cases(second) -> list[Case]:
    g = torch.Generator().manual_seed(4)
    five, conv = torch.randn(5, 5, 1, 1, generator=g), torch.randn(6, 8, 3, 3, generator=g)
    return [Case(f"a (5, 5, 1, 1) weight, {second[0]}", (five, second[0])),
            Case(f"a (6, 8, 3, 3) conv weight, {second[1]}", (conv, second[1])),
            Case(f"the same weight, {second[2]}", (conv, second[2]))]


EXERCISES = {"svd_reconstruct": Exercise(svd_reference, lambda: _cases((2, 3, 6)), atol=1e-5),
             "tucker2_reconstruct": Exercise(tucker2_reference, lambda: _cases((0.4, 0.5, 0.25)), atol=1e-5)}


def reconstruction_error(model: nn.Module, rank_ratio: float) -> float:
    """Mean over the factorisable convs of ||W - Tucker-2(W)|| / ||W|| at ``rank_ratio``."""
    errors = [float((tucker2_reference(m.weight.detach(), rank_ratio) - m.weight.detach()).norm() / m.weight.detach().norm())
              for m in model.modules() if factorisable(m)]
    return sum(errors) / len(errors)


def rank_scan(lab: Lab, ratios=SCAN_RATIOS) -> pd.DataFrame:
    """The dense detector Tucker-2-factorised at each rank ratio (the study's ``tucker2``),
    scored at once on the validation split: the reconstruction error, and MACs, parameters
    and latency (1 thread, the lab's image size) as shares of the dense model's."""
    dense, size = lab.model(), lab.params.data.img_size
    base = count_macs(dense, size)["macs"], count_params(dense), latency(dense, size)
    rows = []
    for ratio in ratios:
        model = tucker2(dense, rank_ratio=ratio)
        rows.append({"rank_ratio": ratio, "error": reconstruction_error(dense, ratio),
                     "macs": count_macs(model, size)["macs"] / base[0], "params": count_params(model) / base[1],
                     "latency": latency(model, size) / base[2], "val_map50": lab.val_map50(model)})
    return pd.DataFrame(rows)


def rank_figure(scan: pd.DataFrame, dense_map50: float) -> plt.Figure:
    def costs_panel(ax):
        for column in ("error", "macs", "latency"):
            ax.plot(scan["rank_ratio"], scan[column], marker="o", label=column)
        ax.set(xlabel="rank ratio", ylabel="share of dense (error: relative)", title="What a rank costs and saves")

    return beside_map(scan, dense_map50, costs_panel)


def check_target(lab: Lab, rank_ratio, finetune_epochs) -> None:
    """The lab's target: Tucker-2 at ``rank_ratio``, fine-tuned ``finetune_epochs`` (1 to
    FINETUNE_AT_MOST), at most MACS_AT_MOST of the dense MACs at the scale's share of its
    validation mAP@0.5."""
    require(isinstance(rank_ratio, (int, float)) and not isinstance(rank_ratio, bool) and 0 < rank_ratio <= 1,
            f"rank_ratio: expected a share in (0, 1], got {rank_ratio!r}")
    require_epochs(finetune_epochs)
    dense, size = lab.model(), lab.params.data.img_size
    model = tucker2(dense, rank_ratio=rank_ratio)
    share = count_macs(model, size)["macs"] / count_macs(dense, size)["macs"]
    require(share <= MACS_AT_MOST, f"rank ratio {rank_ratio} leaves {share:.1%} of the MACs; "
                                   f"the target is at most {MACS_AT_MOST:.0%}")
    model = lab.finetune(model, "lowrank", {"rank_ratio": rank_ratio}, finetune_epochs)
    score = lab.val_map50(model)
    print(target_line(lab, score, f"{share:.1%} of the dense MACs"))
    require_map(lab, score)
