"""Checkpoints as plain dicts, written atomically (a crash mid-write never leaves
a truncated file in place of a good one), with every RNG state for exact resumes."""
from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..files import atomic_write
from ..models.io import read_file, to_bytes


def atomic_save(obj: Any, path: Path) -> None:
    """``obj`` saved by torch; the file's bytes do not depend on its name (``to_bytes``)."""
    atomic_write(to_bytes(obj), path)


def rng_state() -> dict:
    """Every RNG's state as tensors and plain values, so a checkpoint loads with weights_only."""
    name, keys, pos, has_gauss, gauss = np.random.get_state()
    return {"torch": torch.get_rng_state(), "numpy": (name, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, gauss),
            "python": random.getstate(), "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []}


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    name, keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), pos, has_gauss, gauss))
    random.setstate(state["python"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def load_checkpoint(path: Path) -> dict:
    """A run's last checkpoint, loaded safely; a damaged one names what to do."""
    return read_file(path, "checkpoint", f"delete it to restart the run in {Path(path).parent} from epoch 0")
