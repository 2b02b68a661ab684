"""Images are validated as the loader reads them: decoded once when a dataset is opened
(remembered by file), bombs refused even with skip_invalid, and pixels shown as a person
viewing the image sees them (EXIF orientation, 16-bit grey, transparency)."""
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from lib.data import DatasetError, read_voc
from lib.data.loader import DetectionDataset
from lib.data.pixels import MAX_PIXELS, cache_file
from tests.data.formats import voc_object, write_image, write_split, write_voc_item

CAT = [voc_object("cat", (1, 1, 5, 5))]


pytestmark = pytest.mark.usefixtures("study_cache")


def dataset(root, stems, objects=CAT):
    for stem in stems:
        write_voc_item(root, stem, objects)
    write_split(root, "train", stems)
    return root


def png_claiming(path, width, height):
    """A PNG whose header claims width x height (its few bytes of data do not matter: a
    reader that trusts the header allocates before it finds out)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 16))
                     + chunk(b"IEND", b""))
    return path


def test_a_truncated_jpeg_is_named_when_the_dataset_opens_and_skipped_only_if_asked(tmp_path):
    root = dataset(tmp_path / "set", ["a", "b"])
    image = root / "JPEGImages" / "b.jpg"
    write_image(image, 320, 240)
    image.write_bytes(image.read_bytes()[: image.stat().st_size // 2])
    with pytest.raises(DatasetError, match=r"b.xml: image: image .*b.jpg does not decode"):
        read_voc(root, "train", classes=["cat"])
    with pytest.warns(UserWarning, match="skipped 1 invalid file"):
        assert [r.image.name for r in read_voc(root, "train", classes=["cat"], skip_invalid=True).records] == ["a.jpg"]


@pytest.mark.parametrize("width,height", [(40000, 40000), (10000, 9000)])  # over Pillow's error; over its warning
def test_a_bomb_sized_image_is_refused_even_with_skip_invalid(tmp_path, width, height):
    assert width * height > MAX_PIXELS
    root = dataset(tmp_path / "set", ["a", "b"])
    (root / "JPEGImages" / "b.jpg").unlink()
    png_claiming(root / "JPEGImages" / "b.png", width, height)
    xml = root / "Annotations" / "b.xml"
    xml.write_text(xml.read_text().replace("b.jpg", "b.png"))
    with pytest.raises(DatasetError, match=r"1 file\(s\) refused even with skip_invalid:\n.*b.png"):
        read_voc(root, "train", classes=["cat"], skip_invalid=True)


def test_each_image_is_decoded_once_until_it_changes(tmp_path, monkeypatch):
    root = dataset(tmp_path / "set", ["a", "b"])
    decoded = []
    load = Image.Image.load
    monkeypatch.setattr(Image.Image, "load", lambda self: decoded.append(1) or load(self))
    read_voc(root, "train", classes=["cat"])
    assert len(decoded) >= 2 and str((root / "JPEGImages" / "a.jpg").resolve()) in cache_file().read_text()
    decoded.clear()
    read_voc(root, "train", classes=["cat"])
    assert decoded == []  # remembered
    write_image(root / "JPEGImages" / "a.jpg", 64, 48, colour=(1, 2, 3))  # a new file: decoded again
    read_voc(root, "train", classes=["cat"])
    assert len(decoded) >= 1


def test_exif_orientation_turns_the_image_and_its_size_as_a_viewer_sees_them(tmp_path):
    root = tmp_path / "set"
    write_voc_item(root, "p", [voc_object("cat", (1, 1, 40, 60))], image=False)  # a box of the portrait view
    write_split(root, "train", ["p"])
    stored = np.zeros((48, 64, 3), np.uint8)
    stored[:, :8] = 255  # a bright left edge as stored; turned a quarter (orientation 6) it is the top edge
    exif = Image.Exif()
    exif[0x0112] = 6
    (root / "JPEGImages").mkdir()
    Image.fromarray(stored).save(root / "JPEGImages" / "p.jpg", exif=exif, quality=95)
    record = read_voc(root, "train", classes=["cat"]).records[0]
    assert (record.width, record.height) == (48, 64)
    image = DetectionDataset(read_voc(root, "train", classes=["cat"]), 64).decode(0)
    assert tuple(image.shape) == (3, 64, 48) and image[:, :6].float().mean() > 200 and image[:, 10:].float().mean() < 40


@pytest.mark.parametrize("make,expected", [
    (lambda: Image.fromarray(np.array([[65535, 32896], [0, 257]], np.uint16)), [[255, 128], [0, 1]]),   # 16-bit grey
    (lambda: Image.fromarray(np.array([[[9, 9, 9, 0], [200, 10, 10, 255]]], np.uint8), "RGBA"), None),  # transparent
])
def test_pixel_formats_decode_as_a_viewer_sees_them(tmp_path, make, expected):
    root = tmp_path / "set"
    write_voc_item(root, "g", [voc_object("cat", (1, 1, 2, 1))], image=False)
    write_split(root, "train", ["g"])
    (root / "JPEGImages").mkdir()
    make().save(root / "JPEGImages" / "g.png")
    xml = root / "Annotations" / "g.xml"
    xml.write_text(xml.read_text().replace("g.jpg", "g.png"))
    image = DetectionDataset(read_voc(root, "train", classes=["cat"]), 32).decode(0)
    if expected is not None:
        assert image[0].tolist() == expected and image[0].tolist() == image[2].tolist()
    else:
        assert image[:, 0, 0].tolist() == [255, 255, 255] and image[:, 0, 1].tolist() == [200, 10, 10]
