"""The built-in dataset: procedurally rendered scenes written in VOC layout, so
the same reader serves it, VOC and a user's own data.

Each scene has 1..max_objects objects of the chosen classes (shapes and
symbols of random size, colour, rotation and aspect) on a textured background,
with distractors (irregular blobs, bars) in random depth order, so objects are
partly hidden. Boxes are tight on each object's *visible* pixels (VOC's rule);
an object with under 35% of its area visible is marked difficult. The ``dark``
variant mirrors ExDark: low light, gamma, a colour cast, glare, sensor noise, blur.

Generation is deterministic for a spec (scene i's random stream is seeded by
(seed, variant, i)) and happens once, into a cache folder keyed by the spec's hash.
"""
from __future__ import annotations

import colorsys
import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from ..files import remove_leftovers, temporary
from ..hashing import stable_hash
from .cache import cache_root
from .records import DatasetError
from .shapes import SHAPES, bar, blob, place

VARIANTS = {"light": 0, "dark": 1}
SPLIT_NAMES = ("train", "val", "test")
DIFFICULT_VISIBLE_FRACTION = 0.35


@dataclass(frozen=True)
class BuiltinSpec:
    """Parameters of a generated dataset (all of them enter its cache key)."""

    variant: str = "light"
    img_size: int = 320
    n_train: int = 800
    n_val: int = 200
    n_test: int = 200
    classes: tuple[str, ...] = ("circle", "square", "triangle", "star", "cross", "ring")
    seed: int = 0
    max_objects: int = 6
    max_distractors: int = 6
    min_object_size: float = 0.06  # fraction of the image side
    max_object_size: float = 0.4

    def __post_init__(self):
        object.__setattr__(self, "classes", tuple(self.classes))
        if self.variant not in VARIANTS:
            raise ValueError(f"variant: expected one of {sorted(VARIANTS)}, got {self.variant!r}")
        unknown = [c for c in self.classes if c not in SHAPES]
        if unknown or not self.classes:
            raise ValueError(f"classes: expected names from {sorted(SHAPES)}, got {list(self.classes)}")
        if self.img_size < 32 or min(self.n_train, self.n_val, self.n_test) < 1:
            raise ValueError("img_size must be >= 32 and n_train, n_val, n_test >= 1")
        if not 0 < self.min_object_size <= self.max_object_size <= 1:
            raise ValueError(f"min_object_size: expected 0 < min_object_size <= max_object_size "
                             f"({self.max_object_size}) <= 1, got {self.min_object_size}")
        if self.max_objects < 1 or self.max_distractors < 0:
            raise ValueError(f"max_objects, max_distractors: expected at least 1 and 0, got "
                             f"{self.max_objects} and {self.max_distractors}")

    def key(self) -> str:
        return stable_hash(asdict(self))


@dataclass
class SceneObject:
    label: int
    box: tuple[float, float, float, float]  # xyxy, 0-based continuous pixels, tight on `visible`
    difficult: bool
    visible: np.ndarray  # (H, W) bool


def random_colour(rng: np.random.Generator) -> np.ndarray:
    return np.array(colorsys.hsv_to_rgb(rng.random(), rng.uniform(0.3, 1.0), rng.uniform(0.3, 1.0)), np.float32)


def background(rng: np.random.Generator, size: int) -> np.ndarray:
    """(size, size, 3) float in [0, 1]: muted smooth colour noise around a random
    tone, sometimes faint stripes or a checker. Muted so that objects stand out by
    shape and colour while the texture and the distractors still make it no easy task."""
    k = int(rng.integers(3, 10))
    low = Image.fromarray((rng.random((k, k, 3)) * 255).astype(np.uint8))
    noise = np.asarray(low.resize((size, size), Image.BICUBIC), np.float32) / 255
    tone = rng.uniform(0.25, 0.75) * (0.8 + 0.4 * rng.random(3)).astype(np.float32)
    img = tone + 0.3 * (noise - 0.5)
    yy, xx = np.mgrid[0:size, 0:size] / size
    pattern = rng.random()
    if pattern < 0.35:
        angle, freq = rng.uniform(0, np.pi), rng.uniform(4, 20)
        img += 0.08 * np.sin(2 * np.pi * freq * (xx * np.cos(angle) + yy * np.sin(angle)))[..., None] * random_colour(rng)
    elif pattern < 0.55:
        cells = rng.integers(4, 12)
        img += 0.06 * (((xx * cells).astype(int) + (yy * cells).astype(int)) % 2)[..., None] * random_colour(rng)
    return img


def rasterise(polygons: list[list[tuple[float, float]]], size: int) -> np.ndarray:
    canvas = Image.new("L", (size, size))
    draw = ImageDraw.Draw(canvas)
    for i, polygon in enumerate(polygons):
        draw.polygon(polygon, fill=0 if i else 255)  # the first is the outline, the rest are holes
    return np.asarray(canvas) > 0


def paint(img: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> None:
    """Fill ``mask`` with a random colour, a linear shading and grain."""
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return
    direction = rng.normal(size=2)
    shade = (xs * direction[0] + ys * direction[1]) / (np.abs(direction).sum() * img.shape[0])
    colour = random_colour(rng)
    img[ys, xs] = colour * (0.85 + 0.3 * (shade - shade.mean()))[:, None] + rng.normal(0, 0.02, (len(xs), 3))


def darken(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Low light: gamma and exposure, a colour cast, maybe a glare spot, shot and read noise."""
    img = np.clip(img, 0, 1) ** rng.uniform(1.2, 1.8) * rng.uniform(0.12, 0.35)
    img = img * rng.uniform(0.7, 1.3, 3).astype(np.float32)
    if rng.random() < 0.5:
        size = img.shape[0]
        cy, cx, radius = rng.uniform(0, size, 2).tolist() + [rng.uniform(0.05, 0.25) * size]
        yy, xx = np.mgrid[0:size, 0:size]
        glow = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * radius ** 2))
        img = img + 0.6 * glow[..., None] * random_colour(rng)
    noise = rng.normal(0, 1, img.shape) * (rng.uniform(0.01, 0.04) + 0.05 * np.sqrt(np.clip(img, 0, 1)))
    return img + noise


def finish(img: np.ndarray, rng: np.random.Generator, dark: bool) -> Image.Image:
    if dark:
        img, blur = darken(img, rng), rng.uniform(0.4, 1.2)
    else:
        img = img + rng.normal(0, rng.uniform(0, 0.02), img.shape)
        blur = rng.uniform(0.3, 0.8) if rng.random() < 0.3 else 0.0
    out = Image.fromarray((np.clip(img, 0, 1) * 255).round().astype(np.uint8))
    return out.filter(ImageFilter.GaussianBlur(blur)) if blur else out


def render_scene(spec: BuiltinSpec, index: int) -> tuple[Image.Image, list[SceneObject]]:
    """Scene ``index`` of ``spec``: the RGB image and its annotated objects."""
    rng = np.random.default_rng([spec.seed, VARIANTS[spec.variant], index])
    size = spec.img_size
    img = background(rng, size)
    n_objects = int(rng.integers(1, spec.max_objects + 1))
    items = [int(label) for label in rng.integers(0, len(spec.classes), n_objects)]
    items += [-1] * int(rng.integers(0, spec.max_distractors + 1))   # -1: a distractor
    masks = []
    for label in rng.permutation(np.array(items)).tolist():          # random depth order
        side = size * np.exp(rng.uniform(np.log(spec.min_object_size), np.log(spec.max_object_size)))
        shape = SHAPES[spec.classes[label]] if label >= 0 else (blob(rng) if rng.random() < 0.7 else bar(rng))
        centre = tuple(rng.uniform(0.05 * size, 0.95 * size, 2))
        mask = rasterise(place(shape, centre, side, rng.uniform(0.6, 1.6), rng.uniform(0, 2 * np.pi)), size)
        paint(img, mask, rng)
        masks.append((label, mask))
    objects, covered = [], np.zeros((size, size), bool)
    for label, mask in reversed(masks):                               # from the front, what each one shows
        visible = mask & ~covered
        covered |= mask
        if label < 0 or not visible.any():
            continue
        ys, xs = np.nonzero(visible)
        box = (float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1))
        objects.append(SceneObject(label, box, visible.sum() < DIFFICULT_VISIBLE_FRACTION * mask.sum(), visible))
    return finish(img, rng, spec.variant == "dark"), objects[::-1]


def annotation_xml(filename: str, size: int, objects: list[SceneObject], classes: tuple[str, ...]) -> str:
    """VOC XML; the box is written 1-based inclusive (xmin = x1 + 1, xmax = x2)."""
    lines = ["<annotation>", "  <folder>JPEGImages</folder>", f"  <filename>{filename}</filename>",
             f"  <size><width>{size}</width><height>{size}</height><depth>3</depth></size>"]
    for obj in objects:
        x1, y1, x2, y2 = (int(v) for v in obj.box)
        lines += ["  <object>", f"    <name>{classes[obj.label]}</name>", "    <pose>Unspecified</pose>",
                  "    <truncated>0</truncated>", f"    <difficult>{int(obj.difficult)}</difficult>",
                  f"    <bndbox><xmin>{x1 + 1}</xmin><ymin>{y1 + 1}</ymin><xmax>{x2}</xmax><ymax>{y2}</ymax></bndbox>",
                  "  </object>"]
    return "\n".join(lines + ["</annotation>", ""])


def write_dataset(spec: BuiltinSpec, folder: Path) -> None:
    """Render every scene of ``spec`` into ``folder`` in VOC layout."""
    for sub in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    (folder / "classes.txt").write_text("\n".join(spec.classes) + "\n")
    counts = (spec.n_train, spec.n_val, spec.n_test)
    start = 0
    for split, count in zip(SPLIT_NAMES, counts):
        ids = [f"{i:06d}" for i in range(start, start + count)]
        for image_id, index in zip(ids, range(start, start + count)):
            image, objects = render_scene(spec, index)
            image.save(folder / "JPEGImages" / f"{image_id}.jpg", quality=92)
            xml = annotation_xml(f"{image_id}.jpg", spec.img_size, objects, spec.classes)
            (folder / "Annotations" / f"{image_id}.xml").write_text(xml)
        (folder / "ImageSets" / "Main" / f"{split}.txt").write_text("\n".join(ids) + "\n")
        start += count
    (folder / "spec.json").write_text(json.dumps(asdict(spec), indent=1))


def builtin_dataset(spec: BuiltinSpec = BuiltinSpec(), cache_dir: str | Path | None = None) -> Path:
    """The VOC-layout folder of ``spec``, generated on first use (atomically: a
    partly written folder is never mistaken for a finished one, and a folder that
    another process finished first is kept, since that process may be reading it)."""
    folder = Path(cache_dir or cache_root()) / f"builtin-{spec.variant}-{spec.key()}"
    if not (folder / "spec.json").is_file():
        remove_leftovers(folder.parent)
        staging = temporary(folder, "partial")
        write_dataset(spec, staging)
        try:
            os.replace(staging, folder)  # fails on a non-empty folder: never swapped under a reader
        except OSError:
            shutil.rmtree(staging)
            if not (folder / "spec.json").is_file():
                raise DatasetError(f"{folder}: a folder that is not a finished built-in dataset is in the "
                                   "way; remove it") from None
    return folder
