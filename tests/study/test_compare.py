import json

from lib.paths import STUDY_RESULTS
from lib.study.compare import differences


def write(root, name, result):
    (root / STUDY_RESULTS).mkdir(parents=True, exist_ok=True)
    (root / STUDY_RESULTS / name).write_text(json.dumps(result))


def test_only_measured_throughputs_may_differ_and_every_run_must_be_in_both(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    run = {"map50": 0.5, "train_img_per_s": 10.0, "history": [{"epoch": 1, "train_img_per_s": 9.0}], "run_dir": "a"}
    write(a, "01_baseline-x.json", run)
    write(b, "01_baseline-x.json", {**run, "train_img_per_s": 12.0, "history": [{"epoch": 1, "train_img_per_s": 8.0}],
                                    "run_dir": "b"})
    assert differences(a, b) == []
    write(b, "01_baseline-x.json", {**run, "map50": 0.5000001})
    write(a, "02_lth-y.json", run)
    assert differences(a, b) == [f"only in {a}: 02_lth-y.json", "different values: 01_baseline-x.json"]
    assert differences(tmp_path / "c", tmp_path / "d") == [f"no results in either root ({STUDY_RESULTS})"]
