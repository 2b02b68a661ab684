"""The one hash that names things by their content (runs, study runs, generated
datasets): the same values, in any key order, give the same 12 hex digits."""
from __future__ import annotations

import hashlib
import json


def stable_hash(values: dict) -> str:
    """12 hex digits naming a JSON-able set of values (key order does not matter)."""
    return hashlib.sha1(json.dumps(values, sort_keys=True).encode()).hexdigest()[:12]
