"""Timing a module's forward pass: one definition for the kernel choice of sparse
inference and for the study's CPU latency, so that both measure alike."""
from __future__ import annotations

import statistics
import time
from collections.abc import Hashable

import torch
from torch import Tensor, nn


def call_ms(module: nn.Module, x: Tensor, calls: int) -> list[float]:
    """The milliseconds of each of ``calls`` calls of ``module`` on ``x``, one after another."""
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        module(x)
        times.append((time.perf_counter() - start) * 1000)
    return times


@torch.inference_mode()
def median_ms(module: nn.Module, x: Tensor, repeats: int, warmup: int = 1) -> float:
    """The median milliseconds of ``repeats`` calls on ``x``, after ``warmup`` calls
    (first-call allocations and kernel selection)."""
    for _ in range(warmup):
        module(x)
    return statistics.median(call_ms(module, x, repeats))


@torch.inference_mode()
def round_robin_ms(calls: dict[Hashable, tuple[nn.Module, Tensor]], rounds: int, per_round: int,
                   warmup: int = 1) -> dict[Hashable, list[float]]:
    """Each module's median milliseconds on its input in each of ``rounds`` rounds: after
    ``warmup`` calls of every module, each round runs every module ``per_round`` times,
    one module after another, the order turned by one place from round to round. Timed
    one after another, a slow minute of the machine lands on whichever module it meets;
    in rounds it lands on all of them, and two modules' medians of the same round come
    from the same minutes, so their ratio round by round shows how far it can be trusted."""
    keys = list(calls)
    for key in keys:
        module, x = calls[key]
        for _ in range(warmup):
            module(x)
    medians: dict[Hashable, list[float]] = {key: [] for key in keys}
    for round_ in range(rounds):
        turn = round_ % len(keys) if keys else 0
        for key in keys[turn:] + keys[:turn]:
            medians[key].append(statistics.median(call_ms(*calls[key], per_round)))
    return medians
