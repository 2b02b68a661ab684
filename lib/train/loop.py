"""One training loop for every method: short and procedural (torchvision's
references/detection style). It knows the model, a loss function and callbacks;
no compression method by name."""
from __future__ import annotations

import json
import math
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader
from tqdm import tqdm

from ..data import resize_batch
from ..models.io import weights_blob
from ..params import ParamError, RunParams
from ..paths import BEST, LAST
from .callbacks import Callback, Context
from .checkpoint import atomic_save, load_checkpoint, rng_state, set_rng_state
from .optim import Schedule, make_optimizer, objectness_ratio


@dataclass(kw_only=True)
class Loop:
    """Everything one run trains with, given by name. ``train_model`` is ``model`` or
    its DDP wrapper."""

    params: RunParams
    model: nn.Module
    train_model: nn.Module
    loss_fn: Callable
    loader: DataLoader
    evaluate: Callable[[nn.Module], dict]   # -> metrics with "map50"
    device: torch.device
    sizes: list[int] | None = None          # multi-scale training sizes
    world_size: int = 1
    is_main: bool = True
    log: Callable[[str], None] = print


def same_params(saved: dict, params: RunParams) -> bool:
    return json.dumps(saved, sort_keys=True) == json.dumps(params.to_dict(), sort_keys=True)


def restore(loop: Loop, optimizer, callbacks: list[Callback], path: Path) -> dict:
    state = load_checkpoint(path)
    if state.get("arch") != loop.model.arch:
        raise ParamError(f"{path}: checkpoint of model {state.get('arch')}, not of {loop.model.arch}")
    if not same_params(state["params"], loop.params):
        raise ParamError(f"{path}: checkpoint of a run with other parameters; use another run folder")
    loop.model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    for cb in callbacks:
        cb.load_state_dict(state["callbacks"].get(cb.name, {}))
        for opt, opt_state in zip(cb.optimizers(), state["callback_optimizers"].get(cb.name, [])):
            opt.load_state_dict(opt_state)
    set_rng_state(state["rng"])
    return state


def train_one_epoch(loop: Loop, ctx: Context, optimizer, schedule: Schedule, callbacks: list[Callback]) -> dict:
    loop.train_model.train()
    extra_opts = [opt for cb in callbacks for opt in cb.optimizers()]
    sums, images_seen, start = defaultdict(float), 0, time.perf_counter()
    batches = len(loop.loader)
    bar = tqdm(loop.loader, desc=f"epoch {ctx.epoch + 1}/{ctx.epochs}", leave=False,
               disable=not (loop.is_main and sys.stderr.isatty()))
    for opt in [optimizer, *extra_opts]:
        opt.zero_grad(set_to_none=True)
    for i, (images, targets) in enumerate(bar):
        ctx.iteration = i + batches * ctx.epoch
        accumulate = schedule.apply(optimizer, ctx.iteration, ctx.epoch)
        images = images.to(loop.device, non_blocking=True)
        if loop.sizes:  # one size per accumulation group, as the authors
            draw = np.random.default_rng([loop.params.train.seed, ctx.epoch, i // accumulate])
            images, targets = resize_batch(images, targets, int(loop.sizes[draw.integers(len(loop.sizes))]))
        outputs = loop.train_model(images)
        loss, parts = loop.loss_fn(outputs, targets, objectness_ratio(ctx.epoch, ctx.epochs))
        weight = math.prod(cb.detection_weight(ctx) for cb in callbacks)
        if weight != 1.0:
            loss, parts = loss * weight, {k: v * weight for k, v in parts.items()}
        for cb in callbacks:
            for name, term in cb.extra_loss(ctx, images, targets, outputs).items():
                loss, parts[name] = loss + term, float(term.detach())
        if not math.isfinite(float(loss.detach())):
            raise FloatingPointError(f"loss is {float(loss.detach())} at epoch {ctx.epoch + 1}, iteration {i} ({parts}); "
                                     f"the last good state is {ctx.run_dir / LAST}")
        (loss * loop.world_size).backward()  # DDP averages gradients; the loss is already per nominal batch
        if (i + 1) % accumulate == 0 or i == batches - 1:
            for opt in [optimizer, *extra_opts]:
                opt.step()
                opt.zero_grad(set_to_none=True)
            for cb in callbacks:
                cb.on_step_end(ctx)
        images_seen += len(images)
        for k, v in parts.items():
            sums[k] += v
        ctx.losses = {k: v / (i + 1) for k, v in sums.items()}
        bar.set_postfix(loss=f"{sum(parts.values()):.3f}", lr=f"{optimizer.param_groups[1]['lr']:.2e}")
    seconds = time.perf_counter() - start
    # images: the epoch's share of the run's training budget, every process's (lib.result.Budget)
    return {**ctx.losses, "lr": optimizer.param_groups[1]["lr"], "train_img_per_s": images_seen / seconds,
            "images": images_seen * loop.world_size}


def final_model(ctx: Context, model: nn.Module, callbacks: list[Callback]) -> nn.Module | None:
    """What this epoch's model would be kept as, each callback in turn (None: not eligible)."""
    for cb in callbacks:
        if model is None:
            break
        model = cb.final_model(ctx, model)
    return model


def fit(loop: Loop, run_dir: Path, callbacks: list[Callback] = ()) -> list[dict]:
    """Train ``loop.model`` for params.train.epochs, resuming from the run's last
    checkpoint if present. Each epoch: train, evaluate, callbacks, then an atomic
    checkpoint; the best model by validation mAP@0.5 is kept as the run's best model
    file (``lib.paths``), from the epochs the callbacks accept (``Callback.final_model``).
    Returns the history."""
    t = loop.params.train
    run_dir.mkdir(parents=True, exist_ok=True)
    lr0 = t.lr(loop.params.model.name)
    optimizer = make_optimizer(loop.model, t, lr0)
    schedule = Schedule(t, lr0, len(loop.loader), loop.loader.batch_size * loop.world_size)
    ctx = Context(model=loop.model, params=loop.params, loss=loop.loss_fn, run_dir=run_dir, device=loop.device,
                  optimizer=optimizer, batches=len(loop.loader))
    start, best = 0, -1.0
    for cb in callbacks:  # before any restore: a callback may reshape the model (e.g. attach masks)
        cb.on_fit_start(ctx)
    if (run_dir / LAST).exists():
        state = restore(loop, optimizer, callbacks, run_dir / LAST)
        start, best, ctx.history = state["epoch"] + 1, state["best_map50"], state["history"]
        if loop.is_main and start < t.epochs:
            loop.log(f"resuming {run_dir} at epoch {start + 1}/{t.epochs}")
    for epoch in range(start, t.epochs):
        ctx.epoch = epoch
        for part in (loop.loader.sampler, loop.loader.dataset):
            part.set_epoch(epoch)
        for cb in callbacks:
            cb.on_epoch_start(ctx)
        stats = train_one_epoch(loop, ctx, optimizer, schedule, callbacks)
        metrics = loop.evaluate(loop.model) if loop.is_main else {}
        if loop.world_size > 1:
            torch.distributed.barrier()  # the other ranks wait for rank 0's evaluation
        record = {"epoch": epoch + 1, **stats, **metrics}
        ctx.history.append(record)
        for cb in callbacks:
            cb.on_epoch_end(ctx)
        if loop.is_main:
            kept = final_model(ctx, loop.model, callbacks)
            if kept is not None and metrics["map50"] > best:
                best = metrics["map50"]
                atomic_save(weights_blob(kept), run_dir / BEST)
            atomic_save({"epoch": epoch, "arch": dict(loop.model.arch), "model": loop.model.state_dict(),
                         "optimizer": optimizer.state_dict(), "params": loop.params.to_dict(),
                         "callbacks": {cb.name: cb.state_dict() for cb in callbacks},
                         "callback_optimizers": {cb.name: [o.state_dict() for o in cb.optimizers()] for cb in callbacks},
                         "best_map50": best, "history": ctx.history, "rng": rng_state()}, run_dir / LAST)
            loop.log(f"epoch {epoch + 1}/{t.epochs}  " + "  ".join(
                f"{k} {v:.4g}" for k, v in record.items() if k not in ("epoch", "per_class")))
    return ctx.history


__all__ = ["Loop", "fit", "train_one_epoch"]
