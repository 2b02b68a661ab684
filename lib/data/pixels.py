"""Images as the loader reads them: checked once by decoding, and shown as a person
viewing them sees them.

A header says little: a truncated JPEG has a valid one and fails mid-epoch, and a
40000x40000 PNG header would allocate gigabytes on decode. So a dataset's images are
decoded once when it is opened (JPEGs at 1/8 scale: every byte of the stream is still
read, so truncation shows, at a fraction of the cost), and the files that decoded are
remembered by path, size and modification time in ``$STUDY_CACHE/decoded-images.txt``.

What a viewer sees, the loader feeds the detector and the boxes are checked against:
the EXIF orientation applied (a phone's portrait photo is stored landscape), 16-bit grey
scaled to 8 bits (not clipped to white), transparency shown over white, and palette,
grey and CMYK images as RGB.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from ..files import atomic_write
from .cache import cache_root

# Pillow's own threshold for a decompression bomb warning (its error comes at twice it).
MAX_PIXELS = 89_478_485
# EXIF orientations that turn the stored image a quarter turn: width and height swap.
QUARTER_TURNS = {5, 6, 7, 8}
ORIENTATION = 0x0112
WIDE_GREY = ("I;16", "I;16B", "I;16L", "I;16N", "I")


class ImageProblem(Exception):
    """An image that cannot be used; ``refused``: not to be skipped even with skip_invalid."""

    def __init__(self, message: str, refused: bool = False):
        super().__init__(message)
        self.refused = refused


def viewed_size(img: Image.Image) -> tuple[int, int]:
    """(width, height) as a viewer sees the image, from its header and EXIF alone."""
    width, height = img.size
    return (height, width) if img.getexif().get(ORIENTATION) in QUARTER_TURNS else (width, height)


def viewed_rgb(img: Image.Image) -> Image.Image:
    """The image as a viewer sees it, in 8-bit RGB."""
    img = ImageOps.exif_transpose(img)
    if img.mode in WIDE_GREY:
        grey = np.asarray(img, dtype=np.float64)
        scale = 255 / 65535 if grey.max() > 255 else 1.0  # 16-bit data; 8-bit data stored wide stays
        img = Image.fromarray(np.clip(np.rint(grey * scale), 0, 255).astype(np.uint8), "L")
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return img.convert("RGB")


def cache_file() -> Path:
    return cache_root() / "decoded-images.txt"


def stamp(path: Path) -> str:
    status = path.stat()
    return f"{path.resolve()}|{status.st_size}|{status.st_mtime_ns}"


KNOWN: dict[Path, set[str]] = {}  # cache file -> the stamps of images known to decode
PENDING: set[Path] = set()        # cache files with stamps not yet written


def known(file: Path) -> set[str]:
    if file not in KNOWN:
        KNOWN[file] = set(file.read_text().splitlines()) if file.is_file() else set()
    return KNOWN[file]


def checked_size(path: Path) -> tuple[int, int]:
    """(width, height) of the image as viewed, after decoding it once; ImageProblem if it
    is too large to be a dataset image (refused even with skip_invalid), OSError if it
    does not decode."""
    try:
        img = Image.open(path)
    except Image.DecompressionBombError as error:
        raise ImageProblem(f"{error} Remove it.", refused=True) from None
    with img:
        width, height = img.size
        if width * height > MAX_PIXELS:
            raise ImageProblem(f"{width}x{height} pixels is over the {MAX_PIXELS:,} a dataset image may have "
                               "(a decompression bomb, or not a photograph): remove it", refused=True)
        size = viewed_size(img)
        file, key = cache_file(), stamp(path)
        if key not in known(file):
            img.draft("RGB", (max(width // 8, 1), max(height // 8, 1)))  # JPEG: decode at 1/8 scale
            img.load()
            known(file).add(key)
            PENDING.add(file)
        return size


def save_decoded() -> None:
    """Remember the images decoded since the last call, merged with what other processes
    wrote meanwhile (replaced atomically: a reader sees the old or the new list)."""
    for file in list(PENDING):
        file.parent.mkdir(parents=True, exist_ok=True)
        on_disk = set(file.read_text().splitlines()) if file.is_file() else set()
        atomic_write(("\n".join(sorted(on_disk | known(file))) + "\n").encode(), file)
        PENDING.discard(file)
