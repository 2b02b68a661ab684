from pathlib import Path

import pytest

from lib.distill import GANParams, KDParams
from lib.params import ParamError
from lib.paths import METRICS
from lib.prune.cs import CSParams
from lib.prune.lth import LTHParams
from lib.result import read_result
from lib.study import chapter


def smoke(row="yolov3"):
    return chapter.run_params(row, "smoke", "builtin", None, 0, epochs=2)


def test_chapter_parameters_are_validated_by_name_before_any_work():
    with pytest.raises(ValueError, match="row: unknown row 'yolov4'"):
        chapter.run_params("yolov4", "smoke", "builtin", None, 0)
    with pytest.raises(ParamError, match="train.epochs"):
        chapter.run_params("yolov3", "smoke", "builtin", None, 0, epochs=0)
    with pytest.raises(ParamError, match="data.data_root: required"):
        chapter.run_params("yolov3", "smoke", "voc", None, 0)
    with pytest.raises(ValueError, match="unknown \\['batch'\\]"):
        chapter.run_params("yolov3", "smoke", "builtin", None, 0, batch=3)
    with pytest.raises(ParamError, match="profile: unknown profile 'laptop'"):
        chapter.run_params("yolov3", "laptop", "builtin", None, 0)
    assert smoke().train.epochs == 2 and smoke().model.width == 0.125  # None keeps the profile's
    assert chapter.run_params("yolov3", "smoke", "builtin", None, 0, {"train.lr0": 0.005}).train.lr0 == 0.005
    with pytest.raises(ParamError, match="data.yr: not a parameter"):
        chapter.run_params("yolov3", "smoke", "builtin", None, 0, {"data.yr": 2007})
    student = smoke("mobile-kd-91").model
    assert (student.name, student.activation) == ("yolov3-mobile", "leaky")  # the row's model
    assert smoke("yolov3-mobile").model.zero_init_residual  # the profile's ...
    assert not smoke("yolov3-mobile-authors-init").model.zero_init_residual  # ... unless the row fixes it
    with pytest.raises(ValueError, match="hints: expected a list such as.*-y 'hints"):
        chapter.method_params(KDParams, "nano-kd-79", "smoke", hints="[36, 61]")
    with pytest.raises(ValueError, match=r"LTHParams: unknown settings \['hints'\]"):
        chapter.method_params(LTHParams, "nano-kd-79", "smoke")


def test_method_settings_come_from_the_row_and_the_profile_unless_given():
    assert chapter.method_params(KDParams, "nano-kd-36-61", "cpu").hints == (36, 61)
    assert chapter.method_params(KDParams, "nano-kd-36-61", "cpu", hints=[91], mu=None).hints == (91,)
    local = chapter.method_params(LTHParams, "yolov3-lth-local", "paper")
    glob = chapter.method_params(LTHParams, "yolov3-lth-global", "cpu", rewind_epoch=3)
    assert (local.scope, local.rewind_epoch, glob.scope, glob.rewind_epoch) == ("layer", 10, "global", 3)
    cs = chapter.method_params(CSParams, "yolov3-cs-3", "paper")
    assert (cs.rounds, cs.round_epochs, cs.rewind_epoch) == (3, None, 10)  # round epochs: the method's (E // rounds)
    assert chapter.method_params(GANParams, "nano-kd-gan", "cpu", swap=0.1, lr=None).swap == 0.1
    # the profile's setting for the method, under the row's and the given ones
    weight = lambda row, profile, **given: chapter.method_params(GANParams, row, profile, **given).detection_weight  # noqa: E731
    assert (weight("nano-kd-gan", "paper"), weight("nano-kd-gan", "cpu")) == (0.05, 1.0)
    assert (weight("nano-kd-gan-paper-weight", "cpu"), weight("nano-kd-gan", "cpu", detection_weight=0.5)) == (0.05, 0.5)


def test_a_ticket_reuses_the_dense_run_and_records_its_footprint(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDY_CACHE", str(tmp_path / "cache"))
    runs = str(tmp_path / "runs")
    dense, _ = chapter.run_row("yolov3", "smoke", "builtin", None, 0, [], runs, settings={"rewind_epoch": 1}, epochs=2)
    stamp = (tmp_path / "runs" / dense.run_dir.split("/")[-1] / METRICS).stat().st_mtime_ns
    assert (dense.row, dense.model, dense.training, dense.layers) == ("yolov3", "YOLOv3", "Default", ())
    chapter.save_result(str(tmp_path / "dense.json"), dense)
    ticket, given = chapter.run_row("yolov3-lth-global", "smoke", "builtin", None, 0, [str(tmp_path / "dense.json")],
                                    runs, settings={"rewind_epoch": 1, "target_sparsity": 0.5}, epochs=2)
    assert given == {"dense": dense}
    assert ticket.training == "LTH Global" and ticket.epochs == 2 and ticket.settings["scope"] == "global"
    alive, total = sum(r["alive"] for r in ticket.layers), sum(r["total"] for r in ticket.layers)
    assert alive == round(0.5 * total)
    assert dense.footprint.params - ticket.footprint.params == total - alive  # only the removed weights leave the count
    assert ticket.footprint.storage_mib < dense.footprint.storage_mib and ticket.footprint.macs < dense.footprint.macs
    assert (ticket.budget.epochs, ticket.budget.images) == (dense.budget.epochs, dense.budget.images)
    assert dense.budget.images == 2 * smoke().data.builtin_train
    assert ticket.budget.total_images == 2 * dense.budget.total_images  # the dense run, then its own
    assert (tmp_path / "runs" / dense.run_dir.split("/")[-1] / METRICS).stat().st_mtime_ns == stamp
    chapter.save_result(str(tmp_path / "ticket.json"), ticket)
    assert read_result(tmp_path / "ticket.json") == ticket
    assert chapter.read_inputs("yolov3-lth-local", [str(tmp_path / "dense.json")])["dense"].run_dir == dense.run_dir
    assert chapter.read_inputs("yolov3-lth-local", []) == {"dense": None}
    with pytest.raises(ValueError, match="is a result of row 'yolov3-lth-global'; row yolov3-lth-local reads"):
        chapter.read_inputs("yolov3-lth-local", [str(tmp_path / "ticket.json")])
    with pytest.raises(ValueError, match=r"inputs: row nano-kd-79 needs the results of \['yolov3'\] \(its \['teacher'\]\)"):
        chapter.read_inputs("nano-kd-79", [])
    with pytest.raises(ValueError, match="inputs: two results of row 'yolov3' given"):
        chapter.read_inputs("nano-kd-79", [str(tmp_path / "dense.json")] * 2)
    with pytest.raises(ValueError, match="is a result of row 'yolov3-lth-global'; row nano-kd-79 reads"):
        chapter.read_inputs("nano-kd-79", [str(tmp_path / "dense.json"), str(tmp_path / "ticket.json")])


@pytest.mark.parametrize("template,args,message", [
    ("01_baseline", ["-p", "epoch", "3"], "ParamError: unknown parameter 'epoch'; this chapter takes ["),
    ("00_architectures", ["-p", "img_size", "abc"], "ParamError: img_size: expected int like its default 416, got 'abc'"),
    ("01_baseline", ["-p", "profile", "smoke", "-p", "epochs", "three"],
     "ParamError: train.epochs: expected a positive integer, got 'three'"),
])
def test_a_bad_parameter_stops_a_chapter_before_any_work_in_one_line(tmp_path, template, args, message, capsys):
    from lib.study.run_chapter import main

    notebooks = Path(__file__).resolve().parents[2] / "notebooks"
    code = main([str(notebooks / f"{template}.ipynb"), str(tmp_path / "out.ipynb"), *args,
                 "-p", "result_path", str(tmp_path / "r.json")])
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("ParamError")]
    assert code == 2 and len(lines) == 1 and lines[0].startswith(message)
    assert not (tmp_path / "r.json").exists()


def test_parameters_injected_by_papermill_are_checked_against_the_template():
    history = ["", 'img_size = 416\nrow = "yolov3"\nwidth = None\nrate = 0.5', "# Parameters\nwidth = 0.5\nrate = 1\n"]
    chapter.check_parameters({"In": history})  # None defaults take anything; an int may stand for a float
    chapter.check_parameters({"In": history[:2]})  # nothing injected
    with pytest.raises(ParamError, match=r"unknown parameter 'rows'; this chapter takes \['img_size', 'rate'"):
        chapter.check_parameters({"In": [*history[:2], "# Parameters\nrows = 'x'\n"]})
    with pytest.raises(ParamError, match="row: expected str like its default 'yolov3', got 3"):
        chapter.check_parameters({"In": [*history[:2], "# Parameters\nrow = 3\n"]})
    # papermill writes inf as float('inf'), not a literal: a typo'd name must still be caught, and inf refused
    with pytest.raises(ParamError, match=r"unknown parameter 'rat'"):
        chapter.check_parameters({"In": [*history[:2], "# Parameters\nrat = float('inf')\n"]})
    with pytest.raises(ParamError, match=r"rate: expected a literal value .*, got float\('inf'\)"):
        chapter.check_parameters({"In": [*history[:2], "# Parameters\nrate = float('inf')\n"]})
    with pytest.raises(ParamError, match=r"rate: expected a literal value"):
        chapter.check_parameters({"In": [*history[:2], "# Parameters\nrate = 1e999\n"]})
