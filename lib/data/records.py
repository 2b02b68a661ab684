"""What every dataset reader produces: a list of validated image records.

Readers validate everything when a dataset is opened, so bad input fails in
seconds with the file and field named, never deep inside a training epoch.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, TypeVar

import numpy as np

from ..errors import StudyError
from .pixels import ImageProblem, checked_size, save_decoded

T = TypeVar("T")
SHOWN_PROBLEMS = 20


class DatasetError(StudyError, ValueError):
    """A dataset could not be opened; the message names every bad file and field."""


class RecordProblem(Exception):
    """One file is invalid: ``file``, the ``field`` at fault and what was expected;
    ``refused``: hostile (a decompression bomb), not skipped even with skip_invalid."""

    def __init__(self, file: Path | str, field: str, message: str, refused: bool = False):
        super().__init__(f"{file}: {field}: {message}")
        self.file, self.field, self.refused = Path(file), field, refused


@dataclass(frozen=True)
class Record:
    """One annotated image.

    boxes: (N, 4) float32 xyxy in pixels, 0-based continuous coordinates
    (a box covering pixel columns 0..9 is x1=0, x2=10); labels: (N,) int64 class
    indices; difficult: (N,) bool (VOC's flag: ignored by the evaluation).
    """

    image: Path
    annotation: Path
    width: int
    height: int
    boxes: np.ndarray
    labels: np.ndarray
    difficult: np.ndarray


@dataclass(frozen=True)
class DetectionIndex:
    """A validated split: its class names (label i is classes[i]) and records."""

    name: str
    split: str
    classes: tuple[str, ...]
    records: tuple[Record, ...]

    def __len__(self) -> int:
        return len(self.records)


def make_record(image: Path, annotation: Path, width: int, height: int,
                objects: list[tuple[tuple[float, float, float, float], int, bool]]) -> Record:
    boxes = np.array([o[0] for o in objects], dtype=np.float32).reshape(-1, 4)
    labels = np.array([o[1] for o in objects], dtype=np.int64)
    difficult = np.array([o[2] for o in objects], dtype=bool)
    return Record(image, annotation, width, height, boxes, labels, difficult)


def check_box(box: tuple[float, float, float, float], width: int, height: int, file: Path, field: str) -> None:
    """Raise RecordProblem unless ``box`` (xyxy, 0-based pixels) has area and lies in the image."""
    x1, y1, x2, y2 = box
    if not (x2 > x1 and y2 > y1):
        raise RecordProblem(file, field, f"box {box} has zero or negative area")
    if x1 < 0 or y1 < 0 or x2 > width or y2 > height:
        raise RecordProblem(file, field, f"box {box} lies outside the {width}x{height} image")


def image_size(path: Path, annotation: Path) -> tuple[int, int]:
    """(width, height) of the image as a viewer sees it (EXIF orientation applied), once
    it has decoded (``lib.data.pixels``: each file decoded once, then remembered)."""
    try:
        return checked_size(path)
    except FileNotFoundError:
        raise RecordProblem(annotation, "image", f"image file {path} does not exist") from None
    except ImageProblem as problem:
        raise RecordProblem(annotation, "image", f"{path}: {problem}", refused=problem.refused) from None
    except (OSError, SyntaxError, ValueError) as err:  # Pillow's decoders raise all three on damaged data
        raise RecordProblem(annotation, "image", f"image {path} does not decode: {err}") from None


def listing(problems: list[RecordProblem]) -> str:
    """The first SHOWN_PROBLEMS problems, a line each, and how many more there are."""
    lines = "\n".join(f"  {p}" for p in problems[:SHOWN_PROBLEMS])
    return lines + (f"\n  ... and {len(problems) - SHOWN_PROBLEMS} more" if len(problems) > SHOWN_PROBLEMS else "")


def collect(items: Iterable[T], parse: Callable[[T], Record | None], skip_invalid: bool, what: str) -> list[Record]:
    """Parse every item (None: not part of this split); gather RecordProblems; raise one
    DatasetError naming them all, or, with ``skip_invalid``, warn with the skipped files and their count."""
    records, problems = [], []
    try:
        for item in items:
            try:
                record = parse(item)
            except RecordProblem as problem:
                problems.append(problem)
                continue
            if record is not None:
                records.append(record)
    finally:
        save_decoded()  # what decoded is not decoded again, whatever else failed
    refused = [p for p in problems if p.refused]
    if refused:
        raise DatasetError(f"{what}: {len(refused)} file(s) refused even with skip_invalid:\n{listing(refused)}")
    if problems:
        if not skip_invalid:
            raise DatasetError(f"{what}: {len(problems)} invalid file(s) (pass skip_invalid=True to skip them):\n"
                               f"{listing(problems)}")
        warnings.warn(f"{what}: skipped {len(problems)} invalid file(s):\n{listing(problems)}", stacklevel=3)
    return records


def numbered_lines(path: Path, what: str) -> list[tuple[int, str]]:
    """(line number, stripped text) of the non-empty lines of a list file;
    a missing or empty file is a DatasetError."""
    if not path.is_file():
        raise DatasetError(f"{what}: split file {path} does not exist")
    lines = [(n, line.strip()) for n, line in enumerate(path.read_text().splitlines(), start=1) if line.strip()]
    if not lines:
        raise DatasetError(f"{what}: split file {path} is empty")
    return lines


def read_lines(path: Path, what: str) -> list[str]:
    return [line for _, line in numbered_lines(path, what)]
