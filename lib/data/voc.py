"""Pascal VOC layout reader, for VOC itself and any dataset written in its format.

    <root>/[VOCdevkit/][VOC<year>/]Annotations/<id>.xml
                                   JPEGImages/<id>.jpg
                                   ImageSets/Main/<split>.txt   (optional: see split_ids)
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
                      make_record, numbered_lines, read_lines)

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
        found = [y.removeprefix("VOC") for y in years]
        hint = (f"; set data.year to one of {found} (lib.train: --set data.year={found[0]}; a chapter: "
                f"-y 'overrides: {{data.year: {found[0]}}}'), or give data_root {base / years[0]}") if years else ""
        raise DatasetError(f"{base}: expected an Annotations/ folder (VOC layout){hint}")
    return base


def split_ids(base: Path, split: str, seed: int, fractions: tuple[float, float, float]) -> list[str]:
    """Image ids of ``split``. The lists in ImageSets/Main are used as they are, each a
    set of plain names, disjoint from the other splits' lists; a missing val or test
    list is carved, seeded, from the training list (train.txt, else trainval.txt),
    which then loses those images (``fractions`` of it for each), and the carving is
    announced once. Without ImageSets the seeded train/val/test split is made of all
    annotations. A carving that leaves the split asked for empty is an error."""
    if split not in SPLITS:
        raise DatasetError(f"split: expected one of {SPLITS}, got {split!r}")
    lists = base / "ImageSets" / "Main"
    if lists.is_dir():
        listed = disjoint_lists(lists, base)
        missing = [name for name in ("val", "test") if name not in listed]
        if split in listed and not (split == "train" and missing):
            return listed[split]
        if split == "trainval" and (lists / "trainval.txt").is_file():
            return list_ids(lists / "trainval.txt", base)
        source = next((lists / f for f in ("train.txt", "trainval.txt") if (lists / f).is_file()), None)
        if source is None or split not in ("train", "val", "test"):
            raise DatasetError(f"split file {lists / f'{split}.txt'} does not exist, and there is no train.txt "
                               "(or trainval.txt) to carve it from")
        ids = listed.get("train") or list_ids(source, base)
        shares = {name: fractions[("train", "val", "test").index(name)] for name in missing}
        parts = carve(ids, seed, shares)
        announce_carving(base, source, {name: len(parts[name]) for name in missing}, seed)
        return nonempty(parts, split, shares, len(ids), source)
    ids = sorted(p.stem for p in (base / "Annotations").glob("*.xml"))
    if not ids:
        raise DatasetError(f"{base / 'Annotations'}: no .xml annotation files")
    shares = {"val": fractions[1], "test": fractions[2]}
    parts = carve(ids, seed, shares)
    if split == "trainval":
        return sorted(nonempty(parts, "train", shares, len(ids), base / "Annotations") + parts["val"])
    return nonempty(parts, split, shares, len(ids), base / "Annotations")


def list_ids(path: Path, base: Path) -> list[str]:
    """The ids a split file lists: plain file names (a path could lead out of the
    dataset), each once."""
    ids, seen = [], {}
    for n, line in numbered_lines(path, str(base)):
        name = line.split()[0]
        if not plain_name(name):
            raise DatasetError(f"{path}: line {n}: {name!r} is not an image id (a plain name, no folder): "
                               "the split lists name files inside the dataset only")
        if name in seen:
            raise DatasetError(f"{path}: id {name!r} is listed twice (lines {seen[name]} and {n}); a split is a set")
        seen[name] = n
        ids.append(name)
    return ids


def plain_name(name: str) -> bool:
    """A bare file name: no folder, not "." or "..", so that it stays in its folder."""
    return name not in ("", ".", "..") and "/" not in name and "\\" not in name and Path(name).name == name


def disjoint_lists(lists: Path, base: Path) -> dict[str, list[str]]:
    """The ids of each train, val and test list present, no id in two of them
    (trainval is train and val by definition): an image in two splits would be scored
    on what it trained on."""
    present = {name: list_ids(lists / f"{name}.txt", base) for name in ("train", "val", "test")
               if (lists / f"{name}.txt").is_file()}
    names = list(present)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            shared = sorted(set(present[a]) & set(present[b]))
            if shared:
                raise DatasetError(f"{lists}: {len(shared)} id(s) in both {a}.txt and {b}.txt, e.g. {shared[:5]}; "
                                   "the splits must not share images")
    return present


def carve(ids: list[str], seed: int, fractions: dict[str, float]) -> dict[str, list[str]]:
    """Seeded parts of ``ids``, each ``fraction`` of them; the rest is "train"."""
    shuffled = sorted(ids)
    random.Random(seed).shuffle(shuffled)
    parts, start = {}, 0
    for name, fraction in fractions.items():
        n = round(fraction * len(shuffled))
        parts[name], start = sorted(shuffled[start:start + n]), start + n
    parts["train"] = sorted(shuffled[start:]) if fractions else list(ids)
    return parts


def nonempty(parts: dict[str, list[str]], split: str, fractions: dict[str, float], total: int,
             source: Path) -> list[str]:
    """``split``'s part of a carving (``carve``) of ``total`` ids; a part left empty is an
    error saying how many images the carving needs (an empty split would be scored as mAP 0)."""
    if not parts[split]:
        need = next((n for n in range(1, 10_000) if all(round(f * n) >= 1 for f in fractions.values())
                     and n - sum(round(f * n) for f in fractions.values()) >= 1), None)
        shares = ", ".join(f"{name} {fraction:.0%}" for name, fraction in fractions.items())
        needs = f"that needs {need} images at least" if need else "no number of images gives every split one"
        raise DatasetError(f"{source}: carving {shares} of {total} image(s) leaves {split} empty; "
                           f"{needs} (or give the split lists in ImageSets/Main)")
    return parts[split]


_ANNOUNCED: set[tuple] = set()


def announce_carving(base: Path, source: Path, sizes: dict[str, int], seed: int) -> None:
    """One log line per dataset and carving, however many of its splits are opened."""
    key = (str(base), tuple(sizes.items()), seed)
    if key not in _ANNOUNCED:
        _ANNOUNCED.add(key)
        carved = ", ".join(f"{name} ({n} image{'' if n == 1 else 's'})" for name, n in sizes.items())
        print(f"{base}: no {' or '.join(f'{n}.txt' for n in sizes)}; carved {carved} from {source.name} (seed {seed})")


def collect_classes(base: Path) -> tuple[str, ...]:
    """classes.txt if present, else the sorted object names found in all annotations."""
    listed = base / "classes.txt"
    if listed.is_file():
        return unique_classes(read_lines(listed, str(base)), listed)
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


def unique_classes(names, source) -> tuple[str, ...]:
    """``names`` as the class list, each once (two labels of one name could not be told apart)."""
    names = tuple(names)
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise DatasetError(f"{source}: class name(s) {twice} listed more than once; each class is named once")
    return names


def find_image(base: Path, stem: str, filename: str | None, xml: Path) -> Path | None:
    """The image of annotation ``stem``: found by that id (``stem`` + an image suffix).
    ``filename`` (the XML's <filename>) may give the suffix, but must name this id's
    image: one naming another pairs one image's boxes with another's pixels, or leads
    out of the dataset."""
    folder = base / "JPEGImages"
    if filename and not (plain_name(filename) and Path(filename).stem == stem):
        raise RecordProblem(xml, "filename", f"<filename> {filename!r} names another image than the annotation's "
                                             f"own id {stem!r} ({stem}.jpg or another image suffix)")
    candidates = ([folder / filename] if filename else []) + [folder / (stem + s) for s in IMAGE_SUFFIXES]
    return next((p for p in candidates if p.is_file()), None)


def number(element: ET.Element, tag: str, file: Path, field: str) -> float:
    text = element.findtext(tag)
    try:
        return float(text)
    except (TypeError, ValueError):
        raise RecordProblem(file, f"{field}/{tag}", f"expected a number, got {text!r}") from None


def difficult_flag(obj: ET.Element, file: Path, field: str) -> bool:
    """<difficult>: 0 or 1 (absent: 0; "1.0" accepted)."""
    text = (obj.findtext("difficult") or "0").strip()
    try:
        value = float(text)
    except ValueError:
        value = None
    if value not in (0.0, 1.0):
        raise RecordProblem(file, f"{field}/difficult", f"expected 0 or 1, got {text!r}")
    return value == 1.0


def parse_annotation(base: Path, stem: str, class_index: dict[str, int]) -> Record:
    xml = base / "Annotations" / f"{stem}.xml"
    if not xml.is_file():
        raise RecordProblem(xml, "annotation", "file listed in the split does not exist")
    try:
        root = ET.parse(xml).getroot()
    except ET.ParseError as err:
        raise RecordProblem(xml, "xml", f"malformed XML ({err})") from None
    filename = (root.findtext("filename") or "").strip() or None
    image = find_image(base, stem, filename, xml)
    if image is None:
        raise RecordProblem(xml, "filename", f"no image {filename or stem + '.jpg'} in {base / 'JPEGImages'}")
    # the image's own header, not <size>: real-world files misplace, omit or misstate it
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
        objects.append((box, class_index[name], difficult_flag(obj, xml, field)))
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
    class_names = unique_classes(classes, "classes") if classes is not None else collect_classes(base)
    class_index = {c: i for i, c in enumerate(class_names)}
    records = collect(ids, lambda stem: parse_annotation(base, stem, class_index), skip_invalid, f"{base} [{split}]")
    return DetectionIndex(name, split, class_names, tuple(records))
