import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_environment_yml_pins_what_pyproject_pins():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pinned = set(project["dependencies"]) | set(project["optional-dependencies"]["test"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_block = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert set(pip_block) - {"-e ."} == pinned
    assert "-e ." in pip_block and "python=3.11" in env["dependencies"]


def test_required_pins():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert {"torch==2.14.1", "torchvision==0.29.1", "jupyter-book>=1.0.4.post1,<2"} <= set(deps)
    assert all("==" in d for d in deps if not d.startswith("jupyter-book"))
