"""Geometry of the built-in dataset's object classes and distractors: each shape
is a set of polygons in unit coordinates (outline, then holes), placed by
``place`` with a size, an aspect ratio and a rotation."""
from __future__ import annotations

import math

import numpy as np


def regular(n: int, radius: float = 1.0, phase: float = 0.0) -> np.ndarray:
    angles = phase + 2 * math.pi * np.arange(n) / n
    return radius * np.stack((np.cos(angles), np.sin(angles)), 1)


def star(points: int = 5, inner: float = 0.45) -> np.ndarray:
    radii = np.where(np.arange(2 * points) % 2 == 0, 1.0, inner)
    angles = -math.pi / 2 + math.pi * np.arange(2 * points) / points
    return radii[:, None] * np.stack((np.cos(angles), np.sin(angles)), 1)


def cross(arm: float = 0.33) -> np.ndarray:
    a = arm
    return np.array([(-a, -1), (a, -1), (a, -a), (1, -a), (1, a), (a, a), (a, 1), (-a, 1), (-a, a),
                     (-1, a), (-1, -a), (-a, -a)], dtype=float)


def arrow() -> np.ndarray:
    return np.array([(-1, -0.3), (0.2, -0.3), (0.2, -0.8), (1, 0), (0.2, 0.8), (0.2, 0.3), (-1, 0.3)], dtype=float)


# class name -> polygons (first the outline, then holes)
SHAPES: dict[str, list[np.ndarray]] = {
    "circle": [regular(40)],
    "square": [regular(4, math.sqrt(2), math.pi / 4)],
    "triangle": [regular(3, 1.15, -math.pi / 2)],
    "star": [star()],
    "cross": [cross()],
    "ring": [regular(40), regular(40, 0.55)],
    "arrow": [arrow()],
    "hexagon": [regular(6)],
}


def blob(rng: np.random.Generator) -> list[np.ndarray]:
    """An irregular polygon: a distractor that is none of the classes."""
    n = int(rng.integers(5, 10))
    angles = np.sort(rng.uniform(0, 2 * math.pi, n))
    radii = rng.uniform(0.35, 1.0, n)
    return [radii[:, None] * np.stack((np.cos(angles), np.sin(angles)), 1)]


def bar(rng: np.random.Generator) -> list[np.ndarray]:
    """A thin bar (a line-like distractor)."""
    t = rng.uniform(0.04, 0.15)
    return [np.array([(-1, -t), (1, -t), (1, t), (-1, t)], dtype=float)]


def place(polygons: list[np.ndarray], centre: tuple[float, float], size: float, aspect: float,
          angle: float) -> list[list[tuple[float, float]]]:
    """Scale unit polygons to ``size`` pixels (stretched by ``aspect`` = w/h), rotate, translate."""
    scale = np.array([math.sqrt(aspect), 1 / math.sqrt(aspect)]) * size / 2
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    return [[tuple(p) for p in (poly * scale) @ rotation.T + np.asarray(centre)] for poly in polygons]
