"""What one study run asks of a cluster, per profile: a job's GPUs, CPUs, memory,
time limit and partition, and how many of a job array's tasks run at once. The
defaults below are sized from the profiles' measured runs; every field can be
overridden on the command line (``python -m lib.study --executor submitit --gpus 2``).

Sizing: the cpu profile's longest runs, its four CS runs, took 1,223 s together on 2
cores (the book's appendix on the cpu profile), so its limit of 2 h leaves room for a
slower node; the paper profile trains 300 epochs
at width 1.0, 416 px, and LTH and CS train several times in one run (the book's appendix Using the code: the
GPU-hours per row).
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

from ..params import ParamError


@dataclass(frozen=True)
class Resources:
    gpus: int = 0              # GPUs per job (one run's notebook; see the appendix Using the code for torchrun inside a job)
    cpus: int = 2              # CPUs per job: also the run's compute threads (OMP_NUM_THREADS)
    mem_gb: int = 8            # memory per job
    time_min: int = 120        # a job's time limit; a training past it is requeued and resumes
    partition: str | None = None  # Slurm partition (None: the cluster's default)
    parallelism: int = 2       # tasks of one job array at once (and local jobs at once)

    def __post_init__(self):
        for name in ("cpus", "mem_gb", "time_min", "parallelism"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ParamError(f"resources {name}: expected a positive integer, got {getattr(self, name)!r}")
        if not isinstance(self.gpus, int) or self.gpus < 0:
            raise ParamError(f"resources gpus: expected a non-negative integer, got {self.gpus!r}")


PROFILE_RESOURCES: dict[str, Resources] = {
    "smoke": Resources(gpus=0, cpus=1, mem_gb=4, time_min=30, parallelism=2),
    "cpu": Resources(gpus=0, cpus=2, mem_gb=8, time_min=120, parallelism=8),
    "cpu-long": Resources(gpus=0, cpus=2, mem_gb=8, time_min=480, parallelism=8),
    # One GPU per run; the 2-day limit covers the longest row (CS 3 It trains 3 searches and a
    # ticket); a job past its limit is requeued and its training resumes from its last epoch.
    "paper": Resources(gpus=1, cpus=8, mem_gb=32, time_min=2880, parallelism=32),
}
FIELDS = tuple(f.name for f in fields(Resources))


def resources_for(profile: str, **overrides) -> Resources:
    """The profile's resources with the given fields replaced (None: keep the profile's)."""
    if profile not in PROFILE_RESOURCES:
        raise ParamError(f"resources: no defaults for profile {profile!r}; expected one of {sorted(PROFILE_RESOURCES)}")
    unknown = set(overrides) - set(FIELDS)
    if unknown:
        raise ParamError(f"resources: unknown fields {sorted(unknown)}; expected some of {list(FIELDS)}")
    return replace(PROFILE_RESOURCES[profile], **{k: v for k, v in overrides.items() if v is not None})
