import json
import signal
import time
from pathlib import Path

import pytest

from lib.study import Run, execute, result_path
from lib.study.executors import Submitit
from lib.study.resources import PROFILE_RESOURCES, Resources, resources_for
from lib.study.runner import page_path
from lib.study.task import Task

from .test_runner import study  # noqa: F401  (the toy templates' fixture)

LOCAL_JOBS = Resources(cpus=1, mem_gb=1, time_min=10, parallelism=2)


def submitit_backend(root: Path, resources: Resources = LOCAL_JOBS) -> Submitit:
    return Submitit(root / "jobs", resources, cluster="local", poll_s=0.2)


def test_local_jobs_run_after_their_dependencies_and_a_failed_job_names_its_log(study):  # noqa: F811
    run, root = study
    bad, good = Run("square", {"x": -1}), Run("square", {"x": 4})
    total = Run("total", {}, (bad, good))
    lines = []
    report = execute([total, Run("square", {"x": 5})], root / "notebooks", root / "book" / "runs", root / "results",
                     log=lines.append, backend=submitit_backend(root))
    assert sorted(report.executed) == sorted([good.label, Run("square", {"x": 5}).label])
    assert report.blocked == {total.label: bad.label} and not result_path(total, root / "results").exists()
    reason = report.failed[bad.label]
    assert reason.startswith("AssertionError: x must be >= 0, got -1 (job ")
    log = Path(reason.rsplit("log ", 1)[1].rstrip(")"))
    assert log.is_file() and "x must be >= 0" in log.read_text()
    assert json.loads(result_path(good, root / "results").read_text()) == {"y": 16}
    assert any(f"log {log}" in line for line in lines)  # each job's log is named when it is submitted


def test_a_job_gets_the_resources_compute_threads(study):  # noqa: F811
    run, root = study
    span = Run("span", {"pause": 0})
    backend = submitit_backend(root, Resources(cpus=3, mem_gb=1, time_min=10, parallelism=1))
    assert execute([span], root / "notebooks", root / "book" / "runs", root / "results", log=lambda _: None,
                   backend=backend).ok
    assert json.loads(result_path(span, root / "results").read_text())["threads"] == "3"


def test_local_jobs_at_once_are_capped_by_the_parallelism(study):  # noqa: F811
    run, root = study
    spans = [Run("span", {"pause": 3 + i / 10}) for i in range(3)]
    assert execute(spans, root / "notebooks", root / "book" / "runs", root / "results", log=lambda _: None,
                   backend=submitit_backend(root)).ok
    times = sorted((json.loads(result_path(s, root / "results").read_text()) for s in spans), key=lambda t: t["start"])
    assert times[1]["start"] < times[0]["end"]          # two at once
    assert times[2]["start"] >= min(t["end"] for t in times[:2])  # the third waits for a free slot


def test_resources_are_the_profiles_unless_given_and_are_checked():
    assert resources_for("paper").gpus == 1 and resources_for("smoke").gpus == 0
    assert resources_for("paper", gpus=4, partition="gpu") == Resources(**{**PROFILE_RESOURCES["paper"].__dict__,
                                                                         "gpus": 4, "partition": "gpu"})
    with pytest.raises(ValueError, match="cpus: expected a positive integer, got 0"):
        resources_for("cpu", cpus=0)
    with pytest.raises(ValueError, match="unknown fields"):
        resources_for("cpu", gpu=1)


REPO = Path(__file__).resolve().parents[2]
TRAINING = Run("01_baseline", {"profile": "smoke", "dataset": "builtin", "data_root": None, "seed": 0,
                               "row": "yolov3-tiny", "epochs": 60})


def test_a_job_killed_mid_training_resumes_from_its_checkpoint_when_the_study_is_resubmitted(tmp_path):
    import torch

    pages, results = tmp_path / "book" / "runs", tmp_path / "results"
    task = Task(TRAINING, REPO / "notebooks" / "01_baseline.ipynb", page_path(TRAINING, pages),
                result_path(TRAINING, results), (), tmp_path)
    # The job must be interruptible: a shell's background command starts with SIGINT ignored,
    # and the job's processes would inherit that (as in test_train's Ctrl-C test).
    saved = signal.signal(signal.SIGINT, signal.default_int_handler)
    with submitit_backend(tmp_path) as backend:
        [job] = backend.submit([task], log=lambda _: None)
        signal.signal(signal.SIGINT, saved)
        deadline = time.monotonic() + 300
        while not list(tmp_path.glob("runs/train/*/last.pt")) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1)  # a few epochs in
        job.cancel()   # as scancel would
        backend.wait([job])
    assert backend.failure(job) is not None  # the job did not finish
    [checkpoint] = tmp_path.glob("runs/train/*/last.pt")
    before = torch.load(checkpoint, weights_only=False)["history"]
    assert 1 <= len(before) < 60 and not result_path(TRAINING, results).exists()

    report = execute([TRAINING], REPO / "notebooks", pages, results, cwd=tmp_path, log=lambda _: None,
                     backend=submitit_backend(tmp_path))
    assert report.executed == [TRAINING.label]
    after = json.loads(result_path(TRAINING, results).read_text())["history"]
    assert len(after) == 60
    # the epochs trained before the kill are the checkpoint's, throughput included: not trained again
    assert after[:len(before)] == before
