"""From a validated DetectionIndex to training and evaluation batches."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as nnf
from torch import Tensor
from torch.utils.data import Dataset
from PIL import Image

from .augment import AugmentParams, jitter_colour, letterbox, maybe_flip, mosaic
from .pixels import viewed_rgb
from .records import DetectionIndex

STRIDE = 32


def check_img_size(size: int, name: str = "img_size") -> int:
    if not isinstance(size, int) or size < STRIDE or size % STRIDE:
        raise ValueError(f"{name}: expected a positive multiple of {STRIDE}, got {size!r}")
    return size


class DetectionDataset(Dataset):
    """Items: (image, target). image: (3, S, S) float in [0, 1]; target: dict with
    boxes (N, 4) xyxy pixels of that image, labels (N,) int64, difficult (N,) bool,
    image_id (int, the record's index).

    With ``augment`` the item is a mosaic (or a letterboxed image) with colour
    jitter and flips, a pure function of (seed, epoch, index): call set_epoch(e)
    at each epoch. Without it, a plain letterbox (evaluation).

    ``keep_decoded`` holds every decoded image in memory after its first read: for
    small sets (the built-in ones: 550 images of 128 px are 27 MB), where decoding
    was a sixth of a sample's cost.
    """

    def __init__(self, index: DetectionIndex, img_size: int, augment: AugmentParams | None = None, seed: int = 0,
                 keep_decoded: bool = False):
        self.index, self.img_size = index, check_img_size(img_size)
        self.augment, self.seed, self.epoch = augment, seed, 0
        self.decoded: dict[int, Tensor] | None = {} if keep_decoded else None

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.index.records)

    def decode(self, i: int) -> Tensor:
        """(3, H, W) uint8 RGB of record ``i`` (never modified in place downstream)."""
        if self.decoded is not None and i in self.decoded:
            return self.decoded[i]
        with Image.open(self.index.records[i].image) as img:  # PIL: torchvision's decoders are deprecated from 0.29
            image = torch.from_numpy(np.array(viewed_rgb(img))).permute(2, 0, 1).contiguous()
        if self.decoded is not None:
            self.decoded[i] = image
        return image

    def read(self, i: int) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        record = self.index.records[i]
        return (self.decode(i), torch.from_numpy(record.boxes), torch.from_numpy(record.labels),
                torch.from_numpy(record.difficult))

    def __getitem__(self, i: int) -> tuple[Tensor, dict]:
        """(3, S, S) image in [0, 1] and its target: boxes (M, 4) xyxy in input pixels,
        labels (M,), difficult (M,); for evaluation also ``letterbox`` (scale, left, top),
        which maps input pixels back to the original image's."""
        extra = {}
        if self.augment is None:
            image, boxes, labels, difficult = self.read(i)
            image, boxes, extra["letterbox"] = letterbox(image, boxes, self.img_size)
        else:
            image, boxes, labels, difficult = self.augmented(i)
        target = {"boxes": boxes.float(), "labels": labels, "difficult": difficult, "image_id": i, **extra}
        return image.float() / 255, target

    def augmented(self, i: int) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        rng = np.random.default_rng([self.seed, self.epoch, i])
        params = self.augment
        if rng.random() < params.mosaic:
            parts = [self.read(j) for j in (i, *rng.integers(0, len(self), 3).tolist())]
            image, boxes, kept = mosaic([(p[0], p[1]) for p in parts], self.img_size, rng, params)
            labels, difficult = torch.cat([p[2] for p in parts]), torch.cat([p[3] for p in parts])
            boxes, labels, difficult = boxes[kept], labels[kept], difficult[kept]
        else:
            image, boxes, labels, difficult = self.read(i)
            image, boxes, _ = letterbox(image, boxes, self.img_size)
        image = jitter_colour(image, rng, params)
        image, boxes = maybe_flip(image, boxes, rng, params.flip)
        return image, boxes, labels, difficult


def collate(batch: list[tuple[Tensor, dict]]) -> tuple[Tensor, list[dict]]:
    """(B, 3, S, S) images and the list of B targets."""
    images, targets = zip(*batch)
    return torch.stack(images), list(targets)


def multiscale_sizes(low: int, high: int) -> list[int]:
    """Training sizes for multi-scale batches: multiples of 32 in [low, high]."""
    sizes = list(range(-(-low // STRIDE) * STRIDE, high + 1, STRIDE))
    if not sizes:
        raise ValueError(f"multiscale: no multiple of {STRIDE} in [{low}, {high}]")
    return sizes


def resize_batch(images: Tensor, targets: list[dict], size: int) -> tuple[Tensor, list[dict]]:
    """Resize a square batch to size x size, boxes scaled with it."""
    factor = size / images.shape[-1]
    if factor == 1:
        return images, targets
    images = nnf.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)
    return images, [{**t, "boxes": t["boxes"] * factor} for t in targets]
