"""The values the landing page and the chapter pages paste (lib.report.abstract)."""
from dataclasses import replace

import numpy as np

from lib.methods import METHODS
from lib.profiles import MOBILE_EPOCHS
from lib.report.abstract import (CHAPTER_PAGES, best_trade_off, chapter_conclusion, chapter_table, describe, headline,
                                 landing_values, reference_limits)
from lib.report.results import runs_frame
from tests.report.test_results import curve, result, scored

# dense 0.6 at 4000 MACs; the light set's front: Tiny keeps 0.57 (95%) at 1000 MACs, LTH
# Local 0.58 at 2000 MACs; Nano is cheapest but keeps only half.
LIGHT = [result("yolov3", 0, 0.6, 1000, 4000, 4.0), result("yolov3-tiny", 0, 0.57, 500, 1000, 2.0),
         result("yolov3-lth-local", 0, 0.58, 100, 2000, 0.5), result("yolo-nano", 0, 0.3, 50, 300, 0.2),
         result("yolov3-channels-11", 0, 0.5, 100, 3000, 0.5)]
DARK = [scored(r, r.metrics.map50 / 2 if r.row != "yolov3" else 0.4, dataset="builtin-dark") for r in LIGHT]


def test_the_best_trade_off_is_the_cheapest_front_row_keeping_ninety_percent():
    runs = runs_frame(LIGHT + DARK)
    assert best_trade_off(runs, "builtin") == "yolov3-tiny"
    # on the dark set no row keeps 90% of 0.4: the front's most accurate row besides the dense one
    assert best_trade_off(runs, "builtin-dark") == "yolov3-lth-local"
    sentence = headline(runs, "builtin")
    assert sentence.startswith("YOLOv3-Tiny, Default keeps 95% of the test mAP@0.5 of the dense YOLOv3 of its "
                               "training budget (Default; 1.0× one dense run) with 50.0% of its parameters, 25.0% of "
                               "its MACs")
    assert "in the paper, on VOC, the same row kept 69%" in sentence
    untrained = runs_frame([scored(r, r.metrics.map50 / 20) for r in LIGHT])  # dense 0.03: nothing learned
    assert headline(untrained, "builtin").startswith("On builtin the dense YOLOv3 reached a test mAP@0.5 of only 0.030")
    assert chapter_conclusion(untrained, chapter_table(untrained, ("02_lth",))) == headline(untrained, "builtin")


def test_every_key_the_pages_paste_exists_even_for_a_dataset_not_built():
    values = landing_values("smoke", runs_frame(LIGHT), threads=1)
    assert values["headline_table2"] == values["summary_table2"] == "Not run in this build."
    assert values["build_profile"] == "smoke" and values["build_seeds"] == "1" and values["build_runs"] == "5"
    assert list(values["summary_table1"]["training"])[:2] == ["Default", "Default"]
    assert {"chapter_training", "chapter_pruning", "chapter_distillation", "chapter_quantization",
            "conclusion_pruning"} <= set(values)
    assert values["chapter_distillation"] == "None of this chapter's rows ran in this build."


def test_a_chapter_table_holds_its_chapters_rows_as_percent_of_the_dense_model():
    table = chapter_table(runs_frame(LIGHT + DARK), ("02_lth", "07_channels"))
    assert list(table["training"]) == ["LTH Local", "Channels, 11% MACs"] * 2
    lth = table.iloc[0]
    assert (lth["dataset"], lth["n"], round(lth["mAP %"], 1), lth["params %"], lth["MACs %"]) == \
        ("builtin", 1, 96.7, 10.0, 50.0)
    assert (table["gap"] == "n = 1").all() and "n = 1, gap: n = 1" in chapter_conclusion(runs_frame(LIGHT + DARK), table)
    nothing = runs_frame([scored(r, 0.0) if r.row == "yolov3" else r for r in LIGHT])  # a smoke build's dense model
    assert np.isnan(chapter_table(nothing, ("02_lth",))["mAP %"]).all()  # no percentage of nothing, and no error


def test_each_written_chapter_gathers_its_methods_templates_in_the_books_order():
    """From the registry: a page's templates are its methods' (sorted), the pages in the order of their first."""
    assert list(CHAPTER_PAGES) == ["training", "pruning", "distillation", "quantization"]
    for page, templates in CHAPTER_PAGES.items():
        assert templates == tuple(sorted(m.template for m in METHODS.values() if m.page == page))
    assert {"02_lth", "03_cs", "07_channels", "08_gradual"} <= set(CHAPTER_PAGES["pruning"])
    assert CHAPTER_PAGES["distillation"] == ("04_kd_hints", "05_kd_gan")
    assert CHAPTER_PAGES["quantization"] == ("09_quantize", "10_lowrank")


def test_the_scale_is_described_from_the_profile_built():
    assert describe("smoke").startswith("models at width 0.125, 128 × 128 inputs, 2 epochs in batches of 8")
    assert "width 0.25" in describe("cpu") and f"10 epochs (yolo-nano 20, yolov3-mobile {MOBILE_EPOCHS})" in describe("cpu")


def test_the_headline_weighs_its_gap_and_the_limits_say_whether_the_references_still_rose():
    assert "(its gap to that reference is -0.030 mAP@0.5 (n = 1: no claim))" in headline(runs_frame(LIGHT), "builtin")
    rising = [replace(LIGHT[0], history=curve(0.1, 0.2, 0.3, 0.4)), *LIGHT[1:]]
    assert "On builtin, the dense YOLOv3 (Default) was still improving when it stopped (its one run had its best" in \
        reference_limits(runs_frame(rising), "builtin")
    peaked = [replace(LIGHT[0], history=curve(0.1, 0.5, 0.3, 0.3)), *LIGHT[1:]]
    assert reference_limits(runs_frame(peaked), "builtin").endswith("had stopped improving: its best validation "
                                                                    "epoch came before the last 30% of its training.")
    assert reference_limits(runs_frame(LIGHT), "builtin") == ""  # no history: nothing to say
    values = landing_values("smoke", runs_frame(LIGHT), threads=1)
    assert values["findings_table2"] == values["limits_table2"] == "Not run in this build."
    assert len(values["findings_table1"]) == 8
