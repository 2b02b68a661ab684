"""The study's runs for a profile. So far: the chapter that needs no training (the
detectors at the paper's scale); the training chapters join as the grid grows."""
from __future__ import annotations

from ..profiles import PROFILES
from .runner import Run


def study_runs(profile: str) -> list[Run]:
    if profile not in PROFILES:
        raise ValueError(f"profile: unknown profile {profile!r}; expected one of {sorted(PROFILES)}")
    return [Run("00_architectures", {"img_size": 416})]
