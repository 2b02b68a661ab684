import os
from dataclasses import replace

import pytest

from lib.hashing import data_identity, stable_hash
from lib.paper import paper_table
from lib.paths import run_dir
from lib.profiles import profile_params
from lib.study import grid, rows
from lib.study.grid import study_runs
from lib.study.plan import SEEDED, Plan
from lib.study.rows import rows_of
from tests.data.formats import voc_object, write_image, write_split, write_voc_item


def labels(run):
    return run.title.split(":")[0]


BEYOND = ["YOLOv3, Channels, 11% MACs", "YOLOv3, Channels, 3.5% MACs", "YOLOv3, During training, weights 90%",
          "YOLOv3, During training, filters 90%",  # the faster-pruning rows, on both datasets
          "YOLOv3, int8, post-training", "YOLOv3, LTH Local + int8",
          "YOLOv3, Tucker-2, ranks 1/4, fine-tuned",  # quantization and low-rank, on both datasets
          "YOLOv3, LTH Local, random pruning"]  # the tickets' control


def test_every_dataset_holds_the_papers_fourteen_rows_and_the_study_s_own():
    runs = study_runs("cpu", seeds=1, all_rows=True)
    for dataset, paper, extra in (("builtin", "voc", ["YOLOv3-Mobile, Default, authors' init",
                                                          "YOLO Nano (leaky), KD GAN, detection x0.05"]),
                                  ("builtin-dark", "exdark", [])):
        mine = [labels(r) for r in runs if r.parameters.get("dataset") == dataset]
        expected = [f"{r['model']}, {r['training']}" for r in paper_table(paper)]
        named = ["YOLO Nano (leaky), Default", "YOLOv3-Mobile (leaky), Default", *extra, *BEYOND]
        # the rows named here, and besides the paper's only rows the table marks as the study's own
        added = [f"{r.model}, {r.training}" for r in rows_of(dataset) if not r.in_paper]
        assert set(named) <= set(added) and sorted(mine) == sorted(expected + added)
        assert extra or not {"YOLOv3-Mobile, Default, authors' init", "YOLO Nano (leaky), KD GAN, detection x0.05"} & set(mine)
    assert [r.chapter for r in runs][0] == "00_architectures" and runs[-1].chapter == "06_results"
    assert len(runs[-1].depends) == len(runs) - 1  # the results read every run


def test_the_cpu_plan_seeds_the_compared_rows_and_keeps_the_dark_set_to_the_references_and_the_ticket_s_controls():
    runs = study_runs("cpu")
    by: dict[tuple, set] = {}
    for r in runs:
        if "row" in r.parameters:
            by.setdefault((r.parameters["dataset"], r.parameters["seed"]), set()).add(r.parameters["row"])
    assert by[("builtin", 1)] == by[("builtin", 2)] == set(SEEDED) and ("builtin-dark", 1) not in by
    # every row on the light set but each student's second choice of hint layers
    assert {r.id for r in rows_of("builtin")} - by[("builtin", 0)] == {"nano-kd-36-61", "mobile-kd-36-91"}
    # the dark set: the references, LTH Local and its controls
    assert by[("builtin-dark", 0)] == {"yolov3", "yolov3-equal-budget", "yolov3-lth-local", "yolov3-lth-local-reinit",
                                       "yolov3-random-prune"}
    everything = study_runs("cpu", all_rows=True)
    for dataset in ("builtin", "builtin-dark"):
        assert {r.parameters.get("row") for r in everything if r.parameters.get("dataset") == dataset} == \
            {r.id for r in rows_of(dataset)}
    keys = {r.name: r.key for r in everything}
    assert all(keys[r.name] == r.key for r in runs if r.chapter != "06_results")  # a plan never changes a run's key
    assert len(study_runs("cpu", seeds=1, seed_rows=())) == len(study_runs("cpu")) - 2 * len(SEEDED)


def test_a_plan_names_its_rows_by_id():
    with pytest.raises(ValueError, match=r"plan: unknown rows \['nano-kd-80'\]"):
        Plan(left_out=("nano-kd-80",))
    with pytest.raises(ValueError, match=r"plan: unknown rows \['lth-local'\]"):
        Plan(elsewhere=("lth-local",))


def test_lth_starts_from_the_dense_run_and_students_read_teacher_and_plain_student():
    runs = {r.parameters["row"]: r for r in study_runs("cpu", all_rows=True) if r.parameters.get("dataset") == "builtin"
            and r.parameters["seed"] == 0}
    dense = runs["yolov3"]
    assert runs["yolov3-lth-global"].depends == (dense,) and runs["yolov3-cs-3"].depends == ()
    assert runs["mobile-kd-gan"].depends == (dense, runs["mobile-leaky"])
    assert labels(runs["nano-kd-36-61"]) == "YOLO Nano (leaky), KD fts 36, 61"
    assert set(runs["nano-kd-36-61"].parameters) == {"profile", "dataset", "data_root", "seed", "row"}


def test_a_rows_seeds_and_datasets_are_one_kind_for_the_runners_order():
    kinds = {}
    for r in study_runs("cpu"):
        kinds.setdefault(r.parameters.get("row"), set()).add(r.kind)
    assert kinds["yolov3"] == {"yolov3"} and kinds["yolov3-lth-local"] == {"yolov3-lth-local"}
    assert kinds[None] == {""}  # the architectures and results chapters: their chapter's kind


def test_seeds_datasets_and_only_select_runs(tmp_path):
    two = study_runs("smoke", {"builtin": None}, seeds=2)
    assert sorted({r.parameters.get("seed") for r in two[1:-1]}) == [0, 1] and len(two) == 2 + 2 * len(rows_of("builtin"))
    some = study_runs("smoke", seeds=3, seed_rows=("nano-kd-79@builtin", "yolov3-tiny"))
    by_seed = {seed: sorted((r.parameters["dataset"], r.parameters["row"]) for r in some[1:-1]
                            if r.parameters["seed"] == seed) for seed in (0, 1, 2)}
    assert len(by_seed[0]) == len(rows_of("builtin")) + len(rows_of("builtin-dark")) and by_seed[1] == by_seed[2] == [
        ("builtin", "nano-kd-79"), ("builtin", "nano-leaky"), ("builtin", "yolov3"), ("builtin", "yolov3-tiny"),
        ("builtin-dark", "yolov3-tiny")]  # the row, what it reads, and a row on every dataset
    with pytest.raises(ValueError, match="seed rows: unknown row 'nano-kd-80'"):
        study_runs("smoke", seeds=3, seed_rows=("nano-kd-80",))
    with pytest.raises(ValueError, match="names dataset 'voc', not one of"):
        study_runs("smoke", seeds=3, seed_rows=("yolov3@voc",))
    exdark = study_runs("paper", {"exdark": str(tmp_path)})
    assert any(labels(r) == "YOLO Nano (leaky), KD fts 61, 91" for r in exdark)
    assert all(r.parameters["data_root"] == str(tmp_path) for r in exdark[1:-1])
    assert {r.chapter for r in study_runs("smoke", only=("02_lth",))} == {"02_lth"}
    with pytest.raises(ValueError, match="only: unknown chapters"):
        study_runs("smoke", only=("07_nothing",))
    with pytest.raises(ValueError, match="dataset: unknown"):
        study_runs("smoke", {"coco": None})


def test_an_edited_row_changes_its_key_and_its_dependants_only(monkeypatch):
    """The notebook reads a row's settings from the table, so the key must cover them."""
    before = {r.title: r.key for r in study_runs("smoke")}
    edited = tuple(replace(r, settings={"hints": [36, 91]}) if r.id == "nano-kd-79" else r for r in rows.ROWS)
    monkeypatch.setattr(grid, "ROW", {r.id: r for r in edited})
    monkeypatch.setattr(grid, "rows_of", lambda dataset: [r for r in edited if rows.PAPER_DATASET[dataset] in r.datasets])
    after = {r.title: r.key for r in study_runs("smoke")}
    changed = {t for t in before if before[t] != after[t]}
    assert changed == {"YOLO Nano (leaky), KD fts 79: builtin, seed 0", "YOLO Nano (leaky), KD fts 79: builtin-dark, seed 0",
                       "Results"}


def test_an_edited_profile_changes_the_key_of_every_run_it_trains(monkeypatch):
    """After a pull that changes a profile's definition, the study must re-run its
    training chapters instead of skipping them on stale results."""
    from lib import profiles

    before = {r.title: r.key for r in study_runs("cpu")}
    cpu = profiles.PROFILES["cpu"]
    for edited in (replace(cpu, overrides={**cpu.overrides, "train.epochs": 11}), replace(cpu, rewind_epoch=2)):
        monkeypatch.setitem(profiles.PROFILES, "cpu", edited)
        after = {r.title: r.key for r in study_runs("cpu")}
        changed = {title for title in before if before[title] != after[title]}
        assert changed == set(before) - {"The detectors at the paper's scale"}


def test_dataset_roots_are_checked_before_any_run_is_planned(tmp_path):
    with pytest.raises(ValueError, match="dataset voc: data root /nonexistent is not a folder"):
        study_runs("cpu", {"voc": "/nonexistent"})
    with pytest.raises(ValueError, match=r"dataset exdark: needs its data root: --dataset exdark=PATH"):
        study_runs("cpu", {"exdark": None})
    with pytest.raises(ValueError, match="dataset builtin: generated, it takes no data root"):
        study_runs("cpu", {"builtin": str(tmp_path)})
    assert study_runs("cpu", {"voc": str(tmp_path)})


def test_a_runs_key_and_training_folder_follow_the_content_of_a_dataset_read_from_a_folder(tmp_path):
    """Editing a dataset re-runs what read it: an annotation's or a list's bytes, or an
    image's size, change the keys; a copy with other modification times keeps them."""
    voc = tmp_path / "VOCdevkit" / "VOC2012"
    for stem in ("a", "b"):
        write_voc_item(voc, stem, [voc_object("cat", (1, 1, 30, 30))])
    write_split(voc, "train", ["a", "b"])
    params = profile_params("paper", **{"data.dataset": "voc", "data.data_root": str(tmp_path)})

    def keys():
        runs = study_runs("paper", {"voc": str(tmp_path)}, only=("01_baseline",))
        return [r.key for r in runs], run_dir(None, params)

    before = keys()
    os.utime(voc / "Annotations" / "a.xml", (1, 1))  # touched, or copied elsewhere: the same data
    assert keys() == before
    edits = [lambda: write_split(voc, "train", ["a"]),
             lambda: write_voc_item(voc, "a", [voc_object("dog", (1, 1, 30, 30))], image=False),
             lambda: write_image(voc / "JPEGImages" / "b.jpg", 80, 48)]
    for edit in edits:
        edit()
        after = keys()
        assert all(a != b for a, b in zip(after[0], before[0])) and after[1] != before[1]
        before = after


def test_generated_datasets_keep_their_keys():
    """The built-in sets are named by their parameters: their runs' keys have no data part."""
    assert data_identity(None) == {}
    params = profile_params("smoke")
    assert run_dir(None, params).name.endswith(stable_hash({"run": params.to_dict(), "method": "train", "settings": {}}))
