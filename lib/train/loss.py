"""The YOLO loss of ultralytics/yolov3 (early 2020), as the paper trained with it.

Targets: a box is assigned, at every scale, to each anchor whose width-height IoU
with it exceeds iou_t, in the grid cell holding its centre. Loss per scale:
box = mean(1 - GIoU) over assigned targets (xy = sigmoid, wh = exp(t) * anchor),
objectness = BCE over all cells against (1 - gr) + gr * GIoU.clamp(0) at assigned
cells, classes = BCE against one-hot targets. Gains weight the three, and the sum
is scaled by batch / nominal batch so accumulated steps match a 64-image batch.
VOC "difficult" objects are left out of the targets (as darknet's VOC lists did).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torchvision.ops import box_convert, generalized_box_iou_loss

from ..models.head import Detector, split_map
from ..params import TrainParams


def wh_iou(anchors: Tensor, wh: Tensor) -> Tensor:
    """(A, 2) x (T, 2) -> (A, T) IoU of boxes sharing a centre."""
    inter = torch.min(anchors[:, None], wh[None]).prod(2)
    return inter / (anchors.prod(1)[:, None] + wh.prod(1)[None] - inter)


def box_loss(cells: Tensor, anchor: Tensor, target_box: Tensor) -> Tensor:
    """(T,) 1 - GIoU of predictions at assigned cells against their targets.
    cells: (T, 5+C) raw outputs; anchor: (T, 2) and target_box: (T, 4) cxcywh, grid units."""
    pred = torch.cat((cells[:, :2].sigmoid(), cells[:, 2:4].exp().clamp(max=1e3) * anchor), 1)
    return generalized_box_iou_loss(box_convert(pred, "cxcywh", "xyxy"), box_convert(target_box, "cxcywh", "xyxy"))


def class_loss(cells: Tensor, cls: Tensor, num_classes: int) -> Tensor:
    """BCE of the class logits at assigned cells against one-hot targets."""
    return F.binary_cross_entropy_with_logits(cells[:, 5:], F.one_hot(cls, num_classes).to(cells.dtype))


def flatten_targets(targets: list[dict], device) -> Tensor:
    """(T, 6): image index, class, cx, cy, w, h in pixels; difficult objects dropped."""
    rows = []
    for i, t in enumerate(targets):
        keep = ~t.get("difficult", torch.zeros(len(t["labels"]), dtype=torch.bool))
        boxes = box_convert(t["boxes"][keep].float(), "xyxy", "cxcywh")
        index = torch.full((len(boxes), 1), float(i))
        rows.append(torch.cat((index, t["labels"][keep].float()[:, None], boxes), 1))
    return torch.cat(rows).to(device) if rows else torch.zeros(0, 6, device=device)


class YoloLoss:
    """loss_fn(maps, targets, warmup) -> (scalar loss, {"box", "obj", "cls"} detached).

    maps: the model's raw head maps; targets: per-image dicts (boxes xyxy pixels);
    gr in [0, 1] is the GIoU share of the objectness target (``optim.objectness_ratio``).
    The gains, iou_t and the nominal batch are ``TrainParams``' (defined there once).
    """

    def __init__(self, model: Detector, train: TrainParams = TrainParams()):
        self.anchors, self.strides = model.anchors, model.strides
        self.num_classes, self.gains = model.num_classes, train

    def assign(self, shape: torch.Size, scale: int, truth: Tensor):
        """Targets of one scale: indices (image, anchor, gy, gx), box (gx-off, gy-off, w, h)
        in grid units, the anchor sizes in grid units, and the classes."""
        _, _, h, w, _ = shape
        stride = self.strides[scale]
        anchors = self.anchors[scale].to(truth.device) / stride
        grid_boxes = truth[:, 2:] / stride
        a, t = torch.nonzero(wh_iou(anchors, grid_boxes[:, 2:]) > self.gains.iou_t, as_tuple=True)
        xy = grid_boxes[t, :2]
        gx, gy = xy[:, 0].long().clamp(0, w - 1), xy[:, 1].long().clamp(0, h - 1)
        box = torch.cat((xy - torch.stack((gx, gy), 1), grid_boxes[t, 2:]), 1)
        return (truth[t, 0].long(), a, gy, gx), box, anchors[a], truth[t, 1].long()

    def __call__(self, maps: list[Tensor], targets: list[dict], gr: float = 1.0) -> tuple[Tensor, dict]:
        truth = flatten_targets(targets, maps[0].device)
        zero = maps[0].sum() * 0
        total_box, obj_loss, cls_loss = zero, zero, zero
        for scale, raw in enumerate(maps):
            p = split_map(raw)
            (b, a, gy, gx), target_box, anchor, cls = self.assign(p.shape, scale, truth)
            target_obj = torch.zeros_like(p[..., 4])
            if len(b):
                ps = p[b, a, gy, gx]
                loss = box_loss(ps, anchor, target_box)
                total_box = total_box + loss.mean()
                giou = (1 - loss).detach().clamp(0).to(target_obj.dtype)
                target_obj[b, a, gy, gx] = (1 - gr) + gr * giou
                if self.num_classes > 1:
                    cls_loss = cls_loss + class_loss(ps, cls, self.num_classes)
            obj_loss = obj_loss + F.binary_cross_entropy_with_logits(p[..., 4], target_obj)
        g = self.gains
        parts = {"box": g.giou_gain * total_box, "obj": g.obj_gain * obj_loss, "cls": g.cls_gain * cls_loss}
        total = sum(parts.values()) * (len(targets) / g.nominal_batch)
        return total, {k: float(v.detach()) for k, v in parts.items()}
