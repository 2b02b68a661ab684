"""The deployment section: every row in both runtimes side by side (PyTorch as the study
deploys it, and its ONNX file in onnxruntime), and the answers to the three questions
users of compressed detectors ask most, written from this build's numbers:

- is a channel-pruned model smaller and faster everywhere?
- does an unstructured-sparse model get smaller or faster once exported?
- how much faster is int8, and at what mAP?
"""
from __future__ import annotations

from typing import Callable

import pandas as pd

from ..study.rows import DENSE, ROW
from .results import row_means, row_runs
from .verdict import Verdict, compare

CHANNELS = "yolov3-channels-11"  # the paper's LTH Local MACs share, in channels
SPARSE = "yolov3-lth-local"      # unstructured, layer-wise
INT8 = "yolov3-int8"             # the dense YOLOv3, post-training int8
TIMES = {"latency_ms": "PyTorch ms", "onnx_ms": "onnxruntime ms", "latency_416_ms": "PyTorch ms at 416",
         "onnx_416_ms": "onnxruntime ms at 416"}
SIZES = {"storage_mib": "study file MiB", "onnx_mib": "ONNX MiB"}


def deployment_table(runs: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Each row of ``dataset`` (means over seeds): mAP@0.5, its study file's and its ONNX
    file's MiB, and its latency in PyTorch and in onnxruntime at the study's size and at
    416 (``lib.report.inference.with_latencies``)."""
    means = row_means(runs, dataset, ["map50", *SIZES, *TIMES])
    table = means.rename(columns={"map50": "mAP@0.5", **SIZES, **TIMES}).reset_index().drop(columns="row")
    table["onnxruntime × PyTorch"] = table["onnxruntime ms"] / table["PyTorch ms"]
    return table


def ratio(runs: pd.DataFrame, dataset: str, row: str, column: str) -> float:
    """``row``'s mean ``column`` as a multiple of the dense YOLOv3's."""
    return row_runs(runs, dataset, row)[column].mean() / row_runs(runs, dataset, DENSE)[column].mean()


def answered(runs: pd.DataFrame, dataset: str, row: str, write: Callable[[Callable[[str], float]], str]) -> str:
    """``write``'s answer, given ``row``'s mean of a column as a multiple of the dense
    YOLOv3's; or, where either row did not run or nothing was timed, that it did not."""
    if not (len(row_runs(runs, dataset, row)) and len(row_runs(runs, dataset, DENSE)) and "onnx_ms" in runs):
        return f"{ROW[row].model}, {ROW[row].training} did not run (or was not timed) in this build."
    return write(lambda column: ratio(runs, dataset, row, column))


def channels_answer(r: Callable[[str], float]) -> str:
    everywhere = all(r(column) < 1 for column in (*SIZES, *TIMES))
    return (f"**Is the channel-pruned model smaller and faster everywhere?** "
            f"{'Yes.' if everywhere else 'Not everywhere in this build.'} The YOLOv3 pruned to 11% of its "
            f"MACs by whole channels is a smaller dense network: its study file is {r('storage_mib'):.0%} of the "
            f"dense one's and its ONNX file {r('onnx_mib'):.0%}. It runs in {r('latency_ms'):.2f}× the dense "
            f"model's time in PyTorch and {r('onnx_ms'):.2f}× in onnxruntime at the study's size, "
            f"{r('latency_416_ms'):.2f}× and {r('onnx_416_ms'):.2f}× at 416 px.")


def sparse_answer(r: Callable[[str], float]) -> str:
    smaller = {"the study's sparse file": r("storage_mib") < 1, "its ONNX file": r("onnx_mib") < 1}
    which = [name for name, yes in smaller.items() if yes]
    lead = f"Smaller as {' and as '.join(which)} only." if which else "Not smaller in this build."
    return (f"**Does an unstructured-sparse model get smaller or faster?** {lead} The LTH Local ticket's sparse "
            f"file is {r('storage_mib'):.0%} of the dense file; exported to ONNX its zeros are stored as zeros, and "
            f"the ONNX file is {r('onnx_mib'):.0%} of the dense model's ONNX file. onnxruntime runs it in "
            f"{r('onnx_ms'):.2f}× the dense time ({r('onnx_416_ms'):.2f}× at 416 px). In PyTorch, with the fastest "
            f"sparse or dense kernel chosen per layer, it takes {r('latency_ms'):.2f}× ({r('latency_416_ms'):.2f}× "
            f"at 416 px).")


def int8_answer(r: Callable[[str], float], verdict: Verdict) -> str:
    return (f"**How much faster is int8, and at what mAP?** The dense YOLOv3 in int8 (PT2E, compiled by inductor) "
            f"runs in {r('latency_ms'):.2f}× its float time in PyTorch (the float model run eagerly, as every float row "
            f"is timed) at the study's size and {r('latency_416_ms'):.2f}× at 416 px; onnxruntime's own int8 of the "
            f"same model runs in {r('onnx_ms'):.2f}× and {r('onnx_416_ms'):.2f}× of its float ONNX file's time. Its "
            f"test mAP@0.5 moves by {verdict.difference:+.3f} ({verdict.mean_a:.3f} against {verdict.mean_b:.3f} for "
            f"the float model{'s' if verdict.n_b > 1 else ''} it was quantized from), {verdict.words()}.")


def int8_against_source(runs: pd.DataFrame, dataset: str) -> Verdict:
    """The int8 row's test mAP@0.5 against the dense runs it quantized: those of its seeds
    (a run reads its own seed's inputs), so that the difference is quantization's, not
    the other seeds' (the dense row's mean over three seeds turned a 0.001 loss into a
    0.008 gain in the cpu build)."""
    quantized, dense = row_runs(runs, dataset, INT8), row_runs(runs, dataset, DENSE)
    return compare(quantized["map50"], dense[dense["seed"].isin(quantized["seed"])]["map50"])


def deployment_answers(runs: pd.DataFrame, dataset: str) -> dict[str, str]:
    """The three answers for ``dataset``, by name (what the book glues)."""
    return {"channels": answered(runs, dataset, CHANNELS, channels_answer),
            "sparse": answered(runs, dataset, SPARSE, sparse_answer),
            "int8": answered(runs, dataset, INT8, lambda r: int8_answer(r, int8_against_source(runs, dataset)))}
