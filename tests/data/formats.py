"""Writers of small datasets in the true on-disk formats, for the reader tests."""
from __future__ import annotations

from pathlib import Path

from PIL import Image


def write_image(path: Path, width: int = 64, height: int = 48, colour=(90, 120, 200)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (width, height), colour).save(path)
    return path


def voc_object(name: str, box, difficult: int | None = 0, extra: str = "") -> str:
    diff = "" if difficult is None else f"<difficult>{difficult}</difficult>"
    xmin, ymin, xmax, ymax = box
    return (f"<object><name>{name}</name>{extra}{diff}<bndbox><xmin>{xmin}</xmin><ymin>{ymin}</ymin>"
            f"<xmax>{xmax}</xmax><ymax>{ymax}</ymax></bndbox></object>")


def write_voc_item(folder: Path, stem: str, objects: list[str], size=(64, 48), size_xml: str | None = None,
                   image: bool = True) -> Path:
    """One JPEG and its XML; ``size_xml`` replaces the <size> element (\"\" drops it)."""
    if image:
        write_image(folder / "JPEGImages" / f"{stem}.jpg", *size)
    if size_xml is None:
        size_xml = f"<size><width>{size[0]}</width><height>{size[1]}</height><depth>3</depth></size>"
    xml = folder / "Annotations" / f"{stem}.xml"
    xml.parent.mkdir(parents=True, exist_ok=True)
    xml.write_text(f"<annotation><filename>{stem}.jpg</filename>{size_xml}{''.join(objects)}</annotation>")
    return xml


def write_split(folder: Path, split: str, stems: list[str]) -> Path:
    path = folder / "ImageSets" / "Main" / f"{split}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(stems) + "\n")
    return path


EXDARK_HEADER = "Name | Class | Light | In/Out | Train/Val/Test"


def write_exdark(root: Path, items: list[tuple[str, str, int, list[str]]], nested: bool = True,
                 listed_names: dict[str, str] | None = None) -> Path:
    """items: (class folder, image file name, split 1..3, bbGt object lines).
    listed_names maps an image name to the (differently cased) name the list gives."""
    from lib.data.exdark import EXDARK_CLASSES
    images = root / "ExDark" / "ExDark" if nested else root / "ExDark"
    annotations = root / "ExDark_Annno" / "ExDark_Annno" if nested else root / "ExDark_Annno"
    lines = [EXDARK_HEADER]
    for folder, name, split, objects in items:
        write_image(images / folder / name, 80, 60)
        ann = annotations / folder / f"{name}.txt"
        ann.parent.mkdir(parents=True, exist_ok=True)
        ann.write_text("% bbGt version=3\n" + "".join(o + "\n" for o in objects))
        listed = (listed_names or {}).get(name, name)
        lines.append(f"{listed} {EXDARK_CLASSES.index(folder) + 1} 2 1 {split}")
    listing = root / "imageclasslist.txt"
    listing.write_text("\n".join(lines) + "\n")
    return listing
