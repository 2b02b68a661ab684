"""The project's errors about its inputs, and how every entry point shows them.

Each error a user can cause (a parameter, a dataset, a model or result file, a busy
folder, an unwritable one) is a ``StudyError`` whose message names the file, field or
parameter and what to do. The entry points (``lib.train``, ``lib.study``,
``lib.study.run_chapter``, ``lib.export``, ``lib.publish``, ``lib.book_check``) print it as
one line and exit with status 2; in a notebook the cell shows the one line instead of a traceback.
A traceback appears only for a bug, or with ``--debug`` (which sets ``STUDY_DEBUG=1``,
also for the kernels a study starts).
"""
from __future__ import annotations

import argparse
import os
import sys
from contextlib import contextmanager
from pathlib import Path

DEBUG_VARIABLE = "STUDY_DEBUG"


def debugging() -> bool:
    return os.environ.get(DEBUG_VARIABLE, "") not in ("", "0")


class StudyError(Exception):
    """An input of the project's cannot be used; the message says which and what to do."""

    def one_line(self) -> str:
        return f"{type(self).__name__}: {self}"

    @property
    def _render_traceback_(self):
        """IPython's hook: a notebook cell shows the one line; while debugging there is no
        hook (AttributeError), so IPython shows its full traceback."""
        if debugging():
            raise AttributeError("_render_traceback_")
        return lambda: [f"{self.one_line()}  ({DEBUG_VARIABLE}=1 shows the traceback)"]


class FolderBusy(StudyError, RuntimeError):
    """Another process holds the folder's lock."""


class FolderUnwritable(StudyError):
    """A folder the project must write to cannot be created or written."""


def writable_folder(folder: str | Path, what: str) -> Path:
    """``folder``, created if needed, or ``FolderUnwritable`` naming it and ``what`` it is
    for (e.g. "the run folder (--root)"), before any work is spent on its contents."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-probe-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as error:
        raise FolderUnwritable(f"{what}: cannot write {folder} ({error.strerror or error}); "
                               "choose a folder you can write") from None
    return folder


def project_errors() -> set[str]:
    """The names of ``StudyError`` and its subclasses (a notebook reports an error by name)."""
    names, classes = set(), [StudyError]
    while classes:
        cls = classes.pop()
        names.add(cls.__name__)
        classes += cls.__subclasses__()
    return names


def one_line(error: BaseException) -> str | None:
    """The line an entry point prints for ``error``, or None for a bug (a traceback)."""
    if isinstance(error, StudyError):
        return error.one_line()
    if isinstance(error, OSError) and error.filename:  # the machine's, not the project's: still one line
        return f"{type(error).__name__}: {error.filename}: {error.strerror}"
    return None


def add_debug_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--debug", action="store_true",
                        help=f"show tracebacks for the project's errors too (also: {DEBUG_VARIABLE}=1)")


@contextmanager
def reported(debug: bool = False):
    """Around an entry point's work: the project's errors end it with one line on
    stderr and exit status 2, unless ``debug`` (then they propagate, as a bug does)."""
    if debug:
        os.environ[DEBUG_VARIABLE] = "1"  # the kernels a study starts inherit it
    try:
        yield
    except (StudyError, OSError) as error:
        line = one_line(error)
        if line is None or debugging():
            raise
        print(line, file=sys.stderr)
        raise SystemExit(2) from None
