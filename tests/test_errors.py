"""Every entry point ends an input error in one line naming what to fix (a traceback only
for a bug, or asked for with --debug / STUDY_DEBUG=1)."""
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from lib.models import ModelFileError
from lib.quantize import load_int8

ROOT = Path(__file__).resolve().parents[1]


def command(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, **(env or {})})


def one_line(result: subprocess.CompletedProcess, start: str) -> str:
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith(start), result.stderr
    return result.stderr.strip()


@pytest.fixture
def not_a_folder(tmp_path):
    (tmp_path / "file").write_text("a file where a folder should be")
    return tmp_path / "file"


def test_an_unwritable_run_folder_or_cache_is_named_in_one_line(tmp_path, not_a_folder):
    train = ("lib.train", "--profile", "smoke", "--epochs", "1")
    line = one_line(command(*train, "--run-dir", str(not_a_folder / "run"), env={"STUDY_CACHE": str(tmp_path)}),
                    "FolderUnwritable: the run folder: cannot write ")
    assert str(not_a_folder / "run") in line
    line = one_line(command(*train, "--run-dir", str(tmp_path / "run"), env={"STUDY_CACHE": str(not_a_folder / "c")}),
                    "FolderUnwritable: the cache ($STUDY_CACHE): cannot write ")
    assert str(not_a_folder / "c") in line
    study = command("lib.study", "--profile", "smoke", "--only", "00_architectures", "--root", str(not_a_folder))
    assert str(not_a_folder / "runs") in one_line(study, "FolderUnwritable: the study's results folder: cannot write ")


def test_a_damaged_metrics_file_is_named_and_debug_shows_the_traceback(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.json").write_text('{"params": ')  # cut short
    train = ("lib.train", "--profile", "smoke", "--run-dir", str(run))
    line = one_line(command(*train, env={"STUDY_CACHE": str(tmp_path)}), "ResultFormatError: ")
    assert str(run / "metrics.json") in line and "delete it" in line
    for debug in (command(*train, "--debug", env={"STUDY_CACHE": str(tmp_path)}),
                  command(*train, env={"STUDY_CACHE": str(tmp_path), "STUDY_DEBUG": "1"})):
        assert debug.returncode != 0 and "Traceback" in debug.stderr and "ResultFormatError" in debug.stderr


def test_a_folder_that_is_no_int8_run_is_a_model_file_error(tmp_path):
    with pytest.raises(ModelFileError, match=str(tmp_path)):
        load_int8(tmp_path)


def error_output(notebook: Path) -> dict:
    return next(output for cell in nbformat.read(notebook, 4).cells for output in cell.get("outputs", ())
                if output["output_type"] == "error")


@pytest.mark.parametrize("debug", [False, True])
def test_a_chapter_shows_an_input_error_as_one_line_in_its_notebook(tmp_path, debug):
    out = tmp_path / "out.ipynb"
    result = command("lib.study.run_chapter", str(ROOT / "notebooks" / "01_baseline.ipynb"), str(out),
                     "-p", "profile", "smoke", "-p", "row", "yolov4", "-p", "result_path", str(tmp_path / "r.json"),
                     *(["--debug"] if debug else []))
    error = error_output(out)
    assert result.returncode != 0 and error["ename"] == "ParamError" and "row: unknown row 'yolov4'" in error["evalue"]
    if debug:
        assert len(error["traceback"]) > 1 and "Traceback" in result.stderr
    else:
        assert error["traceback"] == [f"ParamError: {error['evalue']}  (STUDY_DEBUG=1 shows the traceback)"]
        assert result.stderr.strip().splitlines()[-1] == f"ParamError: {error['evalue']}"
