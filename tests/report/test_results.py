import json
from dataclasses import replace

import numpy as np
import pytest

from lib.paper import paper_table
from lib.report.convergence import near_zero_rows
from lib.report.results import (coco_table, controls_table, dense_maps, distillation_against_seeds, load_results,
                                pareto_front, relative_table, runs_frame, summary_table)
from lib.result import Budget, Footprint, Latency, Metrics, ResultFormatError, RunResult
from lib.study.rows import ORDER, ROW, ROWS


def result(row, seed, map50, params, macs=1000, mb=1.0, dataset="builtin", **changes) -> RunResult:
    """A run of ``row`` with the given test mAP@0.5 and footprint (the rest a short run's),
    then ``changes`` to any of its fields (history, layers, extras, ...)."""
    sparse = "lth" in row
    made = RunResult(
        row=row, method=ROW[row].method, dataset=dataset, model=ROW[row].model, training=ROW[row].training,
        seed=seed, run_dir=f"runs/{row}-{dataset}-{seed}", img_size=128, width=0.25,
        metrics=Metrics(map50=map50, map=map50 / 2, map_coco=map50 / 2, ap_small=0.1, ap_medium=0.2, ap_large=0.3,
                        val_map50=map50),
        footprint=Footprint(params=params, macs=macs, storage_mib=mb, storage_encoding="sparse" if sparse else "dense",
                            deflated_mib=None if sparse else 0.8 * mb),
        budget=Budget(epochs=3, images=300, total_epochs=3, total_images=300), ledger={}, train_img_per_s=10.0, history=(), run_params={}, layers=())
    return replace(made, **changes)


def scored(r: RunResult, map50: float, **changes) -> RunResult:
    """``r`` with another test mAP@0.5 (and ``changes`` to its other fields)."""
    return replace(r, metrics=replace(r.metrics, map50=map50), **changes)


def curve(*map50s: float) -> tuple[dict, ...]:
    """A history of validation mAP@0.5 values, one per epoch."""
    return tuple({"epoch": e, "map50": m} for e, m in enumerate(map50s, 1))


RESULTS = [result("yolov3", s, m, 1000, 4000, 4.0) for s, m in ((0, 0.5), (1, 0.7))] + \
          [result("yolov3-lth-local", s, m, 100, 400, 0.5) for s, m in ((0, 0.4), (1, 0.5))] + \
          [result("yolov3-tiny", 0, 0.3, 500, 1000, 2.0),
           result("nano-leaky", 0, 0.2, 50, 300, 0.2)]


def test_pareto_front_keeps_exactly_the_undominated_points():
    cost = np.array([1, 2, 3, 4, 2])
    score = np.array([0.1, 0.5, 0.4, 0.9, 0.5])
    assert pareto_front(cost, score).tolist() == [True, True, False, True, True]  # ties dominate neither


def test_rows_follow_the_papers_order_with_extra_rows_last():
    runs = runs_frame(list(reversed(RESULTS)))
    assert runs["model"].tolist()[:3] == ["YOLOv3-Tiny", "YOLOv3", "YOLOv3"] and runs["seed"].tolist()[1:3] == [0, 1]
    assert runs["in_paper"].tolist() == [True] * 5 + [False]
    dark = runs_frame([result("nano-kd-61-91", 0, 0.3, 1, dataset="builtin-dark"),
                       replace(RESULTS[0], row="gone", dataset="builtin-dark")])
    assert dark["order"].tolist() == [ORDER["nano-kd-61-91"], len(ROWS)] and dark["in_paper"].tolist() == [True, False]


def test_summary_gives_mean_and_sample_std_over_seeds():
    table = summary_table(runs_frame(RESULTS), "builtin")
    dense = table[(table.model == "YOLOv3") & (table.training == "Default")].iloc[0]
    assert dense["mAP@0.5"] == f"0.600 ± {np.std([0.5, 0.7], ddof=1):.3f}" and dense["seeds"] == 2
    assert table.iloc[0]["mAP@0.5"] == "0.300" and table.iloc[0]["seeds"] == 1  # no spread from one seed
    assert list(coco_table(runs_frame(RESULTS), "builtin")["AP small"]) == pytest.approx([0.1] * 4)


def test_percentages_of_dense_yolov3_sit_beside_the_papers():
    table = relative_table(runs_frame(RESULTS), "builtin").set_index(["model", "training"])
    lth = table.loc[("YOLOv3", "LTH Local")]
    assert lth["mAP@0.5 %"] == pytest.approx(100 * 0.45 / 0.6) and lth["params %"] == pytest.approx(10)
    paper = {(r["model"], r["training"]): r for r in paper_table("voc")}
    assert lth["paper mAP@0.5 %"] == pytest.approx(100 * 0.549 / 0.547)
    assert lth["paper params %"] == pytest.approx(100 * paper[("YOLOv3", "LTH Local")]["params_mean"] / 61626049)
    assert np.isnan(table.loc[("YOLO Nano (leaky)", "Default")]["paper MiB %"])  # not a row of the paper
    # storage like with like: the dense file deflated as the sparse files are, on its own line
    deflated = table.loc[("YOLOv3", "Default, file deflated")]
    assert deflated["MiB %"] == pytest.approx(80) and np.isnan(deflated["params %"])
    assert lth["file"] == "sparse" and deflated["file"] == "deflated"  # ENCODINGS' keys: encodings_table explains them
    assert dense_maps(runs_frame(RESULTS)) == {"table1": "0.600", "table2": "n/a"}
    # a reference that found nothing (a smoke build's) gives no percentage, and no error
    blank = [scored(r, 0.0) if r.row == "yolov3" else r for r in RESULTS]
    nothing = relative_table(runs_frame(blank), "builtin").set_index(["model", "training"])
    assert np.isnan(nothing.loc[("YOLOv3", "LTH Local")]["mAP@0.5 %"])


def test_rows_near_zero_are_listed_with_the_reason_their_curve_gives():
    rising = scored(RESULTS[0], 0.02, history=curve(0.0, 0.01, 0.01, 0.02, 0.03))
    peaked = scored(RESULTS[2], 0.01, history=curve(0.0, 0.05, 0.01, 0.01, 0.01))
    fine = replace(RESULTS[1], history=curve(0.7))
    table = near_zero_rows([rising, peaked, fine], threshold=0.1)
    assert table["training"].tolist() == ["Default", "LTH Local"]
    assert table["reason"][0].startswith("still improving when training stopped (best validation epoch 5 of 5)")
    assert table["reason"][1] == "validation mAP peaked at epoch 2 of 5 and did not recover"


def test_a_distillation_effect_is_weighed_against_the_seed_to_seed_spread():
    plain = [result("nano-leaky", s, m, 50) for s, m in ((0, 0.40), (1, 0.44), (2, 0.42))]
    kd = [result("nano-kd-79", s, m, 50) for s, m in ((0, 0.50), (1, 0.52), (2, 0.54))]
    gan = [result("nano-kd-gan", s, m, 50) for s, m in ((0, 0.30), (1, 0.50), (2, 0.46))]
    alone = [result("mobile-kd-91", 0, 0.3, 60)]  # one seed: no spread to weigh against
    table = distillation_against_seeds(runs_frame(plain + kd + gan + alone), "builtin")
    assert table["training"].tolist() == ["KD fts 79", "KD GAN"]
    assert table["difference"].tolist() == pytest.approx([0.1, 0.0], abs=1e-9)
    assert table["finding"].tolist() == [True, False] and table["p"].iloc[0] < 0.05 < table["p"].iloc[1]
    assert table["plain student (n)"].iloc[0] == "0.420 ± 0.020 (3)"


def test_latencies_join_their_runs_and_enter_the_summary_and_the_relative_table():
    assert "latency_ms" not in runs_frame(RESULTS)  # not timed: no column
    timed = [r.with_latency(Latency(ms=r.footprint.macs / 100, ms_416=r.footprint.macs / 10)) for r in RESULTS]
    runs = runs_frame(timed)
    assert (runs["latency_ms"] == runs["macs"] / 100).all() and (runs["latency_416_ms"] == runs["macs"] / 10).all()
    summary = summary_table(runs, "builtin").set_index("training")
    assert summary.loc["LTH Local", "latency ms"] == 4.0 and summary.loc["LTH Local", "latency ms at 416"] == 40.0
    relative = relative_table(runs, "builtin").set_index("training")
    assert relative.loc["LTH Local", "latency %"] == pytest.approx(10.0)
    assert "paper latency %" not in relative  # the paper measured none


def test_the_runs_results_are_read_typed_and_the_other_jsons_left_out(tmp_path):
    run, architectures = tmp_path / "run.json", tmp_path / "architectures.json"
    run.write_text(json.dumps(replace(RESULTS[2], layers=({"name": "conv", "sparsity": 0.5},)).to_dict()))
    architectures.write_text(json.dumps({"rows": []}))
    [loaded] = load_results([str(architectures), str(run)])
    assert loaded == replace(RESULTS[2], layers=({"name": "conv", "sparsity": 0.5},))
    assert runs_frame([loaded]).iloc[0]["map50"] == 0.4  # YOLOv3, LTH Local, seed 0
    old = tmp_path / "old.json"  # a flat result of the studies before the typed one
    old.write_text(json.dumps({"row": "yolov3", "training": "Default", "map50": 0.5}))
    with pytest.raises(ResultFormatError, match="old.json: a result of schema 1"):
        load_results([str(run), str(old)])


def test_a_row_is_measured_against_the_dense_model_of_its_own_budget():
    twice = Budget(epochs=3, images=300, total_epochs=6, total_images=600)  # a ticket: the dense run, then its own
    dense, tiny = result("yolov3", 0, 0.6, 1000), result("yolov3-tiny", 0, 0.5, 500)
    equal = result("yolov3-equal-budget", 0, 0.8, 1000, budget=Budget(6, 600, 6, 600))
    lth = result("yolov3-lth-local", 0, 0.7, 100, budget=twice)
    table = relative_table(runs_frame([dense, equal, lth, tiny]), "builtin").set_index(["model", "training"])
    ticket = table.loc[("YOLOv3", "LTH Local")]
    assert ticket["mAP@0.5 %"] == pytest.approx(100 * 0.7 / 0.8) and ticket["budget ×"] == pytest.approx(2)
    assert ticket["vs"] == "Default, equal budget" and ticket["params %"] == pytest.approx(10)
    small = table.loc[("YOLOv3-Tiny", "Default")]
    assert small["mAP@0.5 %"] == pytest.approx(100 * 0.5 / 0.6) and small["vs"] == "Default"
    # without the equal-budget run, the longest reference there is, its budget shown beside
    alone = relative_table(runs_frame([dense, lth]), "builtin").set_index(["model", "training"]).loc[("YOLOv3", "LTH Local")]
    assert alone["vs"] == "Default" and alone["mAP@0.5 %"] == pytest.approx(100 * 0.7 / 0.6) and alone["budget ×"] == 2


def test_each_control_stands_beside_the_row_it_tests_with_the_books_verdict():
    ticket = [result("yolov3-lth-local", s, m, 100) for s, m in ((0, 0.70), (1, 0.71), (2, 0.72))]
    random = [result("yolov3-random-prune", s, m, 100) for s, m in ((0, 0.50), (1, 0.52), (2, 0.51))]
    reinit = [result("yolov3-lth-local-reinit", s, m, 100) for s, m in ((0, 0.50), (1, 0.90), (2, 0.70))]
    scratch = [result("yolov3-channels-11-scratch", 0, 0.4, 100)]  # its row did not run: nothing to weigh
    table = controls_table(runs_frame([result("yolov3", 0, 0.6, 1000), *ticket, *random, *reinit, *scratch]),
                           "builtin")
    assert table["control"].tolist() == ["LTH Local, random pruning", "LTH Local, random re-init"]
    assert (table["row"] == "LTH Local").all() and table["lead"].tolist() == pytest.approx([0.2, 0.01])
    assert table["verdict"].iloc[0].startswith("a finding") and table["verdict"].iloc[1].startswith("within")
    assert table["row mAP@0.5 (n)"].iloc[0] == "0.710 ± 0.010 (3)"


def test_every_control_names_a_row_of_the_table_before_it():
    controls = [row for row in ROWS if row.control_of]
    assert len(controls) == 4 and all(ORDER[row.control_of] < ORDER[row.id] for row in controls)
