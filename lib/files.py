"""Files the study writes, safely: written whole or not at all, in folders one process
holds at a time, with what a killed process left half-written removed on the next start.

A file or folder being written is named ``.<name>.tmp-<host>-<pid>-<thread>`` (a folder:
``.partial-``) beside its final place until it is complete; the host in the name keeps a
process on one machine from removing what a live process on another (a cluster's shared
disk) is writing, the thread two threads of one process from writing one file.
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import shutil
import socket
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable

from .errors import FolderBusy, StudyError, writable_folder

LOCK = ".lock"
HOST = re.sub(r"[^A-Za-z0-9_]", "_", socket.gethostname()) or "host"
LEFTOVER = re.compile(r"^\..*\.(?:tmp|partial)-([A-Za-z0-9_]+)-(\d+)-\d+$")


class DiskFull(StudyError, OSError):
    """The disk filled up mid-write; what was there before is intact."""


def temporary(path: Path, kind: str = "tmp") -> Path:
    """Where ``path`` is written before it is complete (``kind``: "tmp" or "partial")."""
    return path.with_name(f".{path.name}.{kind}-{HOST}-{os.getpid()}-{threading.get_ident()}")


def atomic_write(data: bytes, path: Path) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it over ``path``:
    a crash, a kill or a full disk mid-write leaves the previous file whole."""
    tmp = temporary(path)
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        if error.errno == errno.ENOSPC:
            raise DiskFull(error.errno, f"no space left on the device while writing {path}; the previous "
                                        f"{path.name} and every earlier result are intact: free space and run the "
                                        "same command again") from None
        raise


def atomic_write_json(obj: Any, path: Path) -> None:
    atomic_write(json.dumps(obj, indent=1, sort_keys=True).encode(), path)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_leftovers(folder: Path) -> list[Path]:
    """Delete the temporary files and folders in ``folder`` that a process of this host
    that is no longer running left behind (a kill mid-write); returns them."""
    removed = []
    for entry in sorted(Path(folder).glob(".*")):
        match = LEFTOVER.search(entry.name)
        if match and match[1] == HOST and not alive(int(match[2])):
            shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)
            removed.append(entry)
    return removed


@contextmanager
def locked(folder: str | Path, what: str, advice: str, wait: Callable[[str], None] | None = None):
    """Hold ``folder``'s lock (created, and checked writable) while the body runs, after
    removing its leftovers. Held by another process: ``FolderBusy`` naming ``what`` it is,
    the holder's pid and ``advice``; or, given ``wait`` (a log), say so there and wait."""
    folder = writable_folder(folder, what)
    with open(folder / LOCK, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "?"
            if wait is None:
                raise FolderBusy(f"{what} {folder} is in use by pid {holder}: {advice}") from None
            wait(f"{what} {folder} is in use by pid {holder}: {advice}")
            fcntl.flock(lock, fcntl.LOCK_EX)
        lock.truncate(0)
        lock.write(str(os.getpid()))
        lock.flush()
        remove_leftovers(folder)
        try:
            yield folder
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
