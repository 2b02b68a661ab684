"""make check-book's rules that need no browser: run-page names, their sidebar order, the
text and profile rules. (The browser part runs only under make check-book.)"""
from pathlib import Path

import pytest

from lib.book_check import (ROW_IDS, DATASETS, leaves_folder, nav_order_failures, parse_run_page, probe_failures,
                            profile_failures, relative_path, screenshot_name, text_failures)
from lib.profiles import get_profile
from lib.study.rows import ROWS, rows_of

CPU = get_profile("cpu").datasets  # ("builtin", "builtin-dark")


def study_nav(datasets, seeds=(0, 1)):
    """The sidebar's run pages as the study should list them: per chapter, its rows in ROWS
    order, each on the datasets it runs on in the profile's order, each seed."""
    return [f"book/runs/{row.chapter}/{row.id}-{dataset}-s{seed}.html"
            for row in ROWS for dataset in datasets if row in rows_of(dataset) for seed in seeds]


def test_run_page_names_parse_for_every_row_and_dataset():
    for row in ROW_IDS:
        for dataset in DATASETS:
            assert parse_run_page(f"{row}-{dataset}-s12.html") == (row, dataset, 12)


@pytest.mark.parametrize("name, parsed", [
    ("yolov3-builtin-dark-s0.html", ("yolov3", "builtin-dark", 0)),    # the longer dataset wins
    ("yolov3-channels-3.5-vocformat-s1.html", ("yolov3-channels-3.5", "vocformat", 1)),
    ("595fad7657f5.html", None),                                       # the hash names before
    ("yolov3-builtin.html", None),                                     # no seed
    ("yolov3-mnist-s0.html", None),                                    # no known dataset
])
def test_run_page_names(name, parsed):
    assert parse_run_page(name) == parsed


def test_the_longest_dataset_name_wins(monkeypatch):
    monkeypatch.setattr("lib.book_check.DATASETS", ("dark", *DATASETS))  # a name that ends another
    assert parse_run_page("yolov3-builtin-dark-s0.html") == ("yolov3", "builtin-dark", 0)
    assert parse_run_page("yolov3-dark-s0.html") == ("yolov3", "dark", 0)


def test_the_studys_order_passes_and_covers_every_run_chapter():
    nav = study_nav(CPU)
    assert nav_order_failures(nav, CPU) == []
    assert {path.split("/")[2] for path in nav} == {row.chapter for row in ROWS}


def test_a_swapped_pair_fails_naming_the_pages_out_of_order():
    nav = study_nav(CPU, seeds=(0,))
    local, global_ = (nav.index(f"book/runs/02_lth/yolov3-lth-{scope}-builtin-s0.html") for scope in ("local", "global"))
    nav[local], nav[global_] = nav[global_], nav[local]  # local-builtin-dark now sits between them
    failures = nav_order_failures(nav, CPU)
    assert len(failures) == 2 and all("book/runs/02_lth/:" in failure for failure in failures)
    assert "yolov3-lth-global-builtin-s0.html comes before yolov3-lth-local-builtin-dark-s0.html" in failures[0]
    assert "yolov3-lth-local-builtin-dark-s0.html comes before yolov3-lth-local-builtin-s0.html" in failures[1]


@pytest.mark.parametrize("first, second", [
    ("yolov3-builtin-dark-s0.html", "yolov3-builtin-s0.html"),  # datasets in the profile's order
    ("yolov3-builtin-s1.html", "yolov3-builtin-s0.html"),       # then seeds
])
def test_dataset_and_seed_out_of_order_fail(first, second):
    nav = [f"book/runs/01_baseline/{name}" for name in (first, second)]
    assert len(nav_order_failures(nav, CPU)) == 1


def test_other_datasets_come_after_the_profiles():
    after, before = (["book/runs/01_baseline/yolov3-" + name for name in names] for names in (
        ("builtin-s0.html", "builtin-dark-s0.html", "voc-s0.html"),
        ("voc-s0.html", "builtin-s0.html")))
    assert nav_order_failures(after, CPU) == []
    assert len(nav_order_failures(before, CPU)) == 1


def test_hash_names_and_unknown_rows_fail_by_name_and_the_exempt_chapters_do_not():
    nav = ["book/runs/00_architectures/architectures.html", "book/runs/06_results/results.html",
           "book/runs/01_baseline/595fad7657f5.html", "book/runs/01_baseline/yolov3-builtin-s0.html",
           "book/runs/02_lth/yolov3-lth-nope-builtin-s0.html", "book/intro.html"]
    failures = nav_order_failures(nav, CPU)
    assert len(failures) == 2
    assert "01_baseline" in failures[0] and "1 of 2 pages" in failures[0] and "595fad7657f5.html" in failures[0]
    assert "02_lth" in failures[1] and "yolov3-lth-nope-builtin-s0.html" in failures[1]


@pytest.mark.parametrize("text", ["YOLO Nano and yolo-nano", "mAP 0.000 ± 0.001", "0.412 ± 0.0004", "nanometre"])
def test_text_that_passes(text):
    assert text_failures(text) == []


@pytest.mark.parametrize("text, label", [
    ("mAP nan for this run", "'nan'"), ("NaN", "'nan'"), ("(nan)", "'nan'"),
    ("0.512 ± 0.000 over seeds", "'± 0.000'"), ("0.512 ±0.000", "'± 0.000'"),
])
def test_text_that_fails_names_the_rule(text, label):
    failures = text_failures(text)
    assert len(failures) == 1 and label in failures[0]


def test_the_landing_page_must_name_its_profile():
    assert profile_failures("Built with the profile: cpu (2 cores)", "cpu") == []
    assert profile_failures("PROFILE smoke", "smoke") == []
    assert profile_failures("the cpu profile", "cpu")              # the word before, not after
    assert profile_failures("profile: cpu-long", "cpu")            # another profile's name
    assert profile_failures("profile: smoke", "cpu")


def test_probe_results_become_one_line_each():
    result = {"broken": ["../_images/a.png"], "column": True, "count": 3,
              "widest": {"over": 120, "tag": "table", "cls": "table.dataframe", "text": "model training"}}
    assert probe_failures(result) == [
        "image not loaded: ../_images/a.png",
        "3 element(s) overflow the column; widest by 120 px: <table.table.dataframe> 'model training'"]
    assert probe_failures({"broken": [], "column": True, "count": 0, "widest": None}) == []
    assert probe_failures({"broken": [], "column": False, "count": 0, "widest": None})


def test_page_paths_and_screenshot_names(tmp_path):
    url = (tmp_path / "book" / "runs" / "02_lth" / "a b.html").as_uri()
    assert relative_path(url + "#section", tmp_path) == "book/runs/02_lth/a b.html"
    assert screenshot_name("book/runs/02_lth/yolov3-lth-global-builtin-s0.html") == \
        "book_runs_02_lth_yolov3-lth-global-builtin-s0.png"


@pytest.mark.parametrize("url, leaves", [
    ("file:///b/_build/html/book/intro.html", False),
    ("file:///b/_build/html/_static/mathjax/tex-chtml.js", False),
    ("file:///b/_build/html/book/../_static/x%20y.css", False),
    ("file:///b/_build/other.css", True),                        # a file beside the folder
    ("file:///b/_build/html/../secret", True),                   # out through ..
    ("https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js", True),
    ("http://fonts.example.org/a.woff2", True),
    ("data:image/png;base64,iVBORw0KGgo=", False),               # inline, made by the page
])
def test_a_request_leaves_the_folder_when_it_is_not_a_file_inside_it(url, leaves):
    assert leaves_folder(url, Path("/b/_build/html")) is leaves
