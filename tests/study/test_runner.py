import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from lib.study import Run, execute, in_order, result_path
from lib.study.runner import remove_stale_pages
from lib.study.executors import kernel_environment

TEMPLATES = {
    # square: y = x * x, refusing negative x (the failing case)
    "square": ("x = 1\nresult_path = ''\ninputs = []",
               "import json\nassert x >= 0, f'x must be >= 0, got {x}'\njson.dump({'y': x * x}, open(result_path, 'w'))"),
    # total: the sum of its inputs' y
    "total": ("result_path = ''\ninputs = []",
              "import json\nys = [json.load(open(p))['y'] for p in inputs]\njson.dump({'y': sum(ys)}, open(result_path, 'w'))"),
    # span: when it ran (after a pause), the compute threads and allocator settings its kernel was given
    "span": ("pause = 0\nresult_path = ''\ninputs = []",
             "import json, os, time\nstart = time.time()\ntime.sleep(pause)\n"
             "json.dump({'start': start, 'end': time.time(), 'threads': os.environ.get('OMP_NUM_THREADS'), "
             "'tunables': os.environ.get('GLIBC_TUNABLES')}, open(result_path, 'w'))"),
    # where: the folder its kernel runs in
    "where": ("n = 0\nresult_path = ''\ninputs = []",
              "import json, os\njson.dump({'cwd': os.getcwd()}, open(result_path, 'w'))"),
    # nap: says its kernel's pid (in the file ``pid_file``), then sleeps for ``pause`` seconds
    "nap": ("pause = 0\npid_file = ''\nresult_path = ''\ninputs = []",
            "import json, os, time\nopen(pid_file, 'w').write(str(os.getpid()))\ntime.sleep(pause)\n"
            "json.dump({}, open(result_path, 'w'))"),
}


@pytest.fixture
def study(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for name, (parameters, body) in TEMPLATES.items():
        cells = [new_code_cell(parameters, metadata={"tags": ["parameters"]}), new_code_cell(body)]
        nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                "language": "python"}})
        nbformat.write(nb, notebooks / f"{name}.ipynb")

    def run(runs, jobs=1):
        return execute(runs, notebooks, tmp_path / "book" / "runs", tmp_path / "results", log=lambda _: None,
                       jobs=jobs)
    return run, tmp_path


def grid(a=2, b=3):
    squares = (Run("square", {"x": a}), Run("square", {"x": b}), Run("square", {"x": 10}))
    return [Run("total", {}, squares[:2]), squares[2]]


def test_runs_execute_in_order_and_a_second_pass_executes_nothing(study):
    run, root = study
    runs = grid()
    first = run(runs)
    assert first.ok and len(first.executed) == 4 and first.executed[2].startswith("total")
    total = runs[0]
    assert json.loads(result_path(total, root / "results").read_text()) == {"y": 13}
    assert (root / "book" / "runs" / "total" / f"{total.key}.ipynb").exists()
    second = run(grid())
    assert second.executed == [] and len(second.skipped) == 4


def test_changing_one_parameter_reruns_only_that_run_and_its_dependants(study):
    run, root = study
    run(grid())
    again = run(grid(b=4))
    assert sorted(label.split("[")[0] for label in again.executed) == ["square", "total"]
    assert len(again.skipped) == 2  # the untouched squares
    assert json.loads(result_path(grid(b=4)[0], root / "results").read_text()) == {"y": 20}


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_failed_run_is_named_its_dependants_blocked_and_the_rest_kept(study, jobs):
    run, root = study
    report = run(grid(a=-1), jobs)
    bad = Run("square", {"x": -1})
    assert not report.ok
    assert report.failed == {bad.label: "AssertionError: x must be >= 0, got -1"}
    assert list(report.blocked) == [grid(a=-1)[0].label]
    assert len(report.executed) == 2  # x=3 and x=10 still ran
    assert result_path(Run("square", {"x": 10}), root / "results").exists()
    assert "FAILED  square" in report.summary() and "BLOCKED total" in report.summary()


def test_dependencies_come_first_and_keys_follow_parameters():
    a = Run("square", {"x": 1})
    b = Run("total", {}, (a,))
    assert [r.key for r in in_order([b])] == [a.key, b.key]
    assert Run("square", {"x": 1}).key == a.key != Run("square", {"x": 2}).key


def test_pages_of_runs_no_longer_in_the_study_are_removed_and_their_results_kept(study):
    run, root = study
    run(grid(a=2))
    run(grid(a=5))
    pages = root / "book" / "runs"
    assert len(list(pages.glob("*/*.ipynb"))) == 6  # both versions of the changed run and of its dependant
    stale = remove_stale_pages(grid(a=5), pages)
    assert sorted(p.parent.name for p in stale) == ["square", "total"]
    assert len(list(pages.glob("*/*.ipynb"))) == 4 and len(list((root / "results").glob("*.json"))) == 6
    again = run(grid(a=2))  # set back: the notebooks run again for their pages
    assert sorted(label.split("[")[0] for label in again.executed) == ["square", "total"]



def test_with_two_jobs_independent_runs_overlap_and_a_dependant_waits_for_both(study, monkeypatch):
    run, root = study
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=5")  # the user's own: kept
    a, b = Run("span", {"pause": 3}), Run("span", {"pause": 0.5})
    after = Run("span", {"pause": 0}, (a, b))
    report = run([after], jobs=2)
    assert report.ok and len(report.executed) == 3
    spans = {r.key: json.loads(result_path(r, root / "results").read_text()) for r in (a, b, after)}
    assert spans[b.key]["start"] < spans[a.key]["end"] and spans[a.key]["start"] < spans[b.key]["end"]
    assert spans[after.key]["start"] > max(spans[a.key]["end"], spans[b.key]["end"])
    assert spans[a.key]["threads"] == str(max(1, os.cpu_count() // 2))
    assert spans[a.key]["tunables"] == "glibc.malloc.trim_threshold=5:glibc.malloc.mmap_threshold=1073741824"
    assert os.environ["OMP_NUM_THREADS"] == "7"  # the runner's own settings are restored
    assert os.environ["GLIBC_TUNABLES"] == "glibc.malloc.trim_threshold=5"


def test_ready_runs_of_a_kind_already_timed_start_longest_first(study):
    """One slot, four independent runs: the first of each kind starts in dependency order
    (neither is timed yet); of the second ones, the long kind's goes first."""
    run, root = study
    short1, long1 = Run("span", {"pause": 0.1}, kind="short"), Run("span", {"pause": 1.5}, kind="long")
    short2, long2 = Run("span", {"pause": 0.11}, kind="short"), Run("span", {"pause": 1.51}, kind="long")
    assert run([short1, long1, short2, long2]).ok
    start = {r.key: json.loads(result_path(r, root / "results").read_text())["start"]
             for r in (short1, long1, short2, long2)}
    assert sorted(start, key=start.get) == [short1.key, long1.key, long2.key, short2.key]


def test_kernels_keep_freed_memory_unless_the_user_set_the_allocator(monkeypatch):
    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    env = kernel_environment(None)
    assert "OMP_NUM_THREADS" not in env
    assert env["GLIBC_TUNABLES"] == "glibc.malloc.mmap_threshold=1073741824:glibc.malloc.trim_threshold=4294967296"
    assert kernel_environment(3)["OMP_NUM_THREADS"] == "3"


def test_jobs_must_be_positive(study):
    run, _ = study
    with pytest.raises(ValueError, match="jobs"):
        run(grid(), jobs=0)


def test_a_second_study_on_the_same_tree_stops_at_once(tmp_path):
    from lib.study.runner import study_lock

    root = Path(__file__).resolve().parents[2]
    with study_lock(tmp_path / "runs" / "study"):
        second = subprocess.run([sys.executable, "-m", "lib.study", "--profile", "smoke", "--root", str(tmp_path),
                                 "--only", "00_architectures"], cwd=root, capture_output=True, text=True, timeout=120)
    assert second.returncode == 2 and len(second.stderr.splitlines()) == 1 and "Traceback" not in second.stderr
    assert second.stderr.startswith("FolderBusy: the study's results folder ")
    assert "another study runs in this tree" in second.stderr and f"pid {os.getpid()}" in second.stderr and not list((tmp_path / "runs" / "study").glob("*.json"))


KILLED_STUDY = """
import sys
from pathlib import Path
from lib.study import Run, execute
root = Path(sys.argv[1])
runs = [Run("span", {"pause": 0}), Run("span", {"pause": 5}), Run("span", {"pause": 0.1})]
execute(runs, root / "notebooks", root / "book" / "runs", root / "results", log=lambda _: None)
"""


def test_a_study_killed_midway_loses_nothing_and_repeats_no_finished_run(study):
    run, root = study
    process = subprocess.Popen([sys.executable, "-c", KILLED_STUDY, str(root)], cwd=Path(__file__).resolve().parents[2])
    first = Run("span", {"pause": 0})
    deadline = time.monotonic() + 120
    while not result_path(first, root / "results").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1)  # the second run is under way
    process.kill()
    process.wait()
    finished = json.loads(result_path(first, root / "results").read_text())
    report = run([Run("span", {"pause": 0}), Run("span", {"pause": 5}), Run("span", {"pause": 0.1})])  # the same
    assert report.ok and report.skipped == [first.label] and len(report.executed) == 2
    assert json.loads(result_path(first, root / "results").read_text()) == finished  # kept, not redone


def test_ctrl_c_stops_a_study_with_one_line_that_says_how_to_go_on(tmp_path, monkeypatch, capsys):
    from lib.study import __main__ as study_cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt  # where a Ctrl-C lands: the runner waiting on its notebooks
    monkeypatch.setattr(study_cli, "execute", interrupted)
    assert study_cli.main(["--profile", "smoke", "--root", str(tmp_path), "--only", "00_architectures"]) == 130
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("study interrupted after ")
    assert err.endswith("run the same command to go on (finished runs are skipped, a training resumes from its last "
                        "epoch)")
    assert study_cli.main(["--profile", "smoke", "--root", str(tmp_path), "--only", "00_architectures",
                           "--executor", "submitit", "--cluster", "local"]) == 130
    assert capsys.readouterr().err.strip().endswith("; jobs already submitted go on (on Slurm, scancel stops them)")


INTERRUPTED_STUDY = """
import sys
from pathlib import Path
from lib.study import Run, execute
root = Path(sys.argv[1])
runs = [Run("nap", {"pause": 600, "pid_file": str(root / "kernel.pid")}),
        Run("nap", {"pause": 0, "pid_file": str(root / "queued.pid")})]
try:
    execute(runs, root / "notebooks", root / "book" / "runs", root / "results", log=lambda _: None)
except KeyboardInterrupt:
    sys.exit(130)
"""


def test_ctrl_c_ends_the_running_kernels_and_starts_no_other_run(study):
    run, root = study
    # Ctrl-C's default disposition, as in a terminal (a background shell would hand it down ignored)
    process = subprocess.Popen([sys.executable, "-c", INTERRUPTED_STUDY, str(root)],
                               cwd=Path(__file__).resolve().parents[2],
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    pid_file, deadline = root / "kernel.pid", time.monotonic() + 120
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.2)
    kernel = int(pid_file.read_text())
    process.send_signal(signal.SIGINT)  # what a Ctrl-C sends this process (the kernel has a session of its own)
    assert process.wait(timeout=120) == 130  # not the notebook's 600 s
    assert not psutil.pid_exists(kernel) or psutil.Process(kernel).status() == psutil.STATUS_ZOMBIE
    assert not (root / "queued.pid").exists() and not list((root / "results").glob("*.json"))  # never started


def test_kernels_start_in_the_studys_folder_without_moving_this_process(study, tmp_path, monkeypatch):
    _, root = study
    elsewhere, moves = tmp_path / "elsewhere", []
    elsewhere.mkdir()
    real_chdir = os.chdir

    def chdir(path):  # a move of this process's folder: with two notebooks at once, a race between them
        if Path(path).resolve() != Path.cwd().resolve():
            moves.append(path)
        real_chdir(path)
    monkeypatch.setattr(os, "chdir", chdir)
    runs = [Run("where", {"n": n}) for n in range(4)]
    report = execute(runs, root / "notebooks", root / "book" / "runs", root / "results", log=lambda _: None, jobs=2,
                     cwd=elsewhere)
    assert report.ok and moves == []
    assert {json.loads(result_path(r, root / "results").read_text())["cwd"] for r in runs} == {str(elsewhere)}
