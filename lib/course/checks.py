"""An exercise's check: the student's function and the library's on the same fixed,
small inputs, case by case, printing pass or fail with the expected and the actual
value. The expected values are the library's outputs, computed when the check runs,
never typed in. A failed case raises AssertionError, which is how otter-grader (and
a student reading the cell) sees a failed check."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch


@dataclass(frozen=True)
class Case:
    label: str      # what the input is, in words ("a 5x5 tensor, sparsity 0.4")
    args: tuple     # the positional arguments both functions get


@dataclass(frozen=True)
class Exercise:
    reference: Callable             # the library's implementation
    cases: Callable[[], list[Case]]  # the fixed inputs, built afresh for each check
    atol: float = 1e-5              # tolerance of floating-point results


def as_array(value):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return value


def same(expected, actual, atol: float) -> bool:
    """Equal in kind, shape and value (floats within ``atol``); tuples and lists elementwise."""
    if isinstance(expected, (tuple, list)):
        return (isinstance(actual, (tuple, list)) and len(actual) == len(expected)
                and all(same(e, a, atol) for e, a in zip(expected, actual)))
    expected, actual = as_array(expected), as_array(actual)
    if isinstance(expected, np.ndarray):
        if not isinstance(actual, np.ndarray) or actual.shape != expected.shape:
            return False
        return bool(np.allclose(actual.astype(np.float64), expected.astype(np.float64), atol=atol, rtol=0))
    if isinstance(expected, (bool, np.bool_)):
        return isinstance(actual, (bool, np.bool_)) and bool(actual) == bool(expected)
    if isinstance(expected, (int, float, np.number)):
        return (isinstance(actual, (int, float, np.number)) and not isinstance(actual, bool)
                and abs(float(actual) - float(expected)) <= atol)
    return actual == expected


def shown(value) -> str:
    """A value as a student reads it in a failure: small arrays whole, large ones by shape."""
    value = as_array(value)
    if isinstance(value, np.ndarray):
        body = np.array2string(value, precision=4, threshold=30, edgeitems=3).replace("\n", " ")
        return f"array of shape {value.shape}: {body}"
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(shown(v) for v in value) + ")"
    return repr(value)


def verify(name: str, exercise: Exercise, student: Callable) -> None:
    """Run ``student`` and the library on each case of ``exercise``; print one line per
    case; raise AssertionError naming every case that failed, expected against actual.
    An exception inside the student's function fails its case with that exception."""
    failures = []
    for case in exercise.cases():
        expected = exercise.reference(*case.args)
        try:
            actual = student(*case.args)
        except Exception as error:  # the student's bug is the check's finding, not a crash
            actual = f"{type(error).__name__}: {error}"
        if same(expected, actual, exercise.atol):
            print(f"pass  {name}: {case.label}")
        else:
            line = f"{name}: {case.label}: expected {shown(expected)}, got {shown(actual)}"
            print(f"FAIL  {line}")
            failures.append(line)
    if failures:
        raise AssertionError(f"{len(failures)} case(s) failed; " + " | ".join(failures))
