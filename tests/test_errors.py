"""Every entry point ends an input error in one line naming what to fix (a traceback only
for a bug, or asked for with --debug / STUDY_DEBUG=1)."""
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from lib.models import ModelFileError
from lib.params import ParamError
from lib.quantize import load_int8
from lib.result import ResultFormatError
from lib.study.__main__ import main as study_main
from lib.train.__main__ import main as train_main

ROOT = Path(__file__).resolve().parents[1]


def command(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, **(env or {})})


def one_line(capsys, main, args: list[str], start: str) -> str:
    """Run an entry point in this process: it must end with status 2 and one line."""
    with pytest.raises(SystemExit) as ended:
        main(args)
    err = capsys.readouterr().err
    assert ended.value.code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith(start), err
    return err.strip()


@pytest.fixture
def not_a_folder(tmp_path):
    (tmp_path / "file").write_text("a file where a folder should be")
    return tmp_path / "file"


def test_an_unwritable_run_folder_or_cache_is_named_in_one_line(tmp_path, not_a_folder, monkeypatch, capsys):
    smoke = ["--profile", "smoke", "--epochs", "1"]
    monkeypatch.setenv("STUDY_CACHE", str(tmp_path))
    line = one_line(capsys, train_main, [*smoke, "--run-dir", str(not_a_folder / "run")],
                    "FolderUnwritable: the run folder: cannot write ")
    assert str(not_a_folder / "run") in line
    monkeypatch.setenv("STUDY_CACHE", str(not_a_folder / "c"))
    line = one_line(capsys, train_main, [*smoke, "--run-dir", str(tmp_path / "run")],
                    "FolderUnwritable: the cache ($STUDY_CACHE): cannot write ")
    assert str(not_a_folder / "c") in line
    line = one_line(capsys, study_main, ["--profile", "smoke", "--only", "00_architectures", "--root", str(not_a_folder)],
                    "FolderUnwritable: the study's results folder: cannot write ")
    assert str(not_a_folder / "runs") in line


def test_a_damaged_metrics_file_is_named_and_debug_shows_the_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("STUDY_CACHE", str(tmp_path))
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.json").write_text('{"params": ')  # cut short
    train = ["--profile", "smoke", "--run-dir", str(run)]
    line = one_line(capsys, train_main, train, "ResultFormatError: ")
    assert str(run / "metrics.json") in line and "delete it" in line
    debug = command("lib.train", *train, "--debug")  # a process of its own: --debug sets STUDY_DEBUG in it
    assert debug.returncode != 0 and "Traceback" in debug.stderr and "ResultFormatError" in debug.stderr
    monkeypatch.setenv("STUDY_DEBUG", "1")
    with pytest.raises(ResultFormatError):
        train_main(train)


def test_a_folder_that_is_no_int8_run_is_a_model_file_error(tmp_path):
    with pytest.raises(ModelFileError, match=str(tmp_path)):
        load_int8(tmp_path)


def error_output(notebook: Path) -> dict:
    return next(output for cell in nbformat.read(notebook, 4).cells for output in cell.get("outputs", ())
                if output["output_type"] == "error")


def test_a_chapter_shows_an_input_error_as_one_line_in_its_notebook(tmp_path):
    out = tmp_path / "out.ipynb"
    result = command("lib.study.run_chapter", str(ROOT / "notebooks" / "01_baseline.ipynb"), str(out),
                     "-p", "profile", "smoke", "-p", "row", "yolov4", "-p", "result_path", str(tmp_path / "r.json"))
    error = error_output(out)
    assert result.returncode == 2 and error["ename"] == "ParamError" and "row: unknown row 'yolov4'" in error["evalue"]
    assert error["traceback"] == [f"ParamError: {error['evalue']}  (STUDY_DEBUG=1 shows the traceback)"]
    assert result.stderr.strip().splitlines()[-1] == f"ParamError: {error['evalue']}"


def test_while_debugging_a_notebook_shows_ipythons_full_traceback(monkeypatch):
    error = ParamError("x: expected y")
    assert error._render_traceback_() == ["ParamError: x: expected y  (STUDY_DEBUG=1 shows the traceback)"]
    monkeypatch.setenv("STUDY_DEBUG", "1")
    assert not hasattr(error, "_render_traceback_")  # IPython's own traceback then
