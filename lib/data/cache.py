"""Where the study keeps what it derives from data and can remake: $STUDY_CACHE, else
~/.cache/compression-study (generated datasets, the list of images known to decode)."""
from __future__ import annotations

import functools
import os
from pathlib import Path

from ..errors import writable_folder


def cache_root() -> Path:
    """The cache folder, created, or ``FolderUnwritable`` naming it."""
    return checked_cache(str(os.environ.get("STUDY_CACHE", Path.home() / ".cache" / "compression-study")))


@functools.lru_cache(maxsize=None)
def checked_cache(folder: str) -> Path:
    """``folder`` made and probed once per process: the image checks ask for the cache
    per image, and a probe file written and removed each time is I/O for nothing."""
    return writable_folder(folder, "the cache ($STUDY_CACHE)")
