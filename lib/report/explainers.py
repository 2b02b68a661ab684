"""One explanatory figure per chapter page, drawn from the study's own definitions
(no run needed): the training schedules, the lottery-ticket loop beside CS's soft mask,
the teacher-student hint pairs and what int8 and Tucker-2 do to a layer. The
architectures notebook glues them; the chapter pages paste them."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from ..distill.hints import STUDENT_TAPS, feature_shapes, hint_pairs
from ..lowrank import factor_params, tucker2_conv
from ..models import build
from ..params import RunParams, override
from ..profiles import get_profile, profile_params
from ..prune.cs import FINAL_BETA, CSParams, SoftMask, beta_at
from ..prune.lth import LTHParams
from ..quantize.ledger import decoded, encoded
from ..train.optim import BIASES, Schedule, objectness_ratio
from ..study.rows import ROWS
from .figure_axes import FONT, PAGE_WIDTH

BOX = {"boxstyle": "round,pad=0.4", "facecolor": "#eef3fb", "edgecolor": "#4a6fa5"}
ARROW = {"arrowstyle": "-|>", "color": "#4a6fa5", "lw": 1.2}
TEACHER, STUDENTS = "yolov3", ("yolo-nano", "yolov3-mobile")


def _schedule_lrs(params: RunParams, batches_per_epoch: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x in epochs, weights' lr, biases' lr) at every iteration of ``params``'s run,
    from the training loop's own Schedule applied to a stand-in optimizer."""
    t = params.train
    groups = [{"params": [nn.Parameter(torch.zeros(1))]} for _ in range(3)]  # as parameter_groups: other, decayed, biases
    optimizer = torch.optim.Adam(groups, lr=1.0) if t.optimizer == "adam" else torch.optim.SGD(groups, lr=1.0)
    schedule = Schedule(t, t.lr(params.model.name), batches_per_epoch, t.batch_size)
    x, weights, biases = [], [], []
    for ni in range(t.epochs * batches_per_epoch):
        schedule.apply(optimizer, ni, ni // batches_per_epoch)
        x.append(ni / batches_per_epoch)
        weights.append(optimizer.param_groups[1]["lr"])
        biases.append(optimizer.param_groups[BIASES]["lr"])
    return np.array(x), np.array(weights), np.array(biases)


def training_schedules() -> plt.Figure:
    """Learning rates and the objectness target's GIoU ratio over one run: the paper's
    scheme (SGD, prebias) and the cpu profile's (Adam, per-iteration burn-in)."""
    cpu = profile_params("cpu", **{"model.name": TEACHER})
    paper = override(RunParams(), **{"model.name": TEACHER})  # the defaults are the paper's scheme
    # prebias moves per epoch and lasts 3 epochs from 10 batches an epoch on: the paper's
    # run is drawn at 10 (its real count only thickens the lines)
    runs = [("the paper's scheme", paper, 10),
            ("the cpu profile", cpu, math.ceil(cpu.data.builtin_train / cpu.train.batch_size))]
    fig, axes = plt.subplots(1, 2, figsize=(PAGE_WIDTH, 2.8), constrained_layout=True)
    for ax, (title, params, batches) in zip(axes, runs):
        x, weights, biases = _schedule_lrs(params, batches)
        t = params.train
        ax.plot(x, weights, label="weights' lr", color="tab:blue")
        ax.plot(x, biases, label="biases' lr", color="tab:orange", ls=(0, (4, 2)))
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("learning rate")
        ax.set_title(f"{title}: {t.optimizer}, {t.warmup}, {t.epochs} epochs", fontsize=FONT + 1)
        ratio = ax.twinx()
        epochs = np.arange(t.epochs + 1)
        ratio.plot(epochs, [objectness_ratio(e, t.epochs) for e in epochs], "--", color="grey",
                   label="objectness: GIoU share")
        ratio.set_ylim(0, 1.05)
        ratio.set_ylabel("GIoU share of the objectness target", fontsize=FONT)
        lines = ax.get_legend_handles_labels(), ratio.get_legend_handles_labels()
        ax.legend(lines[0][0] + lines[1][0], lines[0][1] + lines[1][1], fontsize=FONT - 1, loc="lower left")
    return fig


def _flow(ax, steps: list[str], loop_label: str) -> None:
    """Boxes top to bottom joined by arrows, and a dashed arrow from the last back to the second."""
    ys = np.linspace(0.9, 0.1, len(steps))
    for y, text in zip(ys, steps):
        ax.text(0.42, y, text, ha="center", va="center", fontsize=FONT, bbox=BOX, wrap=True)
    for top, bottom in zip(ys, ys[1:]):
        ax.annotate("", (0.42, bottom + 0.075), (0.42, top - 0.075), arrowprops=ARROW)
    ax.annotate("", (0.86, ys[1]), (0.86, ys[-1]), arrowprops={**ARROW, "linestyle": "--",
                                                                "connectionstyle": "arc3,rad=0"})
    ax.text(0.9, (ys[1] + ys[-1]) / 2, loop_label, rotation=90, va="center", fontsize=FONT - 1)
    ax.set_xlim(0, 1), ax.set_ylim(0, 1), ax.axis("off")


def pruning_methods() -> plt.Figure:
    """Left, the lottery-ticket loop at the paper's settings; right, CS's soft mask
    m(s) = sigmoid(beta s) / sigmoid(s0) as a search round raises beta from 1 to its final value."""
    lth, k, epochs = LTHParams(), get_profile("paper").rewind_epoch, RunParams().train.epochs
    fig, (loop, mask) = plt.subplots(1, 2, figsize=(PAGE_WIDTH, 3.6), constrained_layout=True,
                                     gridspec_kw={"width_ratios": [1.1, 1]})
    _flow(loop, [f"train the dense model {epochs} epochs,\nkeeping its weights after epoch k = {k}",
                 f"prune: drop the smallest |w| to {lth.target_sparsity:.0%} sparsity\n(per layer, or one global threshold)",
                 f"rewind: the survivors take their\nepoch-{k} values; the pruned stay 0",
                 f"retrain the ticket {epochs} epochs"],
          "more rounds: prune again")
    loop.set_title("Lottery ticket (LTH): prune, rewind, retrain", fontsize=FONT + 1)
    cs = CSParams()
    scores = torch.linspace(-0.6, 0.6, 601)
    soft = SoftMask(scores, cs.s0, scores)
    for i in range(4):  # beta after 0, 1/3, 2/3 and all of a round's epochs, by CS's own schedule
        beta = soft.beta = beta_at(i, 4)
        with torch.no_grad():
            mask.plot(scores, soft.mask(), color=plt.cm.viridis(i / 3), label=f"β = {beta:.3g}")
    mask.step(scores, (scores > 0).float(), where="post", color="black", lw=0.8, ls=":", label="the ticket's mask: 1[s > 0]")
    mask.axvline(cs.s0, color="grey", lw=0.6, label=f"s₀ = {cs.s0}: every score's start")
    mask.set_xlabel("score s")
    mask.set_ylabel("weight multiplier m(s)")
    mask.set_title(f"CS: the soft mask hardens as β grows to {FINAL_BETA:g}", fontsize=FONT + 1)
    mask.legend(fontsize=FONT - 1, loc="upper left")
    mask.text(0.6, 0.35, "kept weights train at 1 / σ(s₀)\nin the search, at 1 in the ticket", ha="right",
              fontsize=FONT - 1)
    return fig


def _hint_rows() -> dict[tuple[str, int], list[str]]:
    """(student arch, teacher layer) -> the hint rows' labels that pair it."""
    used: dict[tuple[str, int], list[str]] = {}
    for row in ROWS:
        for layer in row.settings.get("hints", ()):
            used.setdefault((row.arch, layer), []).append(", ".join(map(str, row.settings["hints"])))
    return used


def hint_pairs_figure(img_size: int = 416, width: float = 1.0, classes: int = 20) -> plt.Figure:
    """The teacher's Darknet layers and each student's tap at the same resolution, with
    their (C, H, W) at ``img_size``: a hint pulls the student's map, through a 1x1 conv +
    LeakyReLU to the teacher's channels, towards the teacher's."""
    teacher, used = build(TEACHER, classes, width).eval(), _hint_rows()
    layers = sorted(STUDENT_TAPS[STUDENTS[0]])
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 3.4), constrained_layout=True)
    ys = {layer: 0.85 - i * 0.23 for i, layer in enumerate(layers)}
    columns = {TEACHER: 0.5, STUDENTS[0]: 0.1, STUDENTS[1]: 0.9}
    for student_name in STUDENTS:
        student = build(student_name, classes, width, activation="leaky").eval()
        pairs = hint_pairs(student, tuple(layers))
        shapes = feature_shapes(teacher, student, pairs, img_size)
        x = columns[student_name]
        for layer, (t_shape, s_shape), (_, tap) in zip(layers, shapes, pairs):
            y = ys[layer]
            ax.text(columns[TEACHER], y, f"layer {layer}\n{t_shape[0]}×{t_shape[1]}×{t_shape[2]}",
                    ha="center", va="center", fontsize=FONT, bbox={**BOX, "facecolor": "#fdf0e6", "edgecolor": "#c0703a"})
            ax.text(x, y, f"{tap}\n{s_shape[0]}×{s_shape[1]}×{s_shape[2]}", ha="center", va="center",
                    fontsize=FONT, bbox=BOX)
            rows = used.get((student_name, layer))
            start, end = (x + 0.08, columns[TEACHER] - 0.1) if x < 0.5 else (x - 0.08, columns[TEACHER] + 0.1)
            ax.annotate("", (end, y), (start, y), arrowprops={**ARROW, "linestyle": "-" if rows else ":",
                                                             "color": ARROW["color"] if rows else "#bbbbbb"})
            ax.text((start + end) / 2, y + 0.035, f"1×1 conv → {t_shape[0]}", ha="center", fontsize=FONT - 2,
                    color="#555555")
            if rows:
                ax.text((start + end) / 2, y - 0.06, "rows: " + "; ".join(rows), ha="center", fontsize=FONT - 2)
    for name, x in columns.items():
        role = "teacher" if name == TEACHER else "student"
        ax.text(x, 1.0, f"{name} ({role})", ha="center", fontsize=FONT + 1, weight="bold")
    ax.set_title(f"Hint pairs at {img_size}×{img_size}, width {width:g} (dotted: a pair no row uses)",
                 fontsize=FONT + 1, pad=14)
    ax.set_xlim(-0.05, 1.05), ax.set_ylim(0.05, 1.05), ax.axis("off")
    return fig


def quantization_and_tucker(classes: int = 20, layer: str = "layers.29.conv") -> plt.Figure:
    """Left, a 3x3 conv of a fresh YOLOv3 (width 1.0) in the int8 file: every output
    channel's weights rounded to 255 levels of its own scale (max |w| / 127), an error of
    at most half a level;
    right, the same conv as Tucker-2's 1x1 -> k x k -> 1x1 at ranks of 1/4, weights counted."""
    torch.manual_seed(0)
    model = build(TEACHER, classes, 1.0)
    conv = model.get_submodule(layer)
    w = conv.weight.detach()
    entry = encoded(w, "int8")  # the int8 file's entry: values and one scale per output channel
    error = ((decoded(entry) - w).flatten(1) / entry["scale"][:, None]).flatten().numpy()
    fig, (q, t) = plt.subplots(1, 2, figsize=(PAGE_WIDTH, 3.0), constrained_layout=True)
    q.hist(error, bins=60, color="tab:blue")
    q.set_xlabel("int8 rounding error, in levels of the channel's scale")
    q.set_ylabel("weights")
    q.set_title(f"int8 storage of one conv: {w.numel():,} weights, {w.shape[0]} scales", fontsize=FONT + 1)
    factors = tucker2_conv(conv, rank_ratio=0.25)
    shapes = [tuple(f.weight.shape) for f in factors]
    full = w.numel()
    small = factor_params(conv, shapes[0][0], shapes[1][0])
    steps = [f"{conv.in_channels} → {shapes[0][0]}: 1×1", f"{shapes[1][1]} → {shapes[1][0]}: "
             f"{shapes[1][2]}×{shapes[1][3]}", f"{shapes[2][1]} → {shapes[2][0]}: 1×1"]
    for i, text in enumerate(steps):
        y = 0.75 - i * 0.25
        t.text(0.5, y, text, ha="center", va="center", fontsize=FONT, bbox=BOX)
        if i:
            t.annotate("", (0.5, y + 0.07), (0.5, y + 0.18), arrowprops=ARROW)
    t.text(0.5, 0.95, f"{conv.in_channels} → {conv.out_channels}: {conv.kernel_size[0]}×{conv.kernel_size[1]}, "
           f"{full:,} weights", ha="center", fontsize=FONT)
    t.text(0.5, 0.05, f"Tucker-2 at ranks 1/4: {small:,} weights ({small / full:.1%})", ha="center", fontsize=FONT)
    t.set_title("Tucker-2 of the same conv", fontsize=FONT + 1)
    t.set_xlim(0, 1), t.set_ylim(0, 1), t.axis("off")
    return fig


EXPLAINERS = {"explain_training": training_schedules, "explain_pruning": pruning_methods,
              "explain_distillation": hint_pairs_figure, "explain_quantization": quantization_and_tucker}
