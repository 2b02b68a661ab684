"""Where the study keeps what it derives from data and can remake: $STUDY_CACHE, else
~/.cache/compression-study (generated datasets, the list of images known to decode)."""
from __future__ import annotations

import os
from pathlib import Path

from ..errors import writable_folder


def cache_root() -> Path:
    """The cache folder, created, or ``FolderUnwritable`` naming it."""
    return writable_folder(os.environ.get("STUDY_CACHE", Path.home() / ".cache" / "compression-study"),
                           "the cache ($STUDY_CACHE)")
