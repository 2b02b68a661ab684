"""Property-based fuzzing of the dataset readers: an annotation file damaged at random
(truncated; NaN, negative, huge or swapped coordinates; non-UTF-8 bytes, a BOM, CRLF;
missing tags; duplicate objects) is either read or refused with a DatasetError that
names the file, never a raw exception."""
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib.data import DatasetError, read_exdark, read_voc
from tests.data.formats import voc_object, write_exdark, write_split, write_voc_item

# derandomized and without a database: the same examples on every run and in CI (to explore
# further, turn derandomize off and raise max_examples locally)
FUZZ = settings(max_examples=120, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])
NUMBERS = st.sampled_from(["nan", "-5", "1e12", "inf", "", "abc", "3.5", "0"])


def damage(text: str, draw_kind: str, position: float, number: str, junk: bytes) -> bytes:
    """``text`` damaged one way; ``position`` in [0, 1) picks where."""
    data = text.encode()
    at = int(position * len(data))
    if draw_kind == "truncate":
        return data[:at]
    if draw_kind == "bom":
        return b"\xef\xbb\xbf" + data
    if draw_kind == "crlf":
        return data.replace(b"\n", b"\r\n")
    if draw_kind == "junk":
        return data[:at] + junk + data[at:]
    if draw_kind == "number":  # a coordinate or size replaced
        digits = [i for i, c in enumerate(text) if c.isdigit()]
        if not digits:
            return data
        i = digits[int(position * len(digits))]
        return (text[:i] + number + text[i + 1:]).encode()
    return data


KINDS = st.sampled_from(["truncate", "bom", "crlf", "junk", "number"])


def check(read, path: Path) -> None:
    """Either every box read is finite, ordered and inside its image, or the error names the file."""
    try:
        index = read()
    except DatasetError as error:
        assert str(path) in str(error), str(error)
        return
    for record in index.records:
        boxes = record.boxes
        assert np.isfinite(boxes).all() and (boxes[:, 2:] > boxes[:, :2]).all()
        assert (boxes >= 0).all() and (boxes[:, [0, 2]] <= record.width).all() and (boxes[:, [1, 3]] <= record.height).all()


VOC_VARIANTS = {
    "plain": [voc_object("cat", (1, 2, 30, 40)), voc_object("dog", (5, 5, 20, 20))],
    "swapped": [voc_object("cat", (30, 40, 1, 2))],
    "negative": [voc_object("cat", (-4, 2, 30, 40))],
    "duplicate": [voc_object("cat", (1, 2, 30, 40))] * 2,
    "no name": ["<object><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>5</xmax><ymax>5</ymax></bndbox></object>"],
    "no box": ["<object><name>cat</name></object>"],
    "no xmax": ["<object><name>cat</name><bndbox><xmin>1</xmin><ymin>1</ymin><ymax>5</ymax></bndbox></object>"],
}
EXDARK_VARIANTS = {
    "plain": ["Bicycle 3 4 20 25 0 0 0 0 0 0 0", "People 10 10 5 5 0 0 0 0 0 0 0"],
    "negative": ["Bicycle -3 4 20 25 0 0 0 0 0 0 0"],
    "huge": ["Bicycle 3 4 200000 25 0 0 0 0 0 0 0"],
    "duplicate": ["Bicycle 3 4 20 25 0 0 0 0 0 0 0"] * 2,
    "missing": ["Bicycle 3 4"],
    "unknown class": ["Unicorn 3 4 20 25 0 0 0 0 0 0 0"],
}


def voc_dataset(root: Path, objects: list[str]):
    """One VOC item, its XML one tag a line; (the annotation file, its reader)."""
    xml = write_voc_item(root, "item", objects)
    write_split(root, "train", ["item"])
    xml.write_text(xml.read_text().replace("><", ">\n<"))
    return xml, lambda: read_voc(root, "train", classes=["cat", "dog"])


def exdark_dataset(root: Path, lines: list[str]):
    """One ExDark image and its bbGt annotation; (the annotation file, its reader)."""
    write_exdark(root, [("Bicycle", "2015_00001.jpg", 1, lines)])
    return next(root.rglob("2015_00001.jpg.txt")), lambda: read_exdark(root, "train")


FORMATS = {"voc": (VOC_VARIANTS, voc_dataset), "exdark": (EXDARK_VARIANTS, exdark_dataset)}


@FUZZ
@given(data=st.data(), fmt=st.sampled_from(sorted(FORMATS)), kind=KINDS, position=st.floats(0, 0.999),
       number=NUMBERS, junk=st.binary(min_size=1, max_size=8))
def test_damaged_annotations_are_read_or_named(data, fmt, kind, position, number, junk):
    variants, make = FORMATS[fmt]
    content = variants[data.draw(st.sampled_from(sorted(variants)), label="variant")]
    with tempfile.TemporaryDirectory() as folder:
        path, read = make(Path(folder), content)
        path.write_bytes(damage(path.read_text(), kind, position, number, junk))
        check(read, path)
