"""What the runner makes of an executed notebook and of the study's pages: the settings
and Try-it box of a run page, the table of contents in row order, the progress line."""
import json
from pathlib import Path

import nbformat
import yaml

from lib.paths import BOOK_PAGES
from lib.profiles import profile_params
from lib.result import Budget
from lib.study.grid import study_runs
from lib.study.pages import finish_notebook
from lib.study.runner import Report, page_path, progress
from lib.study.toc import write_toc
from tests.report.test_results import result as a_result

ROOT = Path(__file__).resolve().parents[2]


def executed_page(tmp_path: Path) -> tuple[Path, dict, Path]:
    """An executed chapter notebook as papermill leaves it, its parameters and its result."""
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Template title\n\nWhat the run is."),
        nbformat.v4.new_code_cell("row = 'x'", metadata={"tags": ["injected-parameters"]}),
        nbformat.v4.new_code_cell("print(1)")])
    page = tmp_path / "page.ipynb"
    nbformat.write(nb, page)
    params = profile_params("smoke", **{"model.name": "yolov3"})
    result = tmp_path / "result.json"
    made = a_result("yolov3-lth-global", 0, 0.5, 1000, run_params=params.to_dict(), width=0.125,
                    budget=Budget(epochs=2, images=256, total_epochs=4, total_images=512),
                    settings={"scope": "global", "target_sparsity": 0.9, "rate": None})
    result.write_text(json.dumps(made.to_dict()))
    parameters = {"profile": "smoke", "dataset": "builtin", "data_root": None, "seed": 0, "row": "yolov3-lth-global",
                  "result_path": str(result), "inputs": [str(tmp_path / "runs" / "study" / "dense.json")]}
    return page, parameters, result


def test_a_run_page_shows_its_settings_under_its_title_and_a_command_to_run_it_again(tmp_path):
    page, parameters, result = executed_page(tmp_path)
    for _ in range(2):  # finishing a page twice (a study resumed) adds nothing twice
        finish_notebook(page, "YOLOv3, LTH Global: builtin, seed 0", parameters, result, "notebooks/02_lth.ipynb",
                        tmp_path)
    cells = nbformat.read(page, as_version=4).cells
    heading = cells[0].source
    assert heading.startswith("# YOLOv3, LTH Global: builtin, seed 0\n\n| profile | dataset | seed | row |")
    assert "| smoke | builtin | 0 | yolov3-lth-global | 128 | 0.125 | 2 | yolov3 |" in heading
    assert "`scope = global`, `target_sparsity = 0.9`." in heading and "rate" not in heading.split("````")[0]
    assert "| train.epochs | 2 |" in heading and heading.endswith("What the run is.")
    assert "remove-cell" in cells[1].metadata["tags"]
    boxes = [c.source for c in cells if "Try it" in c.source]
    assert len(boxes) == 1
    assert "run_chapter notebooks/02_lth.ipynb /tmp/try.ipynb" in boxes[0] and "-p row yolov3-lth-global" in boxes[0]
    assert """-y 'inputs: ["runs/study/dense.json"]'""" in boxes[0] and "data_root" not in boxes[0]


def test_the_table_of_contents_lists_each_chapters_pages_by_row_dataset_and_seed(tmp_path):
    runs = study_runs("smoke", seeds=2)
    pages = tmp_path / BOOK_PAGES
    for run in reversed(runs):  # written in another order than the rows'
        if not (run.chapter == "03_cs" and run.parameters["seed"] == 1):  # a run not executed
            page_path(run, pages).parent.mkdir(parents=True, exist_ok=True)
            page_path(run, pages).touch()
    toc = yaml.safe_load(write_toc(runs, ROOT / "book" / "_toc.yml", pages, tmp_path / "toc.yml").read_text())
    chapters = {c["file"]: c.get("sections", []) for part in toc["parts"] for c in part["chapters"]}
    lth = [s["file"] for s in chapters["book/pruning"]][:8]
    # then the tickets' control: the chapter's pages in its table's row order, across templates
    assert chapters["book/pruning"][8] == {"file": "book/runs/11_random_prune/yolov3-random-prune-builtin-s0"}
    assert lth == [f"book/runs/02_lth/yolov3-lth-{scope}-{dataset}-s{seed}"
                   for scope in ("local", "global") for dataset in ("builtin", "builtin-dark") for seed in (0, 1)]
    cs = [s["file"] for s in chapters["book/pruning"] if "/03_cs/" in s["file"]]
    assert cs == ["book/runs/03_cs/yolov3-cs-1-builtin-s0", "book/runs/03_cs/yolov3-cs-1-builtin-dark-s0",
                  "book/runs/03_cs/yolov3-cs-3-builtin-s0", "book/runs/03_cs/yolov3-cs-3-builtin-dark-s0"]
    assert chapters["book/results"] == [{"file": "book/runs/06_results/results"}]
    assert chapters["book/nas"] == []  # every run-page glob expanded; the course's lab pages stay a glob
    assert [e["glob"] for v in chapters.values() for e in v if "glob" in e] == ["book/labs/*"]


def test_progress_estimates_the_time_left_at_the_pace_so_far():
    report = Report(executed=["a", "b", "c"], failed={"d": "x"})
    assert progress(report, 6, 240.0) == "4 ended, 6 to go, 4.0 min so far, about 6 min left"
    assert progress(Report(), 5, 1.0) == "0 ended, 5 to go, 0.0 min so far"
