"""Files written whole, folders held by one process, leftovers of killed writers removed."""
import os
import threading
import time

import pytest

from lib.errors import FolderBusy, FolderUnwritable, writable_folder
from lib.files import HOST, LOCK, atomic_write, locked, remove_leftovers, temporary


def test_leftovers_of_dead_writers_on_this_host_are_removed_and_nothing_else(tmp_path, dead_pid):
    dead = dead_pid
    stale_file = tmp_path / f".best.pt.tmp-{HOST}-{dead}-1"
    stale_folder = tmp_path / temporary(tmp_path / "builtin-x", "partial").name.replace(f"-{os.getpid()}-", f"-{dead}-")
    live = temporary(tmp_path / "last.pt")  # this process's: still being written
    other_host = tmp_path / f".best.pt.tmp-elsewhere-{dead}-1"  # maybe live, on another machine
    kept = [live, other_host, tmp_path / "best.pt", tmp_path / ".lock"]
    for file in (stale_file, *kept):
        file.write_bytes(b"x")
    (stale_folder / "Annotations").mkdir(parents=True)
    assert sorted(remove_leftovers(tmp_path)) == sorted([stale_file, stale_folder])
    assert all(file.exists() for file in kept) and not stale_file.exists() and not stale_folder.exists()


def test_a_write_lands_whole_under_its_name_and_leaves_no_temporary(tmp_path):
    atomic_write(b"abc", tmp_path / "metrics.json")
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_a_held_folder_refuses_a_second_holder_by_pid_or_waits_for_it(tmp_path):
    logged, order = [], []
    with locked(tmp_path / "run", "the run folder", "try later") as folder:
        assert (folder / LOCK).read_text().strip().isdigit()
        with pytest.raises(FolderBusy, match=r"the run folder .*/run is in use by pid \d+: try later"):
            with locked(folder, "the run folder", "try later"):
                pass

        def second():
            with locked(folder, "the run folder", "waiting", wait=logged.append):
                order.append("second")
        waiter = threading.Thread(target=second)
        waiter.start()
        time.sleep(1)
        order.append("first done")
    waiter.join(timeout=30)
    assert order == ["first done", "second"] and len(logged) == 1 and "in use by pid" in logged[0]


def test_a_folder_that_cannot_be_written_is_named_before_any_work(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(FolderUnwritable, match=r"the cache \(\$STUDY_CACHE\): cannot write .*file/cache"):
        writable_folder(tmp_path / "file" / "cache", "the cache ($STUDY_CACHE)")
    assert writable_folder(tmp_path / "a" / "b", "x").is_dir()
