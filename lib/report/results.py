"""The results chapter's tables: every run's row, the Tables I/II analogs (mean ± std
over seeds), the same rows as percentages of the dense YOLOv3 of their own training
budget beside the paper's percentages, COCO's size breakdown, and the Pareto front of
mAP against a cost."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..measure import ENCODINGS
from ..paper import paper_numbers
from ..quantize import LEDGER
from ..result import RunResult, is_run_result
from ..study.rows import DENSE, ORDER, PAPER_DATASET, ROW
from .convergence import rising_text, still_rising
from .footprints import PAPER_SCALE_COLUMNS
from .references import budget_multiples, with_references
from .selection import first_seed
from .verdict import compare

COLUMNS = ("row", "dataset", "model", "training", "seed", "map50", "map", "map_coco", "ap_small", "ap_medium", "ap_large",
           "params", "macs", "storage_mib", "storage_encoding", "deflated_mib", "epochs", "total_epochs", "total_images",
           "train_img_per_s", "still_rising")
# our column -> (its label, the paper table's column)
MEASURES = {"map50": ("mAP@0.5", "map_mean"), "params": ("params", "params_mean"), "macs": ("MACs", "macs_mean"),
            "storage_mib": ("MiB", "storage_mb_mean"),  # the paper's "MB" are MiB (2^20 bytes)
            "latency_ms": ("latency", None)}            # the paper measured none
LATENCY_LABELS = {"latency_ms": "latency ms", "latency_416_ms": "latency ms at 416",
                  "onnx_ms": "onnxruntime ms", "onnx_416_ms": "onnxruntime ms at 416"}
# the latency columns -> their Latency fields (the same names in Latency.rounds)
LATENCY_FIELDS = {"latency_ms": "ms", "latency_416_ms": "ms_416", "onnx_ms": "onnx_ms", "onnx_416_ms": "onnx_ms_416"}
ONNX_FILE = "ONNX"  # the ledger's column: the ONNX file onnxruntime ran (lib.export.row_onnx)


def load_results(paths: list[str]) -> list[RunResult]:
    """The training runs' results (the other JSONs, like the architecture chapter's, left
    out); a run's result of another schema is refused (``lib.result.ResultFormatError``)."""
    results = []
    for path in paths:
        data = json.loads(Path(path).read_text())
        if is_run_result(data):
            results.append(RunResult.from_dict(data, path))
    return results


def run_line(r: RunResult) -> dict:
    """A run's values under ``COLUMNS``, and its latency columns, ONNX file's MiB and
    latency rounds (``Latency.rounds``) once it is timed."""
    m, f = r.metrics, r.footprint
    return {"row": r.row, "dataset": r.dataset, "model": r.model, "training": r.training, "seed": r.seed,
            "map50": m.map50, "map": m.map, "map_coco": m.map_coco, "ap_small": m.ap_small,
            "ap_medium": m.ap_medium, "ap_large": m.ap_large, "params": f.params, "macs": f.macs,
            "storage_mib": f.storage_mib, "storage_encoding": f.storage_encoding, "deflated_mib": f.deflated_mib,
            "epochs": r.epochs, "total_epochs": r.budget.total_epochs, "total_images": r.budget.total_images,
            "train_img_per_s": r.train_img_per_s, "still_rising": still_rising(r.history),
            **({**{column: getattr(r.latency, name) for column, name in LATENCY_FIELDS.items()},
                "onnx_mib": mib(r.latency.onnx_bytes), "latency_rounds": r.latency.rounds} if r.latency else {})}


def mib(n_bytes: int | None) -> float | None:
    return None if n_bytes is None else n_bytes / 2**20


def runs_frame(results: list[RunResult]) -> pd.DataFrame:
    """One line per run, in the row table's order within each dataset (a row the
    table no longer holds goes last)."""
    columns = [*COLUMNS, *([*LATENCY_LABELS, "onnx_mib", "latency_rounds"] if any(r.latency for r in results) else ())]
    frame = pd.DataFrame([run_line(r) for r in results], columns=columns)
    frame["order"] = [ORDER.get(r.row, len(ORDER)) for r in results]
    frame["in_paper"] = [r.row in ROW and ROW[r.row].in_paper for r in results]
    frame["budget"] = budget_multiples(frame) if (frame["row"] == DENSE).any() else float("nan")
    return frame.sort_values(["dataset", "order", "seed"], kind="stable").reset_index(drop=True)


def row_means(runs: pd.DataFrame, dataset: str, columns: list[str]) -> pd.DataFrame:
    """Means over seeds of ``columns`` for each row of one dataset, indexed by
    (row, model, training) in the table's order."""
    subset = runs[runs["dataset"] == dataset]
    return subset.groupby(["order", "row", "model", "training"])[columns].mean().reset_index(level=0, drop=True)


def row_runs(runs: pd.DataFrame, dataset: str, row: str) -> pd.DataFrame:
    """The runs of ``row`` on ``dataset``, one per seed (what a verdict weighs)."""
    return runs[(runs["dataset"] == dataset) & (runs["row"] == row)]


def reference_of(runs: pd.DataFrame, dataset: str, row: str) -> str:
    """The dense reference ``row`` is measured against on ``dataset`` (``references``)."""
    return with_references(row_means(runs, dataset, ["map50", "budget"])).xs(row, level="row")["reference"].iloc[0]


def mean_std(values: pd.Series, digits: int) -> str:
    """mean ± sample std over seeds; a single seed has no spread to show, only its value
    (the table's ``seeds`` column gives n)."""
    if len(values) < 2:
        return f"{values.mean():.{digits}f}"
    return f"{values.mean():.{digits}f} ± {values.std(ddof=1):.{digits}f}"


def budget_text(group: pd.DataFrame) -> str:
    """A row's training budget as a multiple of one dense run ("2.0×")."""
    return f"{group['budget'].mean():.1f}×"


def summary_table(runs: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """The Table I/II analog of one dataset: mAP@0.5 mean ± std (the value alone for one
    seed), the number of seeds, the training budget in dense runs, parameters, MACs
    (paper rule, at the study's input size) and storage, over seeds, and whether the
    runs' validation mAP was still rising at their end (``convergence``)."""
    out = []
    for (_, model, training), group in runs[runs["dataset"] == dataset].groupby(["order", "model", "training"]):
        out.append({"model": model, "training": training, "seeds": len(group), "budget": budget_text(group),
                    "mAP@0.5": mean_std(group["map50"], 3), "mAP@[.5:.95]": mean_std(group["map"], 3),
                    "params": int(round(group["params"].mean())), "MACs": int(round(group["macs"].mean())),
                    "MiB": float(group["storage_mib"].mean()),
                    **{label: float(group[c].mean()) for c, label in LATENCY_LABELS.items() if c in group},
                    "file": group["storage_encoding"].iloc[0], "still rising": rising_text(group["still_rising"])})
    return pd.DataFrame(out)


def distillation_against_seeds(runs: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Each distilled row of ``dataset`` with at least two seeds, beside its plain
    student (the row's ``plain`` input): mAP@0.5 mean ± std and n of both, the difference
    of the means, and the book's verdict on it (``verdict.compare``: Welch's t-test)."""
    subset = runs[runs["dataset"] == dataset]
    out = []
    for row in dict.fromkeys(subset["row"]):
        spec = ROW.get(row)
        student = spec.inputs.get("plain") if spec else None
        if student is None:
            continue
        mine, plain = row_runs(runs, dataset, row)["map50"], row_runs(runs, dataset, student)["map50"]
        if len(mine) < 2 or len(plain) < 2:
            continue
        verdict = compare(mine, plain)
        out.append({"student": spec.model, "training": spec.training, "n": len(mine), "mAP@0.5": mean_std(mine, 3),
                    "plain student (n)": f"{mean_std(plain, 3)} ({len(plain)})",
                    "difference": round(verdict.difference, 3), "p": verdict.p, "finding": verdict.finding})
    return pd.DataFrame(out, columns=["student", "training", "n", "mAP@0.5", "plain student (n)", "difference",
                                      "p", "finding"])


def percent(value: float, of: float) -> float:
    """``value`` as a percentage of ``of``; none (NaN) of a zero, as of a reference that
    found nothing (a smoke build's 2-epoch YOLOv3 may score mAP 0)."""
    return 100 * value / of if of else np.nan


def relative_table(runs: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Each row's mean mAP@0.5 as % of the dense YOLOv3 of its own training budget (``vs``:
    that reference, ``budget ×``: the row's budget in dense runs), its params, MACs,
    storage (and latency, where measured) as % of the dense YOLOv3's, beside the same
    percentages from the paper's table for the matching dataset (against its one dense
    row), with the encoding of each storage figure. Storage compares like with like in
    one more line: the dense YOLOv3's file with its values deflated as the sparse files' are."""
    measures = {k: v for k, v in MEASURES.items() if k in runs}  # latency: where measured
    means = with_references(row_means(runs, dataset, [*measures, "deflated_mib", "budget"]))
    encodings = runs[runs["dataset"] == dataset].groupby("row")["storage_encoding"].first()
    dense = means.xs(DENSE, level="row").iloc[0]
    paper = paper_numbers(PAPER_DATASET[dataset])
    top = paper[DENSE]
    out = []
    for (row, model, training), ours in means.iterrows():
        line = {"model": model, "training": training, "budget ×": ours["budget"],
                "vs": ROW[ours["reference"]].training}
        theirs = paper.get(row)
        for key, (label, paper_key) in measures.items():
            line[f"{label} %"] = percent(ours[key], ours["reference_map50"] if key == "map50" else dense[key])
            if paper_key:
                line[f"paper {label} %"] = 100 * theirs[paper_key] / top[paper_key] if theirs else np.nan
        out.append({**line, "file": encodings[row]})
        if row == DENSE:
            out.append({"model": model, "training": f"{training}, file deflated",
                        f"{MEASURES['storage_mib'][0]} %": 100 * dense["deflated_mib"] / dense["storage_mib"],
                        "file": "deflated"})
    return pd.DataFrame(out)


def encodings_table() -> pd.DataFrame:
    """What each ``file`` of the tables holds (their short names keep the tables narrow)."""
    return pd.DataFrame(list(ENCODINGS.items()), columns=["file", "what it holds"])


def ledger_table(results: list[RunResult], dataset: str) -> pd.DataFrame:
    """The storage ledger of each row's first-seed model on ``dataset``: the bytes of
    its file in every encoding (``lib.quantize.LEDGER``; the sparse ones for masked
    models only) and, once timed, of its ONNX file (``ONNX_FILE``), beside the paper's
    MB for the row (MiB, as the paper's are)."""
    paper = paper_numbers(PAPER_DATASET[dataset])
    chosen = sorted(first_seed(results, lambda r: r.dataset == dataset), key=lambda r: ORDER.get(r.row, len(ORDER)))
    files = [*LEDGER, *([ONNX_FILE] if any(r.latency for r in chosen) else [])]
    out = []
    for r in chosen:
        theirs = paper.get(r.row)
        out.append({"model": r.model, "training": r.training, **{k: r.ledger.get(k) for k in LEDGER},
                    ONNX_FILE: r.latency.onnx_bytes if r.latency else None,
                    "paper MiB": theirs["storage_mb_mean"] if theirs else None})
    return pd.DataFrame(out, columns=["model", "training", *files, "paper MiB"]).astype({k: "Int64" for k in files})


def coco_table(runs: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """COCO AP@[.5:.95] and AP for small, medium and large objects, mean over seeds."""
    keys = {"map_coco": "AP", "ap_small": "AP small", "ap_medium": "AP medium", "ap_large": "AP large"}
    return row_means(runs, dataset, list(keys)).rename(columns=keys).reset_index().drop(columns="row")


def pareto_front(cost: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Boolean mask of the points no other point beats: none has cost <= and score >=
    with one of them strictly."""
    cost, score = np.asarray(cost, float), np.asarray(score, float)
    better_or_equal = (cost[None, :] <= cost[:, None]) & (score[None, :] >= score[:, None])
    strictly = (cost[None, :] < cost[:, None]) | (score[None, :] > score[:, None])
    return ~np.any(better_or_equal & strictly, axis=1)


TABLES = {"voc": "Table I", "exdark": "Table II"}


def table_caption(dataset: str) -> str:
    return f"{TABLES[PAPER_DATASET[dataset]]} analog: {dataset}"


def table_key(dataset: str) -> str:
    """The key of the paper table a dataset's results stand beside (glued values carry it)."""
    return "table1" if PAPER_DATASET[dataset] == "voc" else "table2"


def dense_maps(runs: pd.DataFrame) -> dict[str, str]:
    """The dense YOLOv3's mean test mAP@0.5 on the dataset of each paper table ("n/a" if not run)."""
    out = dict.fromkeys(("table1", "table2"), "n/a")
    dense = runs[runs["row"] == DENSE]
    for dataset, group in dense.groupby("dataset"):
        out[table_key(dataset)] = f"{group['map50'].mean():.3f}"
    return out


def architecture_table(inputs: list[str]) -> pd.DataFrame:
    """The paper-scale footprint table written by the architecture chapter (one of
    ``inputs``), in ``paper_scale_table``'s column order (a JSON file keeps no order)."""
    for path in inputs:
        result = json.loads(Path(path).read_text())
        if not is_run_result(result) and "rows" in result:
            return pd.DataFrame(result["rows"])[list(PAPER_SCALE_COLUMNS)].drop(columns="row")
    raise ValueError("inputs: no result of the architecture chapter (00_architectures) among them")


def controls_table(runs: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Each of the literature's controls on ``dataset`` beside the row it tests (its
    ``control_of``): test mAP@0.5 mean ± std and n of both, the row's lead over its
    control, and the verdict of the book's rule (``verdict.compare``)."""
    subset = runs[runs["dataset"] == dataset]
    out = []
    for control in dict.fromkeys(subset["row"]):
        tested = ROW[control].control_of if control in ROW else None
        if tested is None or tested not in set(subset["row"]):
            continue
        mine, theirs = row_runs(runs, dataset, tested)["map50"], row_runs(runs, dataset, control)["map50"]
        verdict = compare(mine, theirs)
        out.append({"row": ROW[tested].training, "control": ROW[control].training,
                    "row mAP@0.5 (n)": f"{mean_std(mine, 3)} ({len(mine)})",
                    "control mAP@0.5 (n)": f"{mean_std(theirs, 3)} ({len(theirs)})",
                    "lead": round(verdict.difference, 3), "verdict": verdict.words()})
    return pd.DataFrame(out, columns=["row", "control", "row mAP@0.5 (n)", "control mAP@0.5 (n)", "lead", "verdict"])
