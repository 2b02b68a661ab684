"""Training augmentation (book/spec.md, Training scheme) and the evaluation letterbox.

Images are uint8 tensors (3, H, W); boxes are float tensors (N, 4) xyxy in
pixels of the image they travel with. All randomness comes from the numpy
generator passed in, so a sample is a pure function of (seed, epoch, index).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torchvision.transforms.v2.functional as F
from torch import Tensor
from torchvision import tv_tensors
from torchvision.ops import box_area

PAD_VALUE = 114  # grey, as in the YOLO letterbox


@dataclass(frozen=True)
class AugmentParams:
    mosaic: float = 1.0                    # probability of a 4-image mosaic
    scale: tuple[float, float] = (0.75, 1.33)  # zoom of the mosaic crop
    hue: float = 0.0138                    # HSV gains (ultralytics' VOC-tuned values)
    saturation: float = 0.678
    value: float = 0.36
    flip: float = 0.5                      # horizontal flip probability
    min_box: float = 4.0                   # kept boxes: w, h > min_box px,
    min_area_ratio: float = 0.2            # area after / before > min_area_ratio,
    max_aspect: float = 10.0               # and max(w/h, h/w) < max_aspect

    def __post_init__(self):
        for name in ("mosaic", "flip"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"augment.{name}: expected a probability in [0, 1], got {getattr(self, name)}")
        if not 0 < self.scale[0] <= self.scale[1]:
            raise ValueError(f"augment.scale: expected 0 < low <= high, got {self.scale}")


def _boxes(boxes: Tensor, height: int, width: int) -> tv_tensors.BoundingBoxes:
    return tv_tensors.BoundingBoxes(boxes, format="XYXY", canvas_size=(height, width))


def resize_longest(img: Tensor, boxes: Tensor, size: int) -> tuple[Tensor, Tensor]:
    """Resize so the longer side is ``size`` (aspect kept)."""
    h, w = img.shape[-2:]
    scale = size / max(h, w)
    new = [max(1, round(h * scale)), max(1, round(w * scale))]
    return F.resize(img, new, antialias=True), F.resize(_boxes(boxes, h, w), new).as_subclass(Tensor)


def letterbox(img: Tensor, boxes: Tensor, size: int) -> tuple[Tensor, Tensor, tuple[float, int, int]]:
    """Resize the longer side to ``size`` and pad to size x size, centred.
    Returns the image, the boxes and (scale, pad_left, pad_top) to map back."""
    h, w = img.shape[-2:]
    img, boxes = resize_longest(img, boxes, size)
    nh, nw = img.shape[-2:]
    left, top = (size - nw) // 2, (size - nh) // 2
    padding = [left, top, size - nw - left, size - nh - top]
    img = F.pad(img, padding, fill=PAD_VALUE)
    boxes = F.pad(_boxes(boxes, nh, nw), padding).as_subclass(Tensor)
    return img, boxes, (nw / w, left, top)


def keep(before: Tensor, after: Tensor, params: AugmentParams) -> Tensor:
    """Boolean mask of boxes that survive: big enough, not mostly cut off, not sliver-thin."""
    w, h = (after[:, 2] - after[:, 0]), (after[:, 3] - after[:, 1])
    aspect = torch.maximum(w / h.clamp(min=1e-6), h / w.clamp(min=1e-6))
    ratio = box_area(after) / box_area(before).clamp(min=1e-6)
    return (w > params.min_box) & (h > params.min_box) & (ratio > params.min_area_ratio) & (aspect < params.max_aspect)


def mosaic(samples: list[tuple[Tensor, Tensor]], size: int, rng: np.random.Generator,
           params: AugmentParams) -> tuple[Tensor, Tensor, Tensor]:
    """Four images meet at a random centre of a 2*size canvas; a window around
    the centre, zoomed by a factor from ``params.scale``, is resized to size x size.

    samples: 4 (image, boxes). Returns the image, the boxes of all samples in
    order (clipped to the window) and the mask of those that survive ``keep``.
    """
    canvas = torch.full((3, 2 * size, 2 * size), PAD_VALUE, dtype=torch.uint8)
    xc, yc = (int(v) for v in rng.uniform(size / 2, 3 * size / 2, 2))
    placed = []
    for k, (img, boxes) in enumerate(samples):
        img, boxes = resize_longest(img, boxes, size)
        h, w = img.shape[-2:]
        x0, y0 = xc - w * (1 - k % 2), yc - h * (1 - k // 2)  # image k's inner corner meets the centre
        cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x0 + w, 2 * size), min(y0 + h, 2 * size)
        canvas[:, cy0:cy1, cx0:cx1] = img[:, cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0]
        placed.append(boxes + torch.tensor([x0, y0, x0, y0], dtype=boxes.dtype))
    side = int(size / rng.uniform(*params.scale))
    half = side / 2
    cx = int(np.clip(xc + rng.uniform(-0.1, 0.1) * size, half, 2 * size - half) - half)
    cy = int(np.clip(yc + rng.uniform(-0.1, 0.1) * size, half, 2 * size - half) - half)
    img = F.resized_crop(canvas, cy, cx, side, side, [size, size], antialias=True)
    before = F.resized_crop(_boxes(torch.cat(placed), 2 * size, 2 * size), cy, cx, side, side, [size, size])
    after = F.clamp_bounding_boxes(before)
    return img, after.as_subclass(Tensor), keep(before.as_subclass(Tensor), after.as_subclass(Tensor), params)


GREY_WEIGHTS = (0.2989, 0.587, 0.114)  # torchvision's rgb_to_grayscale


def colour_matrix(value: float, saturation: float, hue: float) -> Tensor:
    """(3, 3) matrix on RGB: brightness x value, then saturation (a blend with the grey
    image, as torchvision's adjust_saturation), then a hue rotation by ``hue`` turns
    about the grey axis. The rotation keeps greys grey and turns red to green at 1/3 turn;
    it is not HSV's hexcone shift: at the study's 0.0138 turn the two differ by 3 of 255
    levels on average (at most 12) on random colours (book/spec.md, departures)."""
    angle = 2 * np.pi * hue
    axis = torch.full((3, 1), 1 / np.sqrt(3), dtype=torch.float64)
    cross = torch.tensor([[0, -1, 1], [1, 0, -1], [-1, 1, 0]], dtype=torch.float64) / np.sqrt(3)
    rotation = np.cos(angle) * torch.eye(3, dtype=torch.float64) + (1 - np.cos(angle)) * axis @ axis.T \
        + np.sin(angle) * cross
    grey = torch.tensor([GREY_WEIGHTS] * 3, dtype=torch.float64)
    blend = saturation * torch.eye(3, dtype=torch.float64) + (1 - saturation) * grey
    return (rotation @ blend * value).float()


def jitter_colour(img: Tensor, rng: np.random.Generator, params: AugmentParams) -> Tensor:
    """HSV jitter: value and saturation scaled by 1 +- gain, hue shifted by +- gain, as one
    colour matrix (a tenth of torchvision's HSV round trip per image; clipped once, at the end)."""
    value, saturation = rng.uniform(-1, 1, 2) * (params.value, params.saturation) + 1
    matrix = colour_matrix(float(value), float(saturation), float(rng.uniform(-1, 1) * params.hue))
    mixed = torch.einsum("ij,jhw->ihw", matrix, img.float())
    return mixed.round_().clamp_(0, 255).to(torch.uint8)


def maybe_flip(img: Tensor, boxes: Tensor, rng: np.random.Generator, p: float) -> tuple[Tensor, Tensor]:
    if rng.random() >= p:
        return img, boxes
    h, w = img.shape[-2:]
    return F.horizontal_flip(img), F.horizontal_flip(_boxes(boxes, h, w)).as_subclass(Tensor)
