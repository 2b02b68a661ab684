"""Pascal VOC layout reader, for VOC itself and any dataset written in its format.

    <root>/[VOCdevkit/][VOC<year>/]Annotations/<id>.xml
                                   JPEGImages/<id>.jpg
                                   ImageSets/Main/<split>.txt   (optional: else a seeded split)
                                   classes.txt                  (optional: one class per line)

XML coordinates are 1-based inclusive pixels; records hold 0-based continuous
ones (x1 = xmin - 1, x2 = xmax), so a box's width is xmax - xmin + 1 pixels.
"""
from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Sequence

from .records import (DatasetError, DetectionIndex, Record, RecordProblem, check_box, collect, image_size,
                      make_record, read_lines)

VOC_CLASSES = ("aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
               "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa",
               "train", "tvmonitor")
SPLITS = ("train", "val", "test", "trainval")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".JPG", ".JPEG", ".PNG")


def dataset_folder(root: str | Path, year: int | str | None) -> Path:
    """The folder holding Annotations/, allowing for a VOCdevkit/ and a VOC<year>/ level."""
    base = Path(root)
    if not base.is_dir():
        raise DatasetError(f"data_root: folder {base} does not exist")
    if (base / "VOCdevkit").is_dir():
        base = base / "VOCdevkit"
    if year is not None:
        base = base / f"VOC{year}"
    if not (base / "Annotations").is_dir():
        years = sorted(p.name for p in base.glob("VOC*") if (p / "Annotations").is_dir())
        hint = f"; pass year= one of {[y.removeprefix('VOC') for y in years]}" if years else ""
        raise DatasetError(f"{base}: expected an Annotations/ folder (VOC layout){hint}")
    return base


def split_ids(base: Path, split: str, seed: int, fractions: tuple[float, float, float]) -> list[str]:
    """Image ids of ``split``: from ImageSets/Main/<split>.txt, or a seeded
    train/val/test split of all annotations when the dataset has no ImageSets."""
    if split not in SPLITS:
        raise DatasetError(f"split: expected one of {SPLITS}, got {split!r}")
    lists = base / "ImageSets" / "Main"
    if lists.is_dir():
        return [line.split()[0] for line in read_lines(lists / f"{split}.txt", str(base))]
    ids = sorted(p.stem for p in (base / "Annotations").glob("*.xml"))
    if not ids:
        raise DatasetError(f"{base / 'Annotations'}: no .xml annotation files")
    random.Random(seed).shuffle(ids)
    n_train, n_val = round(fractions[0] * len(ids)), round(fractions[1] * len(ids))
    parts = {"train": ids[:n_train], "val": ids[n_train:n_train + n_val], "test": ids[n_train + n_val:],
             "trainval": ids[:n_train + n_val]}
    return sorted(parts[split])


def collect_classes(base: Path) -> tuple[str, ...]:
    """classes.txt if present, else the sorted object names found in all annotations."""
    listed = base / "classes.txt"
    if listed.is_file():
        return tuple(read_lines(listed, str(base)))
    names = set()
    for xml in (base / "Annotations").glob("*.xml"):
        try:
            names.update((o.findtext("name") or "").strip() for o in ET.parse(xml).getroot().iter("object"))
        except ET.ParseError:
            continue  # reported with its file and line when its split is opened
    names.discard("")
    if not names:
        raise DatasetError(f"{base / 'Annotations'}: no object names found to collect classes from")
    return tuple(sorted(names))


def find_image(base: Path, stem: str, filename: str | None) -> Path | None:
    folder = base / "JPEGImages"
    candidates = ([folder / filename] if filename else []) + [folder / (stem + s) for s in IMAGE_SUFFIXES]
    return next((p for p in candidates if p.is_file()), None)


def number(element: ET.Element, tag: str, file: Path, field: str) -> float:
    text = element.findtext(tag)
    try:
        return float(text)
    except (TypeError, ValueError):
        raise RecordProblem(file, f"{field}/{tag}", f"expected a number, got {text!r}") from None


def parse_annotation(base: Path, stem: str, class_index: dict[str, int]) -> Record:
    xml = base / "Annotations" / f"{stem}.xml"
    if not xml.is_file():
        raise RecordProblem(xml, "annotation", "file listed in the split does not exist")
    try:
        root = ET.parse(xml).getroot()
    except ET.ParseError as err:
        raise RecordProblem(xml, "xml", f"malformed XML ({err})") from None
    filename = (root.findtext("filename") or "").strip() or None
    image = find_image(base, stem, filename)
    if image is None:
        raise RecordProblem(xml, "filename", f"no image {filename or stem + '.jpg'} in {base / 'JPEGImages'}")
    size = root.find(".//size")  # real-world files put <size> in odd places, or leave it out
    try:
        width, height = int(float(size.findtext("width"))), int(float(size.findtext("height")))
    except (AttributeError, TypeError, ValueError):
        width, height = 0, 0
    if width <= 0 or height <= 0:
        width, height = image_size(image, xml)
    objects = []
    for i, obj in enumerate(root.iter("object")):
        field = f"object[{i}]"
        name = (obj.findtext("name") or "").strip()
        if name not in class_index:
            raise RecordProblem(xml, f"{field}/name", f"unknown class {name!r}; expected one of {list(class_index)}")
        bndbox = obj.find("bndbox")
        if bndbox is None:
            raise RecordProblem(xml, f"{field}/bndbox", "missing")
        xmin, ymin, xmax, ymax = (number(bndbox, t, xml, f"{field}/bndbox") for t in ("xmin", "ymin", "xmax", "ymax"))
        box = (xmin - 1, ymin - 1, xmax, ymax)
        check_box(box, width, height, xml, f"{field}/bndbox")
        difficult = obj.findtext("difficult")
        objects.append((box, class_index[name], bool(int(float(difficult))) if difficult else False))
    return make_record(image, xml, width, height, objects)


def read_voc(root: str | Path, split: str = "train", year: int | str | None = None,
             classes: Sequence[str] | None = None, skip_invalid: bool = False, split_seed: int = 0,
             split_fractions: tuple[float, float, float] = (0.8, 0.1, 0.1), name: str = "voc") -> DetectionIndex:
    """Open and validate one split of a VOC-format dataset.

    classes: the class list (label i = classes[i]); None reads classes.txt or
    collects the names found in the annotations (for VOC itself, pass VOC_CLASSES).
    """
    base = dataset_folder(root, year)
    ids = split_ids(base, split, split_seed, split_fractions)
    class_names = tuple(classes) if classes is not None else collect_classes(base)
    class_index = {c: i for i, c in enumerate(class_names)}
    records = collect(ids, lambda stem: parse_annotation(base, stem, class_index), skip_invalid, f"{base} [{split}]")
    return DetectionIndex(name, split, class_names, tuple(records))
