"""Whether a run was still improving when it stopped (lib.report.convergence)."""
from lib.report.convergence import rising_text, still_rising
from lib.report.results import runs_frame, summary_table
from tests.report.test_results import curve, result


def test_a_run_whose_best_epoch_is_late_is_still_rising():
    assert still_rising(curve(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95))
    assert not still_rising(curve(0.1, 0.5, 0.6, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5))
    assert still_rising(()) is None  # converted, not trained
    assert [rising_text(f) for f in ([True, True], [False], [True, False, True], [None])] == \
        ["yes", "no", "2 of 3", "—"]


def test_the_summary_says_which_rows_were_still_rising():
    runs = runs_frame([result("yolov3", 0, 0.6, 1000, history=curve(0.1, 0.2, 0.3)),
                       result("yolov3", 1, 0.6, 1000, history=curve(0.3, 0.2, 0.1)),
                       result("yolov3-tiny", 0, 0.5, 500, history=curve(0.1, 0.4, 0.5))])
    table = summary_table(runs, "builtin").set_index("model")
    assert table.loc["YOLOv3", "still rising"] == "1 of 2" and table.loc["YOLOv3-Tiny", "still rising"] == "yes"
