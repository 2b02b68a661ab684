"""Timing a module's forward pass: one definition for the kernel choice of sparse
inference and for the study's CPU latency, so that both measure alike."""
from __future__ import annotations

import statistics
import time

import torch
from torch import Tensor, nn


@torch.inference_mode()
def median_ms(module: nn.Module, x: Tensor, repeats: int, warmup: int = 1) -> float:
    """The median milliseconds of ``repeats`` calls on ``x``, after ``warmup`` calls
    (first-call allocations and kernel selection)."""
    for _ in range(warmup):
        module(x)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        module(x)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)
