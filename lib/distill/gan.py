"""GAN-based distillation (Wang et al. 2020) for YOLO students.

One discriminator per scale tells the teacher's raw output maps (real) from the
student's (fake). For the first 2/3 of the epochs the student is also a generator:
its loss gains the adversarial term (its maps judged real; gradients reach the
student, unlike the authors' script, which detached them) and the detection loss
is weighted by ``detection_weight`` (the paper's 0.05; the Adam profiles set 1.0,
``lib.profiles``). The last 1/3 trains a plain detector. Labels are smoothed
(real U(0.7, 1), fake U(0, 0.3)) and swapped 5% of the time. As in the authors'
my_kd_gan.py, both adversarial losses are scaled by batch / nominal batch like the
detection loss, and the discriminators step once per accumulation group with SGD
(momentum 0.937, Nesterov) on the weights' cosine.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..models import Detector
from ..models.blocks import scale_channels
from ..train import Context
from ..train.optim import lr_factor
from .teacher import TeacherCallback

WIDTHS = (256, 512, 256, 128, 64)   # the 1x1 convs at width 1.0
HIDDEN = (1024, 128)                  # the fully connected layers at width 1.0


@dataclass(frozen=True)
class GANParams:
    adversarial_fraction: float = 2 / 3
    detection_weight: float = 0.05   # on the detection loss during the adversarial phase (the paper's)
    lr: float = 0.01                 # the discriminators' SGD
    real: tuple[float, float] = (0.7, 1.0)
    fake: tuple[float, float] = (0.0, 0.3)
    swap: float = 0.05
    # each number's range, checked with its type before any work (lib.params.check_settings)
    RANGES: ClassVar[dict] = {"adversarial_fraction": (0, 1, ""), "detection_weight": (0, 1e4, ""), "lr": (0, 1, "open low"),
                              "real": (0, 1, ""), "fake": (0, 1, ""), "swap": (0, 1, "")}


def discriminator(channels: int, width: float = 1.0) -> nn.Sequential:
    """5 x (1x1 conv, BN, LeakyReLU) C->256->512->256->128->64, 7x7 pool, FC 3136->1024->128->1
    at width 1.0; at other widths every layer is scaled like the detectors' (a multiple of 8)."""
    layers, c = [], channels
    for out in (scale_channels(w, width) for w in WIDTHS):
        layers += [nn.Conv2d(c, out, 1), nn.BatchNorm2d(out), nn.LeakyReLU(0.1)]
        c = out
    layers += [nn.AdaptiveAvgPool2d(7), nn.Flatten()]
    c *= 49
    for out in (scale_channels(h, width) for h in HIDDEN):
        layers += [nn.Linear(c, out), nn.LeakyReLU(0.1)]
        c = out
    return nn.Sequential(*layers, nn.Linear(c, 1))


class GANKD(TeacherCallback):
    """GAN distillation as a training callback; it steps its discriminators itself,
    once per accumulation group, with SGD (Nesterov) on the weights' cosine."""

    name = "kd_gan"

    def __init__(self, teacher: Detector, gan: GANParams, teacher_file: str | Path | None = None):
        super().__init__(teacher, teacher_file)
        self.gan, self.discriminators, self.d_losses = gan, nn.ModuleList(), []
        self.optimizer: torch.optim.Optimizer | None = None

    def on_fit_start(self, ctx: Context) -> None:
        super().on_fit_start(ctx)
        channels = [conv.out_channels for conv in ctx.model.output_convs()]
        # as wide as the student (a width-0.25 student against width-1.0 discriminators spent
        # 5.6x a plain step on them); the paper's at width 1.0
        width = ctx.params.model.width
        self.discriminators = nn.ModuleList(discriminator(c, width) for c in channels).to(ctx.device)
        self.optimizer = torch.optim.SGD(self.discriminators.parameters(), lr=self.gan.lr,
                                         momentum=ctx.params.train.momentum, nesterov=True)

    def on_epoch_start(self, ctx: Context) -> None:
        super().on_epoch_start(ctx)
        for group in self.optimizer.param_groups:  # the authors' discriminators follow the cosine too
            group["lr"] = self.gan.lr * lr_factor(ctx.epoch, ctx.params.train)

    def adversarial(self, ctx: Context) -> bool:
        return ctx.epoch < round(self.gan.adversarial_fraction * ctx.epochs)

    def detection_weight(self, ctx: Context) -> float:
        return self.gan.detection_weight if self.adversarial(ctx) else 1.0

    def labels(self, ctx: Context, n: int, device) -> tuple[Tensor, Tensor]:
        """Smoothed real and fake labels, swapped with probability ``swap``; a function of (seed, iteration)."""
        rng = np.random.default_rng([ctx.params.train.seed, ctx.iteration])
        real, fake = rng.uniform(*self.gan.real, n), rng.uniform(*self.gan.fake, n)
        if rng.random() < self.gan.swap:
            real, fake = fake, real
        as_tensor = lambda v: torch.tensor(v, dtype=torch.float32, device=device)[:, None]  # noqa: E731
        return as_tensor(real), as_tensor(fake)

    def discriminator_loss(self, ctx: Context, teacher_maps: list[Tensor], student_maps: list[Tensor]) -> Tensor:
        real, fake = self.labels(ctx, len(teacher_maps[0]), teacher_maps[0].device)
        return sum(F.binary_cross_entropy_with_logits(d(t), real) + F.binary_cross_entropy_with_logits(d(s.detach()), fake)
                   for d, t, s in zip(self.discriminators, teacher_maps, student_maps))

    def generator_loss(self, student_maps: list[Tensor]) -> Tensor:
        """The student's maps judged real: gradients flow into the student, and not into
        the discriminators (their parameters are constants of this term)."""
        parameters = list(self.discriminators.parameters())
        for p in parameters:
            p.requires_grad_(False)
        try:
            return sum(F.binary_cross_entropy_with_logits(d(s), torch.ones(len(s), 1, device=s.device))
                       for d, s in zip(self.discriminators, student_maps))
        finally:
            for p in parameters:
                p.requires_grad_(True)

    def extra_loss(self, ctx, images, targets, outputs) -> dict[str, Tensor]:
        """Both adversarial losses scaled by batch / nominal batch like the detection
        loss; the discriminators' gradients accumulate over the group and they step
        with the student (``on_step_end``)."""
        if not self.adversarial(ctx):
            return {}
        teacher_maps, _ = self.teacher_outputs(ctx, images)
        self.discriminators.train()
        scale = len(images) / ctx.params.train.nominal_batch
        d_loss = scale * self.discriminator_loss(ctx, teacher_maps, outputs)
        d_loss.backward()
        self.d_losses.append(float(d_loss.detach()))
        return {"gan_g": scale * self.generator_loss(outputs)}

    def on_step_end(self, ctx: Context) -> None:
        if any(p.grad is not None for p in self.discriminators.parameters()):
            self.optimizer.step()
            self.optimizer.zero_grad(set_to_none=True)

    def on_epoch_end(self, ctx: Context) -> None:
        super().on_epoch_end(ctx)
        if self.d_losses:
            ctx.history[-1]["gan_d"] = float(np.mean(self.d_losses))
        self.d_losses = []

    def state_dict(self) -> dict:
        return {"discriminators": self.discriminators.state_dict(),
                "optimizer": self.optimizer.state_dict() if self.optimizer else None}

    def load_state_dict(self, state: dict) -> None:
        if state:
            self.discriminators.load_state_dict(state["discriminators"])
            self.optimizer.load_state_dict(state["optimizer"])
