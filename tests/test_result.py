import json

import pytest

from lib.result import SCHEMA, Budget, Footprint, Latency, Metrics, ResultFormatError, RunResult, read_result


def a_result(**given) -> RunResult:
    fields = dict(row="yolov3-cs-1", method="cs", dataset="builtin", model="YOLOv3", training="CS 1 It", seed=0,
                  run_dir="runs/train/cs-yolov3-abc/ticket", img_size=128, width=0.25,
                  metrics=Metrics(0.5, 0.3, 0.31, 0.1, 0.2, 0.4, 0.55), footprint=Footprint(1000, 20000, 0.5, "sparse", None),
                  budget=Budget(epochs=10, images=3200, total_epochs=20, total_images=6400), ledger={"dense": 4000, "sparse": 500}, train_img_per_s=40.0,
                  history=({"epoch": 1, "map50": 0.1},), run_params={"model": {"name": "yolov3"}},
                  layers=({"name": "conv", "sparsity": 0.9},), settings={"rounds": 1},
                  extras={"search": [{"round": 0, "epoch": 1, "sparsity": 0.5, "beta": 1.0}]})
    return RunResult(**{**fields, **given})


def test_a_result_goes_to_json_and_back_unchanged(tmp_path):
    result = a_result(latency=Latency(12.0, 40.0, rounds={"ms": [11.0, 12.0, 13.0], "ms_416": [40.0, 41.0, 39.0]}))
    path = tmp_path / "r.json"
    path.write_text(json.dumps(result.to_dict()))
    assert read_result(path) == result
    assert read_result(path).epochs == 10 and read_result(path).model_file.name == "best.pt"
    without = a_result()
    assert RunResult.from_dict(json.loads(json.dumps(without.to_dict()))).latency is None


def test_an_older_or_damaged_result_is_refused_in_one_line_saying_to_run_it_again(tmp_path):
    old = {"row": "yolov3", "map50": 0.5, "epochs": 10}  # the flat dict of the studies before the typed result
    with pytest.raises(ResultFormatError, match=r"old\.json: a result of schema 1, not 3 .* run its row again"):
        RunResult.from_dict(old, "old.json")
    broken = a_result().to_dict()
    del broken["metrics"]["map50"]
    with pytest.raises(ResultFormatError, match="b.json: not a complete study result"):
        RunResult.from_dict(broken, "b.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ResultFormatError, match="bad.json: cannot read a result"):
        read_result(tmp_path / "bad.json")
    assert a_result().to_dict()["schema"] == SCHEMA
