"""ExDark reader (Loh & Chan 2019), native layout and official split:

    <root>/[ExDark/]ExDark/<Class>/<image>                 images, mixed extensions
    <root>/[ExDark_Annno/]ExDark_Annno/<Class>/<image>.txt  Piotr's bbGt v3 boxes
    <root>/**/imageclasslist.txt                            name class light in/out split

The archives often unpack one level deeper; both depths are accepted, and file
names are matched case-insensitively (the list and the disk disagree on case).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .records import (DatasetError, DetectionIndex, Record, RecordProblem, check_box, collect, image_size,
                      make_record, numbered_lines)

EXDARK_CLASSES = ("Bicycle", "Boat", "Bottle", "Bus", "Car", "Cat", "Chair", "Cup", "Dog", "Motorbike",
                  "People", "Table")
SPLIT_CODES = {"train": 1, "val": 2, "test": 3}
SPLIT_FILE = "imageclasslist.txt"


def find_folder(root: Path, names: tuple[str, ...]) -> Path:
    for name in names:
        for candidate in (root / name / name, root / name):
            if candidate.is_dir() and any((candidate / c).is_dir() for c in EXDARK_CLASSES):
                return candidate
    raise DatasetError(f"{root}: expected a folder {' or '.join(names)} holding the class folders {EXDARK_CLASSES[:3]}...")


def find_split_file(root: Path) -> Path:
    found = sorted(root.glob(SPLIT_FILE)) + sorted(root.glob(f"*/{SPLIT_FILE}")) + sorted(root.glob(f"*/*/{SPLIT_FILE}"))
    if not found:
        raise DatasetError(f"{root}: no {SPLIT_FILE} found (pass split_file=)")
    return found[0]


@lru_cache(maxsize=None)
def _listing(folder: Path) -> dict[str, Path]:
    return {p.name.lower(): p for p in folder.iterdir()} if folder.is_dir() else {}


def lookup(folder: Path, name: str) -> Path | None:
    return _listing(folder).get(name.lower())


def parse_bbgt(path: Path, width: int, height: int) -> list:
    lines = path.read_text(errors="replace").splitlines()
    if not lines or not lines[0].startswith("% bbGt"):
        raise RecordProblem(path, "line 1", "expected the header '% bbGt version=3'")
    objects = []
    for n, line in enumerate(lines[1:], start=2):
        tokens = line.split()
        if not tokens:
            continue
        if len(tokens) < 5:
            raise RecordProblem(path, f"line {n}", f"expected 'Class l t w h ...', got {line.strip()!r}")
        if tokens[0] not in EXDARK_CLASSES:
            raise RecordProblem(path, f"line {n}: class", f"unknown class {tokens[0]!r}; expected one of {list(EXDARK_CLASSES)}")
        try:
            left, top, w, h = map(float, tokens[1:5])
        except ValueError:
            raise RecordProblem(path, f"line {n}: l t w h", f"expected four numbers, got {tokens[1:5]}") from None
        box = (left, top, left + w, top + h)
        check_box(box, width, height, path, f"line {n}: box")
        objects.append((box, EXDARK_CLASSES.index(tokens[0]), False))
    return objects


def check_listed_once(lines: list[tuple[int, str]], listing: Path) -> None:
    """Each image on one line of the list: an image listed twice could sit in two splits."""
    seen: dict[str, int] = {}
    for n, line in lines:
        name = line.split()[0].lower()  # the list and the disk disagree on case
        if name in seen:
            raise DatasetError(f"{listing}: image {line.split()[0]!r} is listed twice (lines {seen[name]} and {n}); "
                               "each image belongs to one split")
        seen[name] = n


def read_exdark(root: str | Path, split: str = "train", split_file: str | Path | None = None,
                skip_invalid: bool = False) -> DetectionIndex:
    """Open and validate one split (train / val / test) of ExDark; 12 classes."""
    base = Path(root)
    if not base.is_dir():
        raise DatasetError(f"data_root: folder {base} does not exist")
    if split not in SPLIT_CODES:
        raise DatasetError(f"split: expected one of {tuple(SPLIT_CODES)}, got {split!r}")
    images, annotations = find_folder(base, ("ExDark",)), find_folder(base, ("ExDark_Annno", "ExDark_Anno"))
    listing = Path(split_file) if split_file else find_split_file(base)
    lines = numbered_lines(listing, "ExDark")
    if lines[0][1].lower().startswith("name"):  # the header: Name | Class | Light | In/Out | Train/Val/Test
        lines = lines[1:]
    check_listed_once(lines, listing)

    def parse(numbered: tuple[int, str]) -> Record | None:
        n, line = numbered
        tokens = line.split()
        try:
            name, class_id, split_id = tokens[0], int(tokens[1]), int(tokens[4])
        except (IndexError, ValueError):
            raise RecordProblem(listing, f"line {n}", f"expected 'name class light inout split', got {line!r}") from None
        if not 1 <= class_id <= len(EXDARK_CLASSES) or split_id not in SPLIT_CODES.values():
            raise RecordProblem(listing, f"line {n}", f"class must be 1..12 and split 1..3, got {line!r}")
        if split_id != SPLIT_CODES[split]:
            return None
        folder = EXDARK_CLASSES[class_id - 1]
        image = lookup(images / folder, name)
        if image is None:
            raise RecordProblem(listing, f"line {n}: image", f"no image {name} in {images / folder}")
        annotation = lookup(annotations / folder, name + ".txt")
        if annotation is None:
            raise RecordProblem(listing, f"line {n}: annotation", f"no file {name}.txt in {annotations / folder}")
        width, height = image_size(image, annotation)
        return make_record(image, annotation, width, height, parse_bbgt(annotation, width, height))

    records = collect(lines, parse, skip_invalid, f"ExDark {base} [{split}]")
    if not records:
        raise DatasetError(f"{listing}: no image in split {split!r}")
    return DetectionIndex("exdark", split, EXDARK_CLASSES, tuple(records))
