"""A method's outcome made into the row's typed result: its labels, the method's
settings, test metrics, the footprint of its best model (masked models count only
their surviving weights), its storage ledger, its training budget and what the
figures need."""
from __future__ import annotations

import json
from dataclasses import asdict, fields
from pathlib import Path

from ..measure import model_facts
from ..method import Method, Outcome
from ..models import load_weights
from ..paths import BEST
from ..result import Footprint, Metrics, RunResult, after, trained
from .rows import Row


def record(row: Row, method: Method, outcome: Outcome, settings) -> RunResult:
    """``row``'s result from its method's ``outcome``. A quantized method's footprint is
    its float model's but for the file, which is the ledger's int8 one."""
    metrics, params = outcome.metrics, outcome.params
    unknown = set(outcome.extras) - set(method.extras)
    if unknown:
        raise ValueError(f"method {method.key}: extras {sorted(unknown)} not declared (it declares {method.extras})")
    facts = model_facts(load_weights(Path(metrics["run_dir"]) / BEST), params.data.img_size)
    size, ledger = facts["footprint"], facts["ledger"]
    encoding = size["storage_encoding"]
    deflated = ledger["dense deflated"] / 2**20 if encoding == "dense" else None
    if method.precision != "fp32":
        encoding = f"{encoding} {method.precision}"
        size["storage_bytes"] = ledger[encoding]
    test = metrics["test"]
    result = RunResult(
        row=row.id, method=method.key, dataset=params.data.dataset, model=row.model, training=row.training,
        seed=params.train.seed, run_dir=metrics["run_dir"], img_size=params.data.img_size, width=params.model.width,
        metrics=Metrics(**{f.name: test[f.name] for f in fields(Metrics) if f.name != "val_map50"},
                        val_map50=metrics["val_map50"]),
        footprint=Footprint(params=size["nonzero_params"], macs=size["macs_paper"],
                            storage_mib=size["storage_bytes"] / 2**20, storage_encoding=encoding,
                            deflated_mib=deflated),
        budget=after(outcome.earlier, trained(metrics)),
        ledger=ledger, train_img_per_s=metrics["train_img_per_s"], history=tuple(metrics["history"]),
        run_params=params.to_dict(),
        layers=tuple(facts["layers"]),
        settings=asdict(settings), extras=dict(outcome.extras))
    # as its JSON reads back (tuples as lists), so the notebook shows what it saves
    return RunResult.from_dict(json.loads(json.dumps(result.to_dict())))

