import pytest

from lib.paper import paper_table
from lib.study.grid import study_runs


def labels(run):
    return run.title.split(":")[0]


def test_every_dataset_holds_the_papers_fourteen_rows_and_the_plain_students():
    runs = study_runs("cpu")
    for dataset, paper in (("builtin", "voc"), ("builtin-dark", "exdark")):
        mine = [labels(r) for r in runs if r.parameters.get("dataset") == dataset]
        expected = [f"{r['model']}, {r['training']}" for r in paper_table(paper)]
        assert sorted(mine) == sorted(expected + ["YOLO Nano (leaky), Default", "YOLOv3-Mobile (leaky), Default"])
    assert [r.chapter for r in runs][0] == "00_architectures" and runs[-1].chapter == "06_results"
    assert len(runs[-1].depends) == len(runs) - 1  # the results read every run


def test_lth_starts_from_the_dense_run_and_students_read_teacher_and_plain_student():
    runs = {labels(r): r for r in study_runs("cpu") if r.parameters.get("dataset") == "builtin"}
    dense = runs["YOLOv3, Default"]
    assert dense.parameters["rewind_epoch"] == runs["YOLOv3, LTH Local"].parameters["rewind_epoch"]
    assert runs["YOLOv3, LTH Global"].depends == (dense,) and runs["YOLOv3, CS 3 It"].depends == ()
    gan = runs["YOLOv3-Mobile (leaky), KD GAN"]
    assert gan.depends == (dense, runs["YOLOv3-Mobile (leaky), Default"])
    assert runs["YOLO Nano (leaky), KD fts 36, 61"].parameters["hints"] == [36, 61]


def test_seeds_datasets_and_only_select_runs():
    two = study_runs("smoke", {"builtin": None}, seeds=2)
    assert sorted({r.parameters.get("seed") for r in two[1:-1]}) == [0, 1] and len(two) == 2 + 2 * 16
    exdark = study_runs("paper", {"exdark": "/data/ExDark"})
    assert any(labels(r) == "YOLO Nano (leaky), KD fts 61, 91" for r in exdark)
    assert all(r.parameters["data_root"] == "/data/ExDark" for r in exdark[1:-1])
    assert {r.chapter for r in study_runs("smoke", only=("02_lth",))} == {"02_lth"}
    with pytest.raises(ValueError, match="only: unknown chapters"):
        study_runs("smoke", only=("07_nothing",))
    with pytest.raises(ValueError, match="dataset: unknown"):
        study_runs("smoke", {"coco": None})


def test_a_changed_profile_setting_changes_the_keys_of_dependants_only():
    base = {r.title: r.key for r in study_runs("smoke")}
    import lib.study.grid as grid
    grid.STUDY_SETTINGS["smoke"] = {**grid.STUDY_SETTINGS["smoke"], "rewind_epoch": 1}
    try:
        changed = {r.title: r.key for r in study_runs("smoke")}
    finally:
        grid.STUDY_SETTINGS["smoke"] = {**grid.STUDY_SETTINGS["smoke"], "rewind_epoch": 0}
    moved = {t for t in base if base[t] != changed[t]}
    assert "YOLOv3, Default: builtin, seed 0" in moved and "YOLOv3-Tiny, Default: builtin, seed 0" not in moved
    assert "YOLO Nano (leaky), KD GAN: builtin, seed 0" in moved  # its teacher changed
    assert "The detectors at the paper's scale" not in moved and "Results" in moved


def test_an_edited_profile_changes_the_key_of_every_run_it_trains(monkeypatch):
    """After a pull that changes a profile's definition, the study must re-run its
    training chapters instead of skipping them on stale results."""
    from lib import profiles

    before = {r.title: r.key for r in study_runs("cpu")}
    monkeypatch.setitem(profiles.PROFILES, "cpu", {**profiles.PROFILES["cpu"], "train.epochs": 11})
    after = {r.title: r.key for r in study_runs("cpu")}
    changed = {title for title in before if before[title] != after[title]}
    assert changed == set(before) - {"The detectors at the paper's scale"}
