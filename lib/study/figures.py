"""The results chapter's figures, each a function of the runs' results returning a
matplotlib Figure: mAP against a cost with the Pareto front, per-layer sparsity,
CS sparsity across the search, training curves and a grid of detections. They only
draw: whatever needs computing (means, detections) arrives computed."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.patches import Rectangle
from matplotlib.ticker import NullFormatter
from torchvision.ops import clip_boxes_to_image

from .results import pareto_front, row_means

COSTS = {"macs": "MACs (paper rule, one image)", "storage_mib": "storage (MiB, as saved)", "params": "parameters",
         "latency_ms": "CPU latency (ms, 1 thread, batch 1, the study's input size)",
         "latency_416_ms": "CPU latency (ms, 1 thread, batch 1, 416 x 416)"}


def _label(row) -> str:
    return row["model"] if row["training"] == "Default" else f"{row['model']}, {row['training']}"


def map_vs_cost(runs: pd.DataFrame, cost: str = "macs") -> plt.Figure:
    """mAP@0.5 (mean over seeds) against ``cost`` on a log axis, one panel per
    dataset, with the Pareto front (no other row cheaper and better) drawn through."""
    datasets = list(dict.fromkeys(runs["dataset"]))
    fig, axes = plt.subplots(1, len(datasets), figsize=(6.5 * len(datasets), 5), squeeze=False)
    for ax, dataset in zip(axes[0], datasets):
        ax.set_prop_cycle(color=plt.cm.tab20.colors)  # 16 rows: distinct colours
        means = row_means(runs, dataset, [cost, "map50"]).reset_index()
        front = pareto_front(means[cost].to_numpy(), means["map50"].to_numpy())
        for i, row in means.iterrows():
            ax.scatter(row[cost], row["map50"], s=40, marker="o" if front[i] else "x", label=_label(row))
        edge = means[front].sort_values(cost)
        ax.plot(edge[cost], edge["map50"], "k--", lw=1, label="Pareto front")
        ax.set(xscale="log", xlabel=COSTS[cost], ylabel="test mAP@0.5", title=dataset)
        ax.xaxis.set_minor_formatter(NullFormatter())  # minor labels of a short log range overlap
        ax.grid(alpha=0.3)
    axes[0][-1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5))
    fig.tight_layout()
    return fig


def layer_sparsity(results: list[dict]) -> plt.Figure:
    """Fraction of each prunable layer's weights removed, in network order, for every
    pruned run given (LTH local and global, CS)."""
    fig, ax = plt.subplots(figsize=(10, 4))
    for r in results:
        ax.plot([row["sparsity"] for row in r["layers"]], marker=".", lw=1, label=f"{r['training']} ({r['dataset']})")
    ax.set(xlabel="prunable layer (network order)", ylabel="sparsity", ylim=(-0.02, 1.02))
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def cs_search(results: list[dict]) -> plt.Figure:
    """CS: sparsity 1[s <= 0] of the scores after each epoch of the search rounds."""
    fig, ax = plt.subplots(figsize=(8, 4))
    for r in results:
        steps = r["search"]
        ax.plot(range(1, len(steps) + 1), [s["sparsity"] for s in steps], marker=".",
                label=f"{r['training']} ({r['dataset']})")
    ax.set(xlabel="search epoch (all rounds in order)", ylabel="sparsity of the mask 1[s > 0]")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def training_curves(results: list[dict]) -> plt.Figure:
    """Validation mAP@0.5 after each epoch of every run's final training, per dataset."""
    datasets = list(dict.fromkeys(r["dataset"] for r in results))
    fig, axes = plt.subplots(1, len(datasets), figsize=(6.5 * len(datasets), 4.5), squeeze=False, sharey=True)
    for ax, dataset in zip(axes[0], datasets):
        ax.set_prop_cycle(color=plt.cm.tab20.colors)
        for r in (r for r in results if r["dataset"] == dataset):
            ax.plot([h["epoch"] for h in r["history"]], [h["map50"] for h in r["history"]], lw=1, label=_label(r))
        ax.set(xlabel="epoch", ylabel="validation mAP@0.5", title=dataset)
        ax.grid(alpha=0.3)
    axes[0][-1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5))
    fig.tight_layout()
    return fig


def detection_grid(samples: list[dict]) -> plt.Figure:
    """One row per run (``chapter.sample_detections``): its detections in red, the
    ground truth dashed white."""
    n_images = len(samples[0]["images"]) if samples else 0
    fig, axes = plt.subplots(len(samples), n_images, figsize=(2.6 * n_images, 2.6 * len(samples)), squeeze=False)
    for axes_row, sample in zip(axes, samples):
        for ax, image, pred, target in zip(axes_row, sample["images"], sample["predictions"], sample["targets"]):
            ax.imshow(image.permute(1, 2, 0).numpy())
            for box in target["boxes"].tolist():
                ax.add_patch(Rectangle(box[:2], box[2] - box[0], box[3] - box[1], fill=False, ec="white", ls="--", lw=1))
            # drawn within the image: an untrained model's box can reach 1e20 pixels, and a
            # label there would stretch the figure past what the renderer can allocate
            boxes = clip_boxes_to_image(pred["boxes"], tuple(image.shape[-2:]))
            for box, label in zip(boxes.tolist(), pred["labels"].tolist()):
                ax.add_patch(Rectangle(box[:2], box[2] - box[0], box[3] - box[1], fill=False, ec="red", lw=1.2))
                ax.text(box[0], box[1], sample["classes"][label], color="red", fontsize=6, va="bottom", clip_on=True)
            ax.set_axis_off()
        result = sample["result"]
        axes_row[0].set_title(f"{_label(result)} ({result['dataset']})", fontsize=8, loc="left")
    fig.tight_layout()
    return fig


def gradual_schedule(results: list[dict]) -> plt.Figure:
    """Pruning during training: the masks' sparsity and validation mAP@0.5 after each epoch."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for r in results:
        epochs = [h["epoch"] for h in r["history"]]
        label = f"{r['training']} ({r['dataset']})"
        left.plot(epochs, [h["gradual_sparsity"] for h in r["history"]], marker=".", label=label)
        right.plot(epochs, [h["map50"] for h in r["history"]], marker=".", label=label)
    left.set(xlabel="epoch", ylabel="sparsity of the masks", ylim=(-0.02, 1.02))
    right.set(xlabel="epoch", ylabel="validation mAP@0.5")
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
