"""A Sphinx extension of the book: a run page's launch buttons open its chapter's template,
and a lab page's open the lab's master notebook.

A run page (``book/runs/<chapter>/<row>-<dataset>-s<seed>``) is built from a notebook the
study executed. That notebook is an output of the build, not a file of the repository, so
Binder or Colab could not open it there (its executed copy downloads from the page's
download button). What a reader launches to run the page again is the chapter's template,
``notebooks/<chapter>.ipynb``, whose parameters cell the page's *Try it* box fills in. A lab
page (``book/labs/<lab>``) is written by ``make book`` from ``notebooks/labs/<lab>.ipynb``,
which is what its buttons open.

Loaded from ``_config.yml`` (``sphinx.extra_extensions``); the theme builds the buttons from
``repository`` and ``launch_buttons`` there, and this only swaps the notebook's path.
"""
from __future__ import annotations

import re
from typing import Any

RUN_PAGE = re.compile(r"^book/runs/(?P<chapter>[^/]+)/[^/]+$")
LAB_PAGE = re.compile(r"^book/labs/(?P<lab>[^/]+)$")
# After sphinx-book-theme's own handler (the default priority, 500), which makes the buttons.
AFTER_THE_THEME = 600
LAUNCH_SCHEMES = ("https://", "http://")


def template_of(pagename: str) -> str | None:
    """The repository path of a run page's chapter template, or of a lab page's master
    notebook; None for any other page."""
    if match := RUN_PAGE.match(pagename):
        return f"notebooks/{match['chapter']}.ipynb"
    if match := LAB_PAGE.match(pagename):
        return f"notebooks/labs/{match['lab']}.ipynb"
    return None


def swap_paths(buttons: list[dict[str, Any]], old: str, new: str) -> None:
    """Replace the notebook path ``old`` by ``new`` in every launch URL, groups included. The
    download button's URL (relative, into ``_sources``) keeps the executed notebook."""
    for button in buttons:
        if isinstance(button.get("url"), str) and button["url"].startswith(LAUNCH_SCHEMES):
            button["url"] = button["url"].replace(old, new)
        swap_paths(button.get("buttons", []), old, new)


def launch_templates(app, pagename: str, templatename: str, context: dict, doctree) -> None:
    template = template_of(pagename)
    if template is not None:
        swap_paths(context.get("header_buttons", []), f"{pagename}.ipynb", template)


def setup(app) -> dict:
    app.connect("html-page-context", launch_templates, priority=AFTER_THE_THEME)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
