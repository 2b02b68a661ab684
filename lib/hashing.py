"""The one hash that names things by their content (runs, study runs, generated
datasets, datasets read from a folder): the same values, in any key order, give the
same 12 hex digits."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

# Annotations and split or class lists: read whole into a dataset's fingerprint.
LIST_SUFFIXES = (".xml", ".txt")


def stable_hash(values: dict) -> str:
    """12 hex digits naming a JSON-able set of values (key order does not matter)."""
    return hashlib.sha1(json.dumps(values, sort_keys=True).encode()).hexdigest()[:12]


def folder_fingerprint(root: str) -> str:
    """12 hex digits naming a dataset folder's content, so that a run's key changes when
    its data does: every annotation and list file (.xml, .txt) by its bytes, every other
    file (the images) by its path and size. Modification times are left out, so a copy of
    the same data on another machine keeps its runs. Not cached, so an edit is always
    seen; the study computes it once per dataset, a run's folder once per run."""
    digest = hashlib.sha1()
    base = Path(root).expanduser()
    for folder, subfolders, files in os.walk(base):
        subfolders.sort()
        for name in sorted(files):
            path = Path(folder, name)
            digest.update(str(path.relative_to(base)).encode() + b"\0")
            if name.lower().endswith(LIST_SUFFIXES):
                digest.update(path.read_bytes())
            else:
                digest.update(str(path.stat().st_size).encode())
            digest.update(b"\0")
    return digest.hexdigest()[:12]


def data_identity(data_root: str | None) -> dict:
    """What a run's key adds for its data: nothing for a generated dataset (its parameters
    name it), the folder's fingerprint for data read from ``data_root``."""
    return {"data": folder_fingerprint(str(data_root))} if data_root else {}
