"""A method's outcome made into the row's typed result: its labels, the method's
settings, test metrics, the footprint of its best model (masked models count only
their surviving weights), its storage ledger, its training budget and what the
figures need."""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from ..measure import footprint
from ..method import Method, Outcome
from ..models import load_weights
from ..paths import BEST
from ..prune.masks import layer_table
from ..quantize import storage_ledger
from ..result import Budget, Footprint, Metrics, RunResult
from .rows import Row


def record(row: Row, method: Method, outcome: Outcome, settings) -> RunResult:
    """``row``'s result from its method's ``outcome``. A quantized method's footprint is
    its float model's but for the file, which is the ledger's int8 one."""
    metrics, params = outcome.metrics, outcome.params
    unknown = set(outcome.extras) - set(method.extras)
    if unknown:
        raise ValueError(f"method {method.key}: extras {sorted(unknown)} not declared (it declares {method.extras})")
    model = load_weights(Path(metrics["run_dir"]) / BEST)
    size = footprint(model, params.data.img_size)
    ledger = storage_ledger(model)
    encoding = size["storage_encoding"]
    deflated = ledger["dense deflated"] / 2**20 if encoding == "dense" else None
    if method.precision != "fp32":
        encoding = f"{encoding} {method.precision}"
        size["storage_bytes"] = ledger[encoding]
    test = metrics["test"]
    result = RunResult(
        row=row.id, method=method.key, dataset=params.data.dataset, model=row.model, training=row.training,
        seed=params.train.seed, run_dir=metrics["run_dir"], img_size=params.data.img_size, width=params.model.width,
        precision=method.precision,
        metrics=Metrics(**{k: test[k] for k in ("map50", "map", "map_coco", "ap_small", "ap_medium", "ap_large")},
                        val_map50=metrics["val_map50"]),
        footprint=Footprint(params=size["nonzero_params"], macs=size["macs_paper"],
                            storage_mib=size["storage_bytes"] / 2**20, storage_encoding=encoding,
                            deflated_mib=deflated),
        budget=Budget(epochs=metrics["epochs"], images=sum(h.get("images", 0) for h in metrics["history"])),
        ledger=ledger, train_img_per_s=metrics["train_img_per_s"], history=tuple(metrics["history"]),
        run_params=params.to_dict(),
        layers=tuple({k: v for k, v in layer.items() if k != "shape"} for layer in layer_table(model)),
        settings=asdict(settings), extras=dict(outcome.extras))
    # as its JSON reads back (tuples as lists), so the notebook shows what it saves
    return RunResult.from_dict(json.loads(json.dumps(result.to_dict())))
