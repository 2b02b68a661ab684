"""Classical knowledge distillation for detectors (Chen et al. 2017), as the paper
applied it to YOLO students (Nano, Mobile with LeakyReLU) taught by YOLOv3.

Per batch, with the frozen teacher's raw maps at the same cells and anchors:
  class: mu * hard + (1 - mu) * soft, soft = BCE against the teacher's class probabilities;
  box:   the student's GIoU loss, plus nu * the teacher-bounded term: the student's
         (1 - GIoU) wherever l_s + margin > l_t (Chen et al.), else 0;
  hint:  L1 between a teacher feature (Darknet layer) and the student's feature at the
         same resolution passed through a 1x1 conv + LeakyReLU hint layer.
The detection loss already holds the hard class term, so the callback adds
(1 - mu) * (soft - hard), the bounded term and the hints.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..models import Detector, capture
from ..models.head import split_map
from ..params import ParamError
from ..train import Context
from ..train.loss import box_loss, class_loss, flatten_targets
from .teacher import TeacherCallback

# Teacher Darknet layer -> the student tap at the same resolution (book/spec.md, Hint-based distillation).
STUDENT_TAPS = {
    "yolo-nano": {36: "pep7", 61: "pep15", 79: "conv5", 91: "conv7"},
    "yolov3-mobile": {36: "36", 61: "61", 79: "79", 91: "91"},
}


@dataclass(frozen=True)
class KDParams:
    hints: tuple[int, ...] = (79,)  # teacher Darknet layers; the paper's: 79 / 36,61 / 91 / 36,91 / 61,91
    mu: float = 0.7
    nu: float = 0.5
    margin: float = 0.0
    hint_weight: float = 1.0
    # each number's range, checked with its type before any work (lib.params.check_settings)
    RANGES: ClassVar[dict] = {"hints": (0, 10**3, "integer"), "mu": (0, 1, ""), "nu": (0, 1e4, ""), "margin": (0, 1e4, ""),
                              "hint_weight": (0, 1e4, "")}


def hint_pairs(student: Detector, hints: tuple[int, ...]) -> list[tuple[str, str]]:
    """(teacher layer, student tap) names for the requested teacher layers."""
    name = student.arch["name"]
    if name not in STUDENT_TAPS:
        raise ValueError(f"student: hints are defined for {sorted(STUDENT_TAPS)}, not {name!r}")
    unknown = [h for h in hints if h not in STUDENT_TAPS[name]]
    if unknown:
        raise ParamError(f"kd.hints: teacher layers {unknown} have no student tap; expected some of {sorted(STUDENT_TAPS[name])}")
    return [(str(h), STUDENT_TAPS[name][h]) for h in hints]


@torch.no_grad()
def feature_shapes(teacher: Detector, student: Detector, pairs: list[tuple[str, str]], img_size: int):
    """[(teacher (C, H, W), student (C, H, W))] per pair for one img_size image;
    a pair whose spatial sizes differ is an error naming both layers."""
    device = next(student.parameters()).device
    x = torch.zeros(1, 3, img_size, img_size, device=device)
    modes = teacher.training, student.training
    teacher.eval(), student.eval()
    with capture(teacher, [t for t, _ in pairs]) as tf, capture(student, [s for _, s in pairs]) as sf:
        teacher(x), student(x)
    teacher.train(modes[0]), student.train(modes[1])
    shapes = [(tuple(tf[t].shape[1:]), tuple(sf[s].shape[1:])) for t, s in pairs]
    for (t, s), (ts, ss) in zip(pairs, shapes):
        if ts[1:] != ss[1:]:
            raise ValueError(f"hint pair: teacher layer {t} is {ts[1]}x{ts[2]} but student layer {s} is "
                             f"{ss[1]}x{ss[2]} at {img_size}; pair layers of the same resolution")
    return shapes


def hint_layer(student_channels: int, teacher_channels: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(student_channels, teacher_channels, 1), nn.LeakyReLU(0.1))


def bounded_box_term(student_loss: Tensor, teacher_loss: Tensor, margin: float) -> Tensor:
    """Mean of the student's box loss where it is not below the teacher's by more than
    the margin, i.e. l_s + m > l_t (Chen et al.'s bound), else 0."""
    return torch.where(student_loss + margin > teacher_loss, student_loss, torch.zeros_like(student_loss)).mean()


def hint_term(adaptation: nn.Module, student_feature: Tensor, teacher_feature: Tensor) -> Tensor:
    """The hint loss of one tapped pair: mean |adaptation(student) - teacher|, the
    adaptation layer mapping the student's (N, C_s, H, W) to the teacher's (N, C_t, H, W)."""
    return F.l1_loss(adaptation(student_feature), teacher_feature)


class HintKD(TeacherCallback):
    """Classical KD as a training callback (student = the model being trained); its
    hint layers join the student's optimiser (decay on their weights) and schedule,
    as the authors trained them."""

    name = "kd_hints"

    def __init__(self, teacher: Detector, kd: KDParams, teacher_file: str | Path | None = None):
        super().__init__(teacher, teacher_file)
        self.kd, self.hints = kd, nn.ModuleList()
        self._student_features: dict[str, Tensor] = {}

    def on_fit_start(self, ctx: Context) -> None:
        super().on_fit_start(ctx)
        student, params = ctx.model, ctx.params
        self.loss_fn = ctx.loss  # the run's detection loss: its target assignment and gains
        self.pairs = hint_pairs(student, self.kd.hints)
        shapes = feature_shapes(self.teacher, student, self.pairs, params.data.img_size)
        self.hints = nn.ModuleList(hint_layer(s[0], t[0]) for t, s in shapes).to(ctx.device)
        weights = [layer[0].weight for layer in self.hints]
        ctx.optimizer.add_param_group({"params": weights, "weight_decay": params.train.weight_decay})
        ctx.optimizer.add_param_group({"params": [layer[0].bias for layer in self.hints], "weight_decay": 0.0})
        for _, tap in self.pairs:  # keep the student's tapped features of every training forward
            student.tap_modules()[tap].register_forward_hook(
                lambda _m, _i, out, key=tap: self._student_features.__setitem__(key, out))

    def extra_loss(self, ctx, images, targets, outputs) -> dict[str, Tensor]:
        teacher_maps, teacher_features = self.teacher_outputs(ctx, images)
        terms = {**self.distillation_terms(outputs, teacher_maps, targets)}
        hint = sum(hint_term(layer, self._student_features[s], teacher_features[t])
                   for layer, (t, s) in zip(self.hints, self.pairs))
        terms["kd_hint"] = self.kd.hint_weight * hint * (len(targets) / self.loss_fn.gains.nominal_batch)
        return terms

    def distillation_terms(self, student_maps, teacher_maps, targets) -> dict[str, Tensor]:
        """(1 - mu) * (soft - hard) class term and nu * teacher-bounded box term, with the YOLO gains."""
        g, kd = self.loss_fn.gains, self.kd
        truth = flatten_targets(targets, student_maps[0].device)
        cls_term = box_term = student_maps[0].sum() * 0
        for scale, (s_raw, t_raw) in enumerate(zip(student_maps, teacher_maps)):
            ps, pt = split_map(s_raw), split_map(t_raw)
            (b, a, gy, gx), target_box, anchor, cls = self.loss_fn.assign(ps.shape, scale, truth)
            if not len(b):
                continue
            s_cells, t_cells = ps[b, a, gy, gx], pt[b, a, gy, gx]
            hard = class_loss(s_cells, cls, ps.shape[-1] - 5)
            soft = F.binary_cross_entropy_with_logits(s_cells[:, 5:], t_cells[:, 5:].sigmoid())
            cls_term = cls_term + (1 - kd.mu) * (soft - hard)
            student_box, teacher_box = box_loss(s_cells, anchor, target_box), box_loss(t_cells, anchor, target_box)
            box_term = box_term + bounded_box_term(student_box, teacher_box.detach(), kd.margin)
        scale = len(targets) / g.nominal_batch
        return {"kd_cls": g.cls_gain * cls_term * scale, "kd_box": g.giou_gain * kd.nu * box_term * scale}

    def state_dict(self) -> dict:
        return {"hints": self.hints.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        if state:
            self.hints.load_state_dict(state["hints"])
