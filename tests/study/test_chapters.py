import json

import pytest

from lib.params import ParamError
from lib.prune.lth import LTHParams
from lib.study import chapters
from lib.study.record import chapter_params, model_label


def smoke(model="yolov3", activation=None):
    return chapter_params("smoke", "builtin", None, model, activation, 0, epochs=2)


def test_chapter_parameters_are_validated_by_name_before_any_work():
    with pytest.raises(ParamError, match="model.name: unknown model 'yolov4'"):
        chapter_params("smoke", "builtin", None, "yolov4", None, 0)
    with pytest.raises(ParamError, match="train.epochs"):
        chapter_params("smoke", "builtin", None, "yolov3", None, 0, epochs=0)
    with pytest.raises(ParamError, match="data.data_root: required"):
        chapter_params("smoke", "voc", None, "yolov3", None, 0)
    with pytest.raises(ValueError, match="unknown \\['batch'\\]"):
        chapter_params("smoke", "builtin", None, "yolov3", None, 0, batch=3)
    assert smoke().train.epochs == 2 and smoke().model.width == 0.125  # None keeps the profile's
    assert model_label("yolov3-mobile", "leaky") == "YOLOv3-Mobile (leaky)"
    assert chapters.hint_layers([36, 61]) == (36, 61)
    with pytest.raises(ValueError, match="hints: expected a list of teacher layer indices.*-y 'hints"):
        chapters.hint_layers("[36, 61]")
    assert chapters.rewind_point("paper", None) == 10 and chapters.rewind_point("cpu", 3) == 3
    assert chapters.search_epochs(chapter_params("paper", "builtin", None, "yolov3", None, 0), 3) == 100


def test_a_ticket_reuses_the_dense_run_and_records_its_footprint(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDY_CACHE", str(tmp_path / "cache"))
    dense = chapters.baseline(smoke(), str(tmp_path / "runs"), rewind_epoch=1)
    stamp = (tmp_path / "runs" / dense["run_dir"].split("/")[-1] / "metrics.json").stat().st_mtime_ns
    assert (dense["model"], dense["training"], dense["layers"]) == ("YOLOv3", "Default", [])
    ticket = chapters.lottery_ticket(smoke(), LTHParams(0.5, scope="global", rewind_epoch=1), str(tmp_path / "runs"),
                                     dense)
    assert ticket["training"] == "LTH Global" and ticket["epochs"] == 2
    alive, total = sum(r["alive"] for r in ticket["layers"]), sum(r["total"] for r in ticket["layers"])
    assert alive == round(0.5 * total)
    assert dense["params"] - ticket["params"] == total - alive  # only the removed weights leave the count
    assert ticket["storage_mb"] < dense["storage_mb"] and ticket["macs"] < dense["macs"]
    assert (tmp_path / "runs" / dense["run_dir"].split("/")[-1] / "metrics.json").stat().st_mtime_ns == stamp
    (tmp_path / "dense.json").write_text(json.dumps(dense))
    (tmp_path / "ticket.json").write_text(json.dumps(ticket))
    assert chapters.dense_input([str(tmp_path / "dense.json")], "LTH")["run_dir"] == dense["run_dir"]
    with pytest.raises(ValueError, match="is a YOLOv3 LTH Global run, not the dense YOLOv3"):
        chapters.dense_input([str(tmp_path / "ticket.json")], "LTH")
    with pytest.raises(ValueError, match="inputs: distillation needs"):
        chapters.dense_input([], "distillation")
    with pytest.raises(ValueError, match="not YOLO Nano \\(leaky\\) trained without distillation"):
        chapters.plain_input([str(tmp_path / "dense.json"), str(tmp_path / "dense.json")],
                             {"model": "YOLO Nano (leaky)"})
