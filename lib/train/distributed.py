"""DistributedDataParallel set-up for runs started by torchrun (NCCL on GPU,
gloo on CPU). Without torchrun's environment a run is a single process."""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    device: torch.device = torch.device("cpu")

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def resolve_device(device: str | None) -> torch.device:
    """The requested device, else CUDA when present, else the CPU."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    chosen = torch.device(device)
    if chosen.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device: {device!r} requested but CUDA is not available here")
    return chosen


def setup(device: str | None = None) -> World:
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size == 1:
        return World(device=resolve_device(device))
    cuda = torch.cuda.is_available() and device != "cpu"
    if not dist.is_initialized():
        dist.init_process_group("nccl" if cuda else "gloo")
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if cuda:
        torch.cuda.set_device(local)
    return World(dist.get_rank(), size, torch.device(f"cuda:{local}") if cuda else torch.device("cpu"))


def teardown(world: World) -> None:
    if world.size > 1 and dist.is_initialized():
        dist.destroy_process_group()


def main_decides(world: World, decision: bool) -> bool:
    """The main process's ``decision``, told to every process (what the others pass is
    ignored), so that all of them take the same branch."""
    if world.size == 1:
        return decision
    shared = [decision]
    dist.broadcast_object_list(shared, src=0)
    return shared[0]
