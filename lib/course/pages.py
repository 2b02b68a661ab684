"""The book's pages of the labs (part Course): each master notebook as a teacher reads
it, the solutions folded (sphinx-togglebutton's ``hide-input``), otter-grader's markers
and its test cells left out, unexecuted (a lab's outputs are the student's to make)."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat

from .assign import masters

LAB_PAGES = Path("book") / "labs"
MARKER = re.compile(r"^\s*# (BEGIN|END) SOLUTION\s*$")


def page_cells(notebook: nbformat.NotebookNode) -> list:
    """The master's cells for reading: raw otter cells dropped, the test cells (between
    BEGIN TESTS and END TESTS) dropped, the solution cells folded and unmarked."""
    cells, block = [], None
    for cell in notebook.cells:
        if cell.cell_type == "raw":  # otter's configuration and markers
            marker = cell.source.strip()
            if marker in ("# BEGIN TESTS", "# BEGIN SOLUTION"):
                block = marker.split()[-1].lower()
            elif marker in ("# END TESTS", "# END SOLUTION"):
                block = None
            continue
        if block == "tests":
            continue
        if block == "solution":
            lines = [line for line in cell.source.splitlines() if not MARKER.match(line)]
            cell.source = "\n".join(re.sub(r"\s*# SOLUTION$", "", line) for line in lines)
            cell.metadata["tags"] = ["hide-input"]
        cells.append(cell)
    return cells


def write_pages(root: Path) -> list[Path]:
    """Each lab's page under ``root``/book/labs/ (the folder is rewritten)."""
    folder = Path(root) / LAB_PAGES
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.ipynb"):
        old.unlink()
    written = []
    for master in masters():
        notebook = nbformat.read(master, as_version=4)
        notebook.cells = page_cells(notebook)
        written.append(folder / master.name)
        nbformat.write(notebook, written[-1])
    return written
