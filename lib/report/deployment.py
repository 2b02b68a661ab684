"""The deployment section: every row in both runtimes side by side (PyTorch as the study
deploys it, and its ONNX file in onnxruntime), and the answers to the three questions
users of compressed detectors ask most, written from this build's numbers:

- is a channel-pruned model smaller and faster everywhere?
- does an unstructured-sparse model get smaller or faster once exported?
- how much faster is int8, and at what mAP?

A time is given as a multiple of the dense model's with the range of that ratio over
the rounds in which both were timed (``lib.measure.latencies``), so that a reader sees
how far one build's timing can be trusted.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from ..study.rows import DENSE, ROW
from .results import LATENCY_FIELDS, row_means, row_runs
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


class Ratios:
    """A row's values on a dataset as multiples of the dense YOLOv3's: sizes as the ratio
    of their means over seeds, times round by round (``Latency.rounds``: the two models
    timed in the same minutes), as the median of the rounds' ratios with their range."""

    def __init__(self, runs: pd.DataFrame, dataset: str, row: str):
        self.mine, self.dense = row_runs(runs, dataset, row), row_runs(runs, dataset, DENSE)

    def of(self, column: str) -> float:
        return self.mine[column].mean() / self.dense[column].mean()

    def rounds(self, column: str) -> list[float]:
        """The time in ``column`` as a multiple of the dense one's in each round; empty
        where either was timed in one series (a row's seeds share its lowest seed's times)."""
        mine, dense = self.mine["latency_rounds"].iloc[0], self.dense["latency_rounds"].iloc[0]
        if not (isinstance(mine, dict) and isinstance(dense, dict)):
            return []
        return [a / b for a, b in zip(mine[LATENCY_FIELDS[column]], dense[LATENCY_FIELDS[column]])]

    def time(self, column: str) -> float:
        rounds = self.rounds(column)
        return float(np.median(rounds)) if rounds else self.of(column)

    def slowest(self, column: str) -> float:
        """The time ratio of the round least in the row's favour."""
        return max(self.rounds(column), default=self.time(column))

    def words(self, column: str) -> str:
        """The time ratio with its rounds' range: "0.26× (0.24–0.29 over 5 rounds)"."""
        rounds = self.rounds(column)
        spread = f" ({min(rounds):.2f}–{max(rounds):.2f} over {len(rounds)} rounds)" if len(rounds) > 1 else ""
        return f"{self.time(column):.2f}×{spread}"


def answered(runs: pd.DataFrame, dataset: str, row: str, write: Callable[[Ratios], str]) -> str:
    """``write``'s answer, given ``row``'s ``Ratios`` to the dense YOLOv3; or, where
    either row did not run or nothing was timed, that it did not."""
    if not (len(row_runs(runs, dataset, row)) and len(row_runs(runs, dataset, DENSE)) and "onnx_ms" in runs):
        return f"{ROW[row].model}, {ROW[row].training} did not run (or was not timed) in this build."
    return write(Ratios(runs, dataset, row))


def channels_answer(r: Ratios) -> str:
    everywhere = all(r.of(column) < 1 for column in SIZES) and all(r.slowest(column) < 1 for column in TIMES)
    return (f"**Is the channel-pruned model smaller and faster everywhere?** "
            f"{'Yes, in every round.' if everywhere else 'Not everywhere in this build.'} The YOLOv3 pruned to 11% "
            f"of its MACs by whole channels is a smaller dense network: its study file is {r.of('storage_mib'):.0%} of "
            f"the dense one's and its ONNX file {r.of('onnx_mib'):.0%}. It runs in {r.words('latency_ms')} the dense "
            f"model's time in PyTorch and {r.words('onnx_ms')} in onnxruntime at the study's size, "
            f"{r.words('latency_416_ms')} and {r.words('onnx_416_ms')} at 416 px.")


def sparse_answer(r: Ratios) -> str:
    smaller = {"the study's sparse file": r.of("storage_mib") < 1, "its ONNX file": r.of("onnx_mib") < 1}
    which = [name for name, yes in smaller.items() if yes]
    lead = f"Smaller as {' and as '.join(which)} only." if which else "Not smaller in this build."
    return (f"**Does an unstructured-sparse model get smaller or faster?** {lead} The LTH Local ticket's sparse "
            f"file is {r.of('storage_mib'):.0%} of the dense file; exported to ONNX its zeros are stored as zeros, and "
            f"the ONNX file is {r.of('onnx_mib'):.0%} of the dense model's ONNX file. onnxruntime runs it in "
            f"{r.words('onnx_ms')} the dense time at the study's size and {r.words('onnx_416_ms')} at 416 px. In "
            f"PyTorch, with the fastest sparse or dense kernel chosen per layer, it takes {r.words('latency_ms')} and "
            f"{r.words('latency_416_ms')} at 416 px.")


def int8_answer(r: Ratios, verdict: Verdict) -> str:
    return (f"**How much faster is int8, and at what mAP?** The dense YOLOv3 in int8 (PT2E, compiled by inductor) "
            f"runs in {r.words('latency_ms')} its float time in PyTorch (the float model run eagerly, as every float "
            f"row is timed) at the study's size and {r.words('latency_416_ms')} at 416 px; onnxruntime's own int8 of "
            f"the same model runs in {r.words('onnx_ms')} and {r.words('onnx_416_ms')} of its float ONNX file's time. Its "
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
