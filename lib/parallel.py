"""Work that is not timed, spread over the machine's cores in worker processes.

The results notebook runs after every training run, alone, with one compute thread
(the study's kernels each get their share of the cores): its exports and one-shot
curves are tracing and evaluation, not timing, and would otherwise leave the other
cores idle. Timings stay in the calling process, one after another."""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def in_workers(fn: Callable, calls: list[tuple], workers: int | None = None) -> list:
    """``[fn(*call) for call in calls]``, computed ``workers`` at a time in fresh
    processes (None: one per core, at most one per call; 1: here, in this process).
    ``fn`` must be importable (a module's function) and its arguments picklable; a
    worker's error is raised here, as if the call had been made here."""
    workers = min(workers or cores(), len(calls))
    if workers <= 1:
        return [fn(*call) for call in calls]
    # spawn: a fork of a process with threads running (a Jupyter kernel, torch's pools) can deadlock
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(fn, *zip(*calls)))
