"""Extension points of the one training loop (open_lth's model): a compression
method is a Callback that adds loss terms, acts after steps or epochs, brings
its own optimisers, and keeps its state in the run's checkpoint."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch
from torch import Tensor, nn

from ..params import RunParams


@dataclass(kw_only=True)
class Context:
    """What a callback can see: the model being trained (unwrapped), the run's
    parameters and detection loss, where the run lives, and the loop's position
    (epoch, iteration) and recent losses."""

    model: nn.Module
    params: RunParams
    loss: Callable                  # the run's detection loss (lib.train.loss.YoloLoss)
    run_dir: Path | None
    device: torch.device
    optimizer: torch.optim.Optimizer | None = None  # the model's: a method may add its modules' groups
    batches: int = 0                # iterations (batches) per epoch
    epoch: int = 0
    iteration: int = 0              # batches since the run began
    losses: dict[str, float] = field(default_factory=dict)
    history: list[dict] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        return self.params.train.epochs


class Callback:
    """Override what you need; every hook is a no-op by default."""

    name = "callback"

    def on_fit_start(self, ctx: Context) -> None:
        """Once the model and optimiser exist, before a resumed run's state is loaded
        (so a callback can reshape the model, e.g. attach masks, that the checkpoint holds)."""

    def on_epoch_start(self, ctx: Context) -> None: ...

    def extra_loss(self, ctx: Context, images: Tensor, targets: list[dict], outputs: Any) -> dict[str, Tensor]:
        """Named loss terms added to the detection loss for this batch."""
        return {}

    def detection_weight(self, ctx: Context) -> float:
        """Factor on the detection loss for this batch (e.g. 0.05 in GAN distillation's adversarial phase)."""
        return 1.0

    def on_step_end(self, ctx: Context) -> None:
        """After each optimiser step (e.g. re-apply masks)."""

    def on_epoch_end(self, ctx: Context) -> None:
        """After the epoch's evaluation, before its checkpoint (e.g. temperature updates)."""

    def final_model(self, ctx: Context, model: nn.Module) -> nn.Module | None:
        """The model this epoch's weights would be kept as, should they be the best so far
        (e.g. a channel-pruned copy), or None if this epoch cannot be the run's result
        (e.g. its pruning schedule has not reached its target yet)."""
        return model

    def optimizers(self) -> list[torch.optim.Optimizer]:
        """Extra optimisers stepped and zeroed with the main one."""
        return []

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None: ...


def freeze(model: nn.Module) -> nn.Module:
    """A frozen teacher: eval mode, no gradients."""
    model.eval()
    for param in model.parameters():
        param.requires_grad_(False)
    return model
