"""An exercise's check compares with the library when it runs, prints each case, and fails
on any difference, an exception or a value of the wrong kind."""
import pytest
import torch

from lib import course
from lib.course.checks import same
from lib.prune import magnitude


@pytest.mark.parametrize("name", sorted(course.EXERCISES))
def test_the_library_passes_its_own_check_and_a_wrong_answer_fails_it(name, capsys):
    exercise = course.EXERCISES[name]
    course.verify(name, exercise.reference)
    assert "FAIL" not in capsys.readouterr().out

    def off_by_one(*args):
        answer = exercise.reference(*args)
        return answer + 1 if not isinstance(answer, tuple) else (answer[0] + 1, answer[1])

    with pytest.raises(AssertionError, match=rf"{name}: .*expected .*, got"):
        course.verify(name, off_by_one)
    assert "FAIL" in capsys.readouterr().out


def test_the_expected_values_are_the_librarys_computed_when_the_check_runs(monkeypatch):
    def student(weight, sparsity):  # a correct fine-grained mask, written independently
        keep = weight.numel() - int(sparsity * weight.numel() + 1e-9)
        mask = torch.zeros(weight.numel())
        mask[weight.abs().flatten().topk(keep).indices] = 1
        return mask.view_as(weight)

    course.verify("fine_grained_mask", student)
    monkeypatch.setattr(magnitude, "layer_kept", lambda n, sparsity: n)  # a library that prunes nothing
    with pytest.raises(AssertionError):  # so the same answer no longer matches
        course.verify("fine_grained_mask", student)


@pytest.mark.parametrize("expected, actual, result", [
    (torch.ones(2, 2), torch.ones(2, 2), True), (torch.ones(2, 2), torch.ones(4), False),
    (torch.ones(2), None, False), (3, 3.0, True), (3, True, False), (True, 1, False),
    ((torch.ones(1), 2.0), (torch.ones(1), 2.0), True), ((torch.ones(1), 2.0), [torch.ones(1)], False),
    (0.5, "0.5", False),
])
def test_same_compares_kind_shape_and_value(expected, actual, result):
    assert same(expected, actual, 1e-6) is result
