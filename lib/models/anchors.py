"""Anchors for datasets other than VOC: k-means on the training boxes' sizes with
1 - IoU as the distance (YOLOv2's recipe), deterministic (no random start)."""
from __future__ import annotations

import numpy as np


def wh_iou(wh: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """(N, 2) x (K, 2) -> (N, K) IoU of boxes sharing a corner."""
    inter = np.minimum(wh[:, None], anchors[None]).prod(2)
    return inter / (wh.prod(1)[:, None] + anchors.prod(1)[None] - inter)


def kmeans_anchors(wh: np.ndarray, n: int = 9, iterations: int = 100) -> list[tuple[float, float]]:
    """``n`` anchor (w, h) pairs in the units of ``wh`` (N, 2), smallest area first.
    Starts from boxes at evenly spaced area quantiles, then Lloyd steps (median update)."""
    wh = np.asarray(wh, dtype=np.float64).reshape(-1, 2)
    if len(wh) < n:
        raise ValueError(f"anchors: need at least {n} training boxes for k-means, got {len(wh)}")
    by_area = wh[np.argsort(wh.prod(1), kind="stable")]
    anchors = by_area[np.linspace(0, len(wh) - 1, n).round().astype(int)].copy()
    for _ in range(iterations):
        nearest = wh_iou(wh, anchors).argmax(1)
        updated = np.array([np.median(wh[nearest == k], 0) if (nearest == k).any() else anchors[k] for k in range(n)])
        if np.allclose(updated, anchors):
            break
        anchors = updated
    anchors = anchors[np.argsort(anchors.prod(1), kind="stable")]
    return [(round(float(w), 1), round(float(h), 1)) for w, h in anchors]
