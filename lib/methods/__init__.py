"""The registry of compression methods: each module of this package (but those named
``_*``) declares one ``METHOD`` (``lib.method.Method``) and is found here by itself, so adding a method is
its module, its notebook template, its rows and its test. The study reaches methods
only through ``METHODS`` (by key) and ``load_model``."""
from __future__ import annotations

import importlib
import pkgutil

from torch import nn

from ..method import Method
from ..models import load_weights
from ..result import RunResult


def _discover() -> dict[str, Method]:
    found: dict[str, Method] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue  # a helper the method modules share, not a method
        method = getattr(importlib.import_module(f"{__name__}.{info.name}"), "METHOD", None)
        if not isinstance(method, Method):
            raise TypeError(f"lib.methods.{info.name}: a method module declares METHOD = Method(...)")
        if method.key in found:
            raise ValueError(f"lib.methods.{info.name}: method key {method.key!r} is declared twice")
        found[method.key] = method
    return found


METHODS: dict[str, Method] = _discover()


def get_method(key: str) -> Method:
    if key not in METHODS:
        raise ValueError(f"method: unknown {key!r}; expected one of {sorted(METHODS)}")
    return METHODS[key]


def templates_by_page() -> dict[str, tuple[str, ...]]:
    """Each written chapter that summarises runs (``book/<page>.md``) with its methods'
    templates, sorted; the pages in the order of their first template (the book's)."""
    found: dict[str, set[str]] = {}
    for method in METHODS.values():
        found.setdefault(method.page, set()).add(method.template)
    return {page: tuple(sorted(templates)) for page, templates in sorted(found.items(), key=lambda p: min(p[1]))}


def load_model(result: RunResult) -> nn.Module:
    """Any row's model as it is deployed: its method's loader (an int8 row's int8 model),
    else its best model file."""
    loader = get_method(result.method).loader
    return loader(result) if loader else load_weights(result.model_file)


__all__ = ["METHODS", "get_method", "load_model", "templates_by_page"]
