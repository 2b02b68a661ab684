import re
from pathlib import Path

from lib import paths
from lib.profiles import profile_params

ROOT = Path(__file__).resolve().parents[1]
RUN_FILES = (paths.LAST, paths.BEST, paths.METRICS, paths.SNAPSHOT, "round-", "ticket")


def test_a_run_folder_is_named_by_its_parameters_and_its_method_settings():
    params = profile_params("smoke")
    same = paths.run_dir("runs", profile_params("smoke"), "lth", {"scope": "layer"})
    assert paths.run_dir("runs", params, "lth", {"scope": "layer"}) == same
    assert same.parent == Path("runs") and same.name.startswith("lth-yolov3-")
    others = {paths.run_dir("runs", params, "lth", {"scope": "global"}), paths.run_dir("runs", params, "cs", {"scope": "layer"}),
              paths.run_dir("runs", profile_params("smoke", **{"train.seed": 1}), "lth", {"scope": "layer"}),
              paths.run_dir("runs", params)}
    assert same not in others and len(others) == 4


def test_no_file_name_of_a_run_is_spelled_outside_the_paths_module():
    sources = [p for p in (ROOT / "lib").rglob("*.py") if p != ROOT / "lib" / "paths.py"]
    sources += list((ROOT / "notebooks").glob("*.ipynb"))
    pattern = re.compile("|".join(re.escape(f'"{name}') for name in RUN_FILES))
    found = [f"{p.relative_to(ROOT)}: {m.group()}" for p in sources for m in pattern.finditer(p.read_text())]
    assert found == []


def test_the_project_cites_only_its_own_spec():
    private = "STUDY" + ".md"  # the team's notes, which users never have
    files = [p for p in ROOT.rglob("*") if p.is_file() and p.suffix in (".py", ".md", ".ipynb", ".yml", ".toml", ".csv")
             and not {".venv", ".git", "_build", "runs"} & set(p.relative_to(ROOT).parts)]
    assert [str(p.relative_to(ROOT)) for p in files if private in p.read_text(errors="ignore")] == []
