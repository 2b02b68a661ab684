"""The results chapter's grid of detections: each run's predictions on a few test
images beside their ground truth (computed by ``inference.sample_detections``)."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
from matplotlib.patches import Rectangle
from torchvision.ops import clip_boxes_to_image

from .figure_axes import FONT, PAGE_WIDTH, run_label

IMAGES_PER_LINE = 4  # at a page's width each image is 2 in: its class labels stay legible


def detection_grid(samples: list[dict]) -> plt.Figure:
    """One block of lines per run (``inference.sample_detections``), at most
    ``IMAGES_PER_LINE`` images a line: its detections in red, the ground truth dashed white."""
    n_images = len(samples[0]["images"])
    per_line = min(n_images, IMAGES_PER_LINE)
    lines = math.ceil(n_images / per_line)
    side = PAGE_WIDTH / per_line
    # each line an image high, and 0.3 in for the run's title above its block
    fig, axes = plt.subplots(len(samples) * lines, per_line, figsize=(PAGE_WIDTH, (side + 0.3) * len(samples) * lines),
                             squeeze=False)
    for i, sample in enumerate(samples):
        block = axes[i * lines:(i + 1) * lines]
        for ax in block.flat:  # the cells past the last image stay blank
            ax.set_axis_off()
        for ax, image, pred, target in zip(block.flat, sample["images"], sample["predictions"], sample["targets"]):
            _draw_detections(ax, image, pred, target, sample["classes"])
        result = sample["result"]
        block[0, 0].set_title(f"{run_label(result)} ({result.dataset})", fontsize=10, loc="left")
    fig.tight_layout()
    return fig


def _draw_detections(ax, image, pred: dict, target: dict, classes: list[str]) -> None:
    """One image, its ground truth dashed white and its detections in red, each with its
    class on a red tag inside the box's top-left corner (inside: a box at the image's top
    edge would otherwise have its tag cut off)."""
    ax.imshow(image.permute(1, 2, 0).numpy())
    for box in target["boxes"].tolist():
        ax.add_patch(Rectangle(box[:2], box[2] - box[0], box[3] - box[1], fill=False, ec="white", ls="--", lw=1))
    # drawn within the image: an untrained model's box can reach 1e20 pixels, and a
    # label there would stretch the figure past what the renderer can allocate
    boxes = clip_boxes_to_image(pred["boxes"], tuple(image.shape[-2:]))
    for box, label in zip(boxes.tolist(), pred["labels"].tolist()):
        ax.add_patch(Rectangle(box[:2], box[2] - box[0], box[3] - box[1], fill=False, ec="red", lw=1.5))
        ax.text(box[0], box[1], classes[label], color="white", fontsize=FONT, va="top", clip_on=True,
                bbox={"facecolor": "red", "edgecolor": "none", "pad": 1})
