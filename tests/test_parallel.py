"""Untimed work spread over worker processes: the same results, in order, as if computed here."""
import operator
import os

import pytest

from lib.parallel import in_workers


def test_each_call_is_answered_in_order_by_other_processes():
    assert in_workers(operator.mul, [(2, 3), (4, 5), (6, 7)], workers=2) == [6, 20, 42]
    pids = in_workers(os.getpid, [(), ()], workers=2)
    assert os.getpid() not in pids


def test_one_worker_computes_here():
    assert in_workers(os.getpid, [(), ()], workers=1) == [os.getpid()] * 2


def test_a_workers_error_is_raised_here():
    with pytest.raises(ValueError, match="invalid literal"):
        in_workers(int, [("1",), ("one",)], workers=2)
