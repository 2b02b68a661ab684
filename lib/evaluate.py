"""Detection metrics: one definition, used by training, tests and the book.

Conventions (torchvision / torchmetrics): one dict per image.
    prediction: boxes (N, 4) xyxy pixels, scores (N,), labels (N,) int
    target:     boxes (M, 4) xyxy pixels, labels (M,) int, optional difficult (M,) bool

``average_precision`` matches detections as pycocotools does (greedy by score,
each detection to the best-IoU unmatched ground truth) and integrates precision
at 101 recall points; a VOC "difficult" object is ignored: a detection matched to
it is neither a true nor a false positive, and it does not count as a positive.
"""
from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor
from torchvision.ops import batched_nms, box_iou, clip_boxes_to_image

RECALL_POINTS = np.linspace(0, 1, 101)
COCO_THRESHOLDS = tuple(np.round(np.arange(0.5, 0.951, 0.05), 2).tolist())


@dataclass(frozen=True)
class Rules:
    """The details in which mAP recipes differ. The study's are pycocotools' (the
    defaults); the authors' test.py (book/spec.md, Evaluation) used AUTHORS_RULES."""

    merge_nms: bool = False      # each kept box becomes the score-weighted mean of its class's boxes with IoU > iou
    min_size: float = 0.0        # candidates need width and height above this, in input pixels
    clip: bool = False           # kept boxes clipped to the input image
    integration: str = "101-point"  # or "trapezoid": trapezoid rule over the envelope interpolated at 101 points


AUTHORS_RULES = Rules(merge_nms=True, min_size=2.0, clip=True, integration="trapezoid")


def postprocess(decoded: Tensor, conf: float = 0.001, iou: float = 0.6, max_det: int = 300,
                rules: Rules = Rules(), size: tuple[int, int] | None = None) -> list[dict]:
    """Class-wise NMS on decoded outputs.

    decoded: (B, A, 5 + C) from ``model.decode``, boxes xyxy in input pixels. Every
    (box, class) pair whose objectness x class probability exceeds ``conf`` is a
    candidate (multi-label). ``size``: the input's (H, W), for ``rules.clip``.
    Returns B prediction dicts.
    """
    out = []
    for rows in decoded:
        if rules.min_size:
            rows = rows[((rows[:, 2:4] - rows[:, :2]) > rules.min_size).all(1)]
        scores = rows[:, 5:] * rows[:, 4:5]
        box_i, cls = torch.nonzero(scores > conf, as_tuple=True)
        boxes, score = rows[box_i, :4], scores[box_i, cls]
        keep = batched_nms(boxes.float(), score.float(), cls, iou)[:max_det]
        kept = merge_boxes(boxes, score, cls, keep, iou) if rules.merge_nms else boxes[keep]
        if rules.clip:
            kept = clip_boxes_to_image(kept, size)
        out.append({"boxes": kept, "scores": score[keep], "labels": cls[keep]})
    return out


def merge_boxes(boxes: Tensor, scores: Tensor, labels: Tensor, keep: Tensor, iou: float) -> Tensor:
    """Merge-NMS: each kept box (K,) becomes the mean of the same-class candidates
    (N, 4) overlapping it by more than ``iou``, weighted by their scores."""
    offset = labels[:, None].to(boxes.dtype) * 4096  # classes never overlap
    weights = (box_iou(boxes[keep] + offset[keep], boxes + offset) > iou) * scores[None]
    return (weights @ boxes) / weights.sum(1, keepdim=True)


def _match(det_boxes: Tensor, gt_boxes: Tensor, gt_ignore: np.ndarray, thresholds: tuple[float, ...]):
    """Greedy matching of score-sorted detections of one class in one image.

    Returns (T, D) arrays: tp (bool) and ignored (bool) per threshold and detection.
    """
    n_det = len(det_boxes)
    tp = np.zeros((len(thresholds), n_det), bool)
    ignored = np.zeros((len(thresholds), n_det), bool)
    if n_det == 0 or len(gt_boxes) == 0:
        return tp, ignored
    order = np.argsort(gt_ignore, kind="stable")  # regular ground truths first
    ious = box_iou(det_boxes.double(), gt_boxes.double()).numpy()[:, order]
    gt_ignore = gt_ignore[order]
    for t, threshold in enumerate(thresholds):
        taken = np.zeros(len(order), bool)
        for d in range(n_det):
            best, best_iou = -1, min(threshold, 1 - 1e-10)
            for g in range(len(order)):
                if taken[g] and not gt_ignore[g]:  # an ignored object may absorb several detections
                    continue
                if best > -1 and not gt_ignore[best] and gt_ignore[g]:
                    break  # a regular match beats any ignored one
                if ious[d, g] >= best_iou:
                    best, best_iou = g, ious[d, g]
            if best > -1:
                taken[best] = True
                tp[t, d], ignored[t, d] = not gt_ignore[best], gt_ignore[best]
    return tp, ignored


def _interpolated_ap(tp: np.ndarray, ignored: np.ndarray, scores: np.ndarray, n_pos: int,
                     integration: str = "101-point") -> float:
    """AP of one class at one threshold from the precision envelope: sampled at 101
    recall points and averaged (pycocotools), or integrated by the trapezoid rule over
    its interpolation at 101 points, from (0, 0) to (last recall + 0.001, 0) (the authors')."""
    order = np.argsort(-scores, kind="mergesort")
    tp, keep = tp[order], ~ignored[order]
    tp = tp[keep]
    if len(tp) == 0:
        return 0.0
    fp = ~tp
    tp_sum, fp_sum = np.cumsum(tp), np.cumsum(fp)
    recall = tp_sum / n_pos
    precision = tp_sum / np.maximum(tp_sum + fp_sum, np.finfo(float).eps)
    if integration == "trapezoid":
        mrec = np.concatenate(([0.0], recall, [min(recall[-1] + 1e-3, 1.0)]))
        mpre = np.maximum.accumulate(np.concatenate(([0.0], precision, [0.0]))[::-1])[::-1]
        return float(np.trapezoid(np.interp(RECALL_POINTS, mrec, mpre), RECALL_POINTS))
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    idx = np.searchsorted(recall, RECALL_POINTS, side="left")
    sampled = np.where(idx < len(precision), precision[np.minimum(idx, len(precision) - 1)], 0.0)
    return float(sampled.mean())


def average_precision(predictions: list[dict], targets: list[dict],
                      iou_thresholds: tuple[float, ...] = (0.5,), integration: str = "101-point") -> dict:
    """AP per class and threshold; ``map`` is the mean over classes (with any
    non-difficult ground truth) and thresholds. Returns
    {"map", "per_class": {label: AP over thresholds}, "per_threshold": {t: mAP}}."""
    if len(predictions) != len(targets):
        raise ValueError(f"predictions: expected one per image ({len(targets)}), got {len(predictions)}")
    labels = sorted({int(c) for t in targets for c in t["labels"]})
    per = {c: {"tp": [], "ign": [], "scores": [], "n_pos": 0} for c in labels}
    for pred, target in zip(predictions, targets):
        difficult = np.asarray(target.get("difficult", torch.zeros(len(target["labels"]), dtype=torch.bool)), bool)
        for c in labels:
            gt_mask = (target["labels"] == c).cpu().numpy()
            det = torch.nonzero(pred["labels"] == c).flatten()
            det = det[torch.argsort(pred["scores"][det], descending=True, stable=True)]
            tp, ign = _match(pred["boxes"][det].cpu(), target["boxes"][torch.from_numpy(gt_mask)].cpu(),
                             difficult[gt_mask], iou_thresholds)
            per[c]["tp"].append(tp)
            per[c]["ign"].append(ign)
            per[c]["scores"].append(pred["scores"][det].cpu().double().numpy())
            per[c]["n_pos"] += int((~difficult[gt_mask]).sum())
    table = {}
    for c, acc in per.items():
        if acc["n_pos"] == 0:
            continue
        tp, ign, scores = np.concatenate(acc["tp"], 1), np.concatenate(acc["ign"], 1), np.concatenate(acc["scores"])
        table[c] = [_interpolated_ap(tp[t], ign[t], scores, acc["n_pos"], integration)
                    for t in range(len(iou_thresholds))]
    if not table:
        return {"map": 0.0, "per_class": {}, "per_threshold": {t: 0.0 for t in iou_thresholds}}
    aps = np.array(list(table.values()))
    return {"map": float(aps.mean()), "per_class": {c: float(np.mean(v)) for c, v in table.items()},
            "per_threshold": {t: float(aps[:, i].mean()) for i, t in enumerate(iou_thresholds)}}


def to_original(boxes: Tensor, target: dict) -> Tensor:
    """(N, 4) xyxy boxes from the network's input pixels back to the original image's,
    for a target that carries its ``letterbox`` (scale, left, top)."""
    if "letterbox" not in target:
        return boxes
    scale, left, top = target["letterbox"]
    return (boxes - boxes.new_tensor([left, top, left, top])) / scale


def coco_metrics(predictions: list[dict], targets: list[dict], num_classes: int) -> dict:
    """pycocotools' summary: AP@[.5:.95], AP50, AP75 and AP for small/medium/large
    objects (difficult objects passed as crowd regions, which COCO ignores). Boxes are
    measured in original-image pixels, as COCO's size buckets are defined."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    images, annotations, detections = [], [], []
    for i, (pred, target) in enumerate(zip(predictions, targets)):
        images.append({"id": i})
        difficult = target.get("difficult", torch.zeros(len(target["labels"]), dtype=torch.bool))
        for box, label, hard in zip(to_original(target["boxes"], target).tolist(), target["labels"].tolist(),
                                    difficult.tolist()):
            w, h = box[2] - box[0], box[3] - box[1]
            annotations.append({"id": len(annotations) + 1, "image_id": i, "category_id": label, "iscrowd": int(hard),
                                "bbox": [box[0], box[1], w, h], "area": w * h})
        for box, score, label in zip(to_original(pred["boxes"], target).tolist(), pred["scores"].tolist(),
                                     pred["labels"].tolist()):
            detections.append({"image_id": i, "category_id": label, "score": score,
                               "bbox": [box[0], box[1], box[2] - box[0], box[3] - box[1]]})
    keys = ("map_coco", "ap50", "ap75", "ap_small", "ap_medium", "ap_large")
    if not annotations or not detections:
        return dict.fromkeys(keys, 0.0)
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints as it goes
        gt = COCO()
        gt.dataset = {"images": images, "annotations": annotations,
                      "categories": [{"id": c} for c in range(num_classes)]}
        gt.createIndex()
        evaluator = COCOeval(gt, gt.loadRes(detections), "bbox")
        evaluator.params.maxDets = [1, 10, 300]  # our NMS keeps up to 300 per image
        evaluator.evaluate()
        evaluator.accumulate()
    # precision: (thresholds, recall points, classes, area ranges all/small/medium/large, max dets)
    precision = evaluator.eval["precision"][..., -1]
    parts = {"map_coco": precision[..., 0], "ap50": precision[0, ..., 0], "ap75": precision[5, ..., 0],
             "ap_small": precision[..., 1], "ap_medium": precision[..., 2], "ap_large": precision[..., 3]}
    return {k: float(v[v > -1].mean()) if (v > -1).any() else 0.0 for k, v in parts.items()}


def predict(model: torch.nn.Module, loader, device, conf: float = 0.001, iou: float = 0.6,
            max_det: int = 300, rules: Rules = Rules()) -> tuple[list[dict], list[dict]]:
    """Run ``model`` (eval mode, restored afterwards) over ``loader``; returns the
    predictions and targets of every image, in the loader's order, on the CPU."""
    predictions, targets = predict_under(model, loader, device, conf, iou, max_det, {"": rules})
    return predictions[""], targets


@torch.no_grad()
def predict_under(model: torch.nn.Module, loader, device, conf: float, iou: float, max_det: int,
                  rules: dict[str, Rules]) -> tuple[dict[str, list[dict]], list[dict]]:
    """``predict`` under each of ``rules`` (by name) at once: every rule reads the same
    outputs (the rules differ after the forward pass), so each batch goes through the
    model once. Returns the predictions per rule's name, and the targets."""
    was_training = model.training
    model.eval()
    predictions, targets = {name: [] for name in rules}, []
    try:
        for images, batch_targets in loader:
            decoded = model.decode(model(images.to(device)))
            for name, rule in rules.items():
                batch = postprocess(decoded, conf, iou, max_det, rule, tuple(images.shape[-2:]))
                predictions[name] += [{k: v.cpu() for k, v in p.items()} for p in batch]
            targets += batch_targets
    finally:
        model.train(was_training)
    return predictions, targets
