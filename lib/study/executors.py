"""Where the study's runs execute: the runner (``runner.execute``) decides what runs
when; a backend starts the runs it is given and says which have finished.

- ``local``: notebooks in kernels on this machine, ``jobs`` at once (``make book``).
- ``submitit``: each run a submitit job. Where Slurm is present (``srun``), the runs
  that are ready together go as one job array, with the profile's resources
  (``resources``); elsewhere submitit's local executor starts them as processes.
  A job that reaches its time limit is requeued, and its training resumes from its
  last epoch. Job files and logs: ``<root>/runs/jobs/``.

A backend: ``slots`` (runs in flight at once; None: the cluster's own throttle),
``submit(tasks, log) -> handles``, ``wait(handles) -> the finished ones`` and
``failure(handle) -> None or a one-line reason``, used as a context manager.
"""
from __future__ import annotations

import contextlib
import os
import re
import subprocess
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psutil
import submitit

from ..params import ParamError
from .resources import Resources
from .task import Task, error_line

EXECUTORS = ("local", "submitit")


class Threads:
    """Each run a papermill kernel started from a thread of this process."""

    def __init__(self, jobs: int):
        if not isinstance(jobs, int) or jobs < 1:
            raise ParamError(f"jobs: expected a positive number of notebooks at once, got {jobs}")
        self.slots = jobs
        self._stack = ExitStack()

    def __enter__(self):
        self._stack.enter_context(kernels_inherit(self.slots))
        self.pool = self._stack.enter_context(ThreadPoolExecutor(self.slots))
        self.handles: list[Future] = []
        return self

    def __exit__(self, kind, error, traceback):
        if kind is not None and issubclass(kind, KeyboardInterrupt):
            self.pool.shutdown(wait=False, cancel_futures=True)  # no run starts after a Ctrl-C
            stop_kernels(self.handles)
        return self._stack.__exit__(kind, error, traceback)

    def submit(self, tasks: list[Task], log) -> list:
        handles = [self.pool.submit(task) for task in tasks]
        self.handles += handles
        return handles

    def wait(self, handles: list) -> list:
        return list(wait(handles, return_when=FIRST_COMPLETED).done)

    def failure(self, handle) -> str | None:
        err = handle.exception()
        return None if err is None else error_line(err)


def stop_kernels(handles: list[Future], grace_s: float = 3.0) -> None:
    """End the kernels this process started, until every run's thread has returned. A
    Ctrl-C reaches this process only (jupyter_client starts each kernel in a session of
    its own), and the threads would otherwise wait for their notebooks to end. A training
    stopped mid-epoch resumes from its last finished epoch; its half-written files are
    removed on the next start (``lib.files``)."""
    while not all(handle.done() for handle in handles):
        kernels = psutil.Process().children(recursive=True)
        for kernel in kernels:
            with contextlib.suppress(psutil.NoSuchProcess):  # ended meanwhile (a notebook done, a worker)
                kernel.terminate()
        for kernel in psutil.wait_procs(kernels, timeout=grace_s)[1]:
            with contextlib.suppress(psutil.NoSuchProcess):
                kernel.kill()
        time.sleep(0.1)  # a thread starting its kernel just now: caught on the next pass


# glibc hands freed memory back to the kernel at once: blocks over its mmap threshold are
# unmapped, and the heap's top is trimmed past 128 KiB. A training step frees and asks again
# for the same activations every iteration, so each step faulted its pages in anew: a
# 10-epoch Tiny run of the cpu profile took 2.4 million page faults and 17% of its time in
# the kernel. Kept in the process, the same run trained 1.26x the images per second (YOLOv3
# 1.06x) with identical losses and about 5% more resident memory (the cpu-profile appendix).
# Other C libraries ignore the variable.
KEEP_FREED_MEMORY = {"glibc.malloc.mmap_threshold": "1073741824", "glibc.malloc.trim_threshold": "4294967296"}


def with_allocator_settings(tunables: str | None) -> str:
    """GLIBC_TUNABLES for a kernel: the user's own settings, then KEEP_FREED_MEMORY's
    for any the user left unset."""
    own = [item for item in (tunables or "").split(":") if item]
    named = {item.split("=", 1)[0] for item in own}
    return ":".join(own + [f"{name}={value}" for name, value in KEEP_FREED_MEMORY.items() if name not in named])


def kernel_environment(threads: int | None) -> dict[str, str]:
    """What a kernel inherits from this process (``Threads`` and ``NotebookJob``): its
    compute threads (None: the default) and the allocator's settings."""
    env = {"GLIBC_TUNABLES": with_allocator_settings(os.environ.get("GLIBC_TUNABLES"))}
    return env if threads is None else {**env, "OMP_NUM_THREADS": str(threads)}


@contextmanager
def kernels_inherit(jobs: int):
    """With several kernels at once, each gets cpu_count // jobs compute threads (the
    kernels inherit OMP_NUM_THREADS), so they share the cores instead of fighting over
    them. A run's numbers depend on its thread count: compare studies run with the same jobs.
    This process's own environment is restored afterwards."""
    env = kernel_environment(max(1, (os.cpu_count() or 1) // jobs) if jobs > 1 else None)
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class RunFailed(RuntimeError):
    """A chapter's own error, raised from its job as one line (papermill's traceback stays in the notebook)."""


class NotebookJob(submitit.helpers.Checkpointable):
    """A run as a submitit job. Checkpointable: at its time limit (or on preemption)
    submitit requeues it, and the notebook, run again, resumes its training from the
    last epoch's checkpoint. ``threads``: the kernel's compute threads (the job's CPUs)."""

    def __init__(self, task: Task, threads: int):
        self.task, self.threads = task, threads

    def __call__(self) -> None:
        from papermill.exceptions import PapermillExecutionError

        os.environ.update(kernel_environment(self.threads))  # the kernel papermill starts inherits it
        try:
            self.task()
        except PapermillExecutionError as error:  # its last line names what the chapter refused
            raise RunFailed(error_line(error)) from None


class Submitit:
    """Runs as submitit jobs: Slurm where ``srun`` is present (or ``cluster="slurm"``),
    submitit's local executor otherwise (or ``cluster="local"``)."""

    def __init__(self, folder: Path, resources: Resources, cluster: str | None = None, poll_s: float | None = None):
        self.resources = resources
        self.executor = submitit.AutoExecutor(folder=Path(folder) / "%j", cluster=cluster)
        slurm = {"slurm_array_parallelism": resources.parallelism}
        if resources.partition:
            slurm["slurm_partition"] = resources.partition
        self.executor.update_parameters(name="yolo-study", timeout_min=resources.time_min, mem_gb=resources.mem_gb,
                                        cpus_per_task=resources.cpus, gpus_per_node=resources.gpus, nodes=1,
                                        tasks_per_node=1, **slurm)
        self.on_slurm = self.executor.cluster == "slurm"
        # Slurm throttles an array itself; submitit's local executor starts every job at once.
        self.slots = None if self.on_slurm else resources.parallelism
        self.poll_s = poll_s if poll_s is not None else (5.0 if self.on_slurm else 0.5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def submit(self, tasks: list[Task], log) -> list:
        with self.executor.batch():  # one job array on Slurm
            jobs = [self.executor.submit(NotebookJob(task, self.resources.cpus)) for task in tasks]
        for task, job in zip(tasks, jobs):
            log(f"  {task.run.label}: {self.executor.cluster} job {job.job_id}, log {job.paths.stderr}")
        return jobs

    def wait(self, handles: list) -> list:
        while True:
            queued = self.queued() if self.on_slurm else None
            done = [job for job in handles if self.ended(job, queued)]
            if done:
                return done
            time.sleep(self.poll_s)

    @staticmethod
    def queued() -> set[str] | None:
        """The ids of the jobs and array tasks Slurm still holds (None: squeue failed).
        Asked of squeue, not sacct, which needs an accounting database."""
        listed = subprocess.run(["squeue", "--noheader", "--array", "--format=%i"], capture_output=True, text=True)
        return set(listed.stdout.split()) if listed.returncode == 0 else None

    def ended(self, job, queued: set[str] | None) -> bool:
        """A job wrote its outcome, or left Slurm's queue without one (killed)."""
        if job.paths.result_pickle.exists():
            return True
        if not self.on_slurm:
            return job.done()
        return queued is not None and job.job_id not in queued

    def failure(self, job) -> str | None:
        where = f"job {job.job_id}, log {job.paths.stderr}"
        deadline = time.monotonic() + (30 if self.on_slurm else 0)  # a shared filesystem may show the outcome late
        while not job.paths.result_pickle.exists():
            if time.monotonic() >= deadline:
                return f"the job ended without a result: killed, out of memory or past its time limit? ({where})"
            time.sleep(1)
        err = job.exception()
        return None if err is None else f"{last_error_line(str(err)) or type(err).__name__} ({where})"


def last_error_line(trace: str) -> str:
    """The raised exception's line of a job's traceback (submitit's message goes on with
    the log paths), without RunFailed's own name."""
    lines = [line for line in trace.splitlines() if re.match(r"[A-Za-z_][\w.]*: ", line)]
    return re.sub(r"^[\w.]*RunFailed: ", "", lines[-1]) if lines else ""


def make_backend(executor: str, jobs: int, resources: Resources, jobs_dir: Path, cluster: str | None = None):
    """The backend named by ``--executor``."""
    if executor == "local":
        return Threads(jobs)
    if executor == "submitit":
        return Submitit(jobs_dir, resources, cluster)
    raise ParamError(f"executor: expected one of {list(EXECUTORS)}, got {executor!r}")
