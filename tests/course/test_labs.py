"""Every lab at the smoke scale through otter-grader, as a teacher uses it: the solution
version runs and gets full marks; the student version, its blanks left, runs to its checks
and gets zero on every question (so every check can fail)."""
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest

from lib.course.assign import assign, at_scale, grade, masters

PARALLEL_LABS = 2  # labs graded at once, each kernel on one thread


def graded(master, folder):
    """(the student version's code, the solution's grades, the student version's grades)."""
    made = assign(master, folder / "dist")
    code = "\n".join(c.source for c in nbformat.read(made.student, as_version=4).cells)
    return (code, grade(at_scale(made.solution, "smoke", folder / "solution"), made.autograder),
            grade(at_scale(made.student, "smoke", folder / "student"), made.autograder))


@pytest.fixture(scope="module")
def grades(tmp_path_factory):
    """Every lab graded, two at a time, sharing one runs folder (the labs' detector trains
    once; a lab that wants it meanwhile waits for the folder's lock)."""
    folder = tmp_path_factory.mktemp("labs")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LAB_RUNS", str(folder / "runs"))
        patch.setenv("STUDY_CACHE", str(folder / "cache"))
        patch.setenv("OMP_NUM_THREADS", "1")
        with ThreadPoolExecutor(PARALLEL_LABS) as pool:
            jobs = {m.stem: pool.submit(graded, m, folder / m.stem) for m in masters()}
            return {stem: job.result() for stem, job in jobs.items()}


def test_there_is_a_lab_for_each_family():
    assert [m.stem for m in masters()] == ["01_magnitude", "02_channels", "03_quantization", "04_distillation",
                                           "05_lowrank", "06_efficient"]


@pytest.mark.parametrize("lab", [m.stem for m in masters()])
def test_the_solution_gets_full_marks_and_the_blank_version_zero(lab, grades):
    student_code, solution, blank = grades[lab]
    assert "SOLUTION" not in student_code and "grader.check" in student_code
    assert solution and all(score == out_of for score, out_of in solution.values()), solution
    assert set(blank) == set(solution) and all(score == 0 for score, _ in blank.values()), blank
