import html
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lib.paper import paper_table
from lib.book_check import nav_order_failures, profile_failures, text_failures
from lib.course.pages import write_pages
from lib.paths import BOOK_TOC, STUDY_RESULTS
from lib.study.compare import differences
from lib.study.grid import study_runs
from lib.study.runner import in_order

ROOT = Path(__file__).resolve().parents[2]


def page_text(path: Path) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", path.read_text())))


def smoke_study(root: Path, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lib.study", "--profile", "smoke", "--root", str(root), *options],
                          cwd=ROOT, capture_output=True, text=True, timeout=1800)


@pytest.fixture(scope="module")
def smoke_book(tmp_path_factory) -> Path:
    """The smoke study run as make book runs it, in a copy of the book's tree."""
    root = tmp_path_factory.mktemp("book")
    book = root / "book"
    book.mkdir()
    shutil.copy(ROOT / "_config.yml", root)
    for page in [ROOT / "book" / "_toc.yml", *(ROOT / "book").glob("*.md"), *(ROOT / "book").glob("*.bib")]:
        shutil.copy(page, book)
    shutil.copytree(ROOT / "book" / "_static", book / "_static")
    write_pages(root)  # the course's lab pages, as make book writes them
    study = smoke_study(root, "--jobs", "2")
    assert study.returncode == 0, study.stdout + study.stderr
    return root


# Chapters whose runs read another chapter's (the dense YOLOv3): a part of the study
# small enough to run twice, with the dependencies the submitit jobs must respect.
SUBMITIT_CHAPTERS = ("02_lth", "07_channels")


def test_the_study_through_submitit_local_jobs_gives_the_local_runners_results(smoke_book, tmp_path):
    threads = max(1, (os.cpu_count() or 1) // 2)  # a local kernel's share with --jobs 2
    part = ("--only", *SUBMITIT_CHAPTERS)
    study = smoke_study(tmp_path, "--executor", "submitit", "--cluster", "local", "--cpus", str(threads), *part)
    assert study.returncode == 0, study.stdout + study.stderr
    expected = in_order(study_runs("smoke", only=SUBMITIT_CHAPTERS))  # with the dense runs they read
    assert "local job" in study.stdout and f"{len(expected)} executed" in study.stdout
    assert {r.chapter for r in expected} == {"01_baseline", *SUBMITIT_CHAPTERS}
    # the same run keys as the local study's runs of these chapters, and the same values
    assert [line for line in differences(smoke_book, tmp_path) if not line.startswith(f"only in {smoke_book}")] == []
    assert len(list((tmp_path / STUDY_RESULTS).glob("*.json"))) == len(expected)
    again = smoke_study(tmp_path, "--executor", "submitit", "--cluster", "local", *part)
    assert "0 executed" in again.stdout and "local job" not in again.stdout  # resubmitted: nothing to run


def test_the_study_builds_into_a_book_with_warnings_as_errors(smoke_book):
    tmp_path = smoke_book
    again = smoke_study(tmp_path)
    assert "0 executed" in again.stdout  # a finished study runs nothing the second time
    jb = Path(sys.executable).with_name("jupyter-book")
    build = subprocess.run([str(jb), "build", "-W", "--keep-going", "--toc", str(tmp_path / BOOK_TOC), str(tmp_path)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stdout[-3000:]
    chapter = tmp_path / "_build" / "html" / "book" / "runs" / "00_architectures" / "architectures.html"
    text = page_text(chapter)
    assert "YOLOv3 has 61,626,049 parameters" in text and "LTH Local" in text and "118.26" in text
    assert "result_path" not in text and "injected" not in chapter.read_text()
    html_root = tmp_path / "_build" / "html"
    assert len(list((html_root / "book" / "runs").glob("*/*.html"))) == len(study_runs("smoke"))
    results = html_root / "book" / "runs" / "06_results" / "results.html"
    page = results.read_text()
    for dataset, paper in (("builtin", "voc"), ("builtin-dark", "exdark")):
        table = table_rows(page, f"{'Table I' if paper == 'voc' else 'Table II'} analog: {dataset}")
        expected = [(r["model"], r["training"]) for r in paper_table(paper)]
        assert sorted(expected) == sorted(tuple(r[:2]) for r in table if tuple(r[:2]) in expected) and len(expected) == 14
        # one seed: the value and n, no "± 0.000"; the budget in dense runs
        assert all(r[2] == "1" and r[3].endswith("×") and float(r[4]) >= 0 for r in table)
    beyond = {("YOLOv3", "int8, post-training"), ("YOLOv3", "LTH Local + int8"), ("YOLOv3", "Tucker-2, ranks 1/4, fine-tuned")}
    for dataset in ("builtin", "builtin-dark"):
        ledger = {tuple(r[:2]): r[2:] for r in table_rows(page, f"Storage ledger, bytes: {dataset}")}
        assert beyond <= set(ledger)
        fp32, deflated, fp16, int8 = (int(v.replace(",", "")) for v in ledger[("YOLOv3", "Default")][:4])
        assert fp32 > deflated > fp16 > int8 > fp32 / 5 and ledger[("YOLOv3", "Default")][4:7] == ["—"] * 3
        assert all(v != "—" for v in ledger[("YOLOv3", "LTH Local")][4:7])  # a masked model's sparse files
    images = re.findall(r'<img[^>]+src="([^"]+)"', page)
    assert len(images) >= 6 and all((results.parent / src).is_file() for src in images)
    assert "dashed line joins the rows on the Pareto front" in page_text(results)
    assert " nan " not in page_text(results) and "± 0.000" not in page_text(results)  # a dash, and no fake spread
    for distilled in (html_root / "book" / "runs").glob("0[45]_kd_*/*.html"):
        side_by_side = "Test split: the teacher, the student trained alone, the distilled student"
        teacher, plain, student = table_rows(distilled.read_text(), side_by_side)
        assert teacher[:2] == ["YOLOv3", "Default"] and plain[:2] == [student[0], "Default"]
        assert student[0].endswith("(leaky)") and student[1].startswith("KD")


def table_rows(page: str, caption: str | None) -> list[list[str]]:
    """Body rows (cell texts) of the table with ``caption`` (None: the page's first table)."""
    start = page.index(f"<caption>{caption}</caption>") if caption else page.index("<table")
    body = page[start:page.index("</table>", start)]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)[1:]
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
            for r in rows]


def nav_paths(page: str, where: str = "book") -> list[str]:
    """The left sidebar's links of a page in folder ``where`` (of the HTML root), as
    paths from the HTML root, in order."""
    nav = page[re.search(r'<nav class="[^"]*bd-docs-nav', page).start():]
    nav = nav[:nav.index("</nav>")]
    return [posixpath.normpath(posixpath.join(where, href.split("#")[0]))
            for href in re.findall(r'href="([^"#]+\.html)', nav)]


def test_the_book_names_its_profile_lists_runs_in_row_order_and_shows_each_runs_settings(smoke_book):
    """Issue 16's structural points on the smoke book's HTML (make check-book repeats
    them in a browser): the landing page names the profile built, the navigation lists
    run pages by row, dataset and seed, no page shows nan or a spread of one seed, and
    every run page shows its settings and how to run it again."""
    html_root = smoke_book / "_build" / "html"
    if not html_root.exists():
        pytest.skip("the book is built by test_the_study_builds_into_a_book_with_warnings_as_errors")
    landing = (html_root / "book" / "intro.html").read_text()
    assert profile_failures(page_text(html_root / "book" / "intro.html"), "smoke") == []
    assert profile_failures(page_text(html_root / "book" / "intro.html"), "cpu") != []
    nav = nav_paths(landing)
    runs = [p for p in nav if p.startswith("book/runs/")]
    assert len(runs) == len(study_runs("smoke")) and nav_order_failures(runs, ("builtin", "builtin-dark")) == []
    assert runs.index("book/runs/02_lth/yolov3-lth-local-builtin-s0.html") + 1 == \
        runs.index("book/runs/02_lth/yolov3-lth-local-builtin-dark-s0.html")
    for page in html_root.glob("book/**/*.html"):
        assert text_failures(page_text(page)) == [], page
    lth = (html_root / "book" / "runs" / "02_lth" / "yolov3-lth-global-builtin-s0.html").read_text()
    first_table = lth[lth.index("<table"):lth.index("</table>")]  # the settings, under the title
    settings = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", first_table, re.S)]
    assert settings == ["smoke", "builtin", "0", "yolov3-lth-global", "128", "0.125", "2", "yolov3"]
    assert "target_sparsity = 0.9" in page_text(html_root / "book" / "runs" / "02_lth" / "yolov3-lth-global-builtin-s0.html")
    assert "Try it" in lth and "-p row yolov3-lth-global" in html.unescape(re.sub(r"<[^>]+>", "", lth))



def built_html(smoke_book: Path) -> Path:
    html_root = smoke_book / "_build" / "html"
    if not html_root.exists():
        pytest.skip("the book is built by test_the_study_builds_into_a_book_with_warnings_as_errors")
    return html_root


def test_the_book_cites_its_bibliography_and_loads_nothing_from_the_network(smoke_book):
    html_root = built_html(smoke_book)
    bibliography = (html_root / "book" / "bibliography.html").read_text()
    entries = len(re.findall(r"^@\w+\{", (ROOT / "book" / "references.bib").read_text(), re.M))
    assert bibliography.count('role="doc-biblioentry"') == entries
    assert "Frankle" in page_text(html_root / "book" / "bibliography.html")
    pruning = (html_root / "book" / "pruning.html").read_text()
    assert re.search(r'href="bibliography\.html#[^"]+" title="Jonathan Frankle and Michael Carbin', pruning)
    assert "Lottery tickets ( Frankle and Carbin [ 2018 ]" in page_text(html_root / "book" / "pruning.html")
    for page in html_root.rglob("*.html"):  # offline: MathJax and every script and style from the folder
        sources = re.findall(r"<(?:script|link)\b[^>]*?\b(?:src|href)=\"((?:https?:)?//[^\"]+)\"", page.read_text())
        assert sources == [], page
    assert (html_root / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert 'src="../_static/mathjax/tex-chtml.js' in (html_root / "book" / "spec.html").read_text()


def test_a_run_page_launches_its_chapter_template_and_downloads_its_notebook(smoke_book):
    html_root = built_html(smoke_book)
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    owner_repo = config["repository"]["url"].removeprefix("https://github.com/")
    branch = config["repository"]["branch"]
    page = html_root / "book" / "runs" / "02_lth" / "yolov3-lth-global-builtin-s0.html"
    links = set(re.findall(r'href="([^"]+)"', page.read_text()))
    assert f"https://mybinder.org/v2/gh/{owner_repo}/{branch}?urlpath=lab/tree/notebooks/02_lth.ipynb" in links
    assert f"https://colab.research.google.com/github/{owner_repo}/blob/{branch}/notebooks/02_lth.ipynb" in links
    assert config["repository"]["url"] in links and any(link.startswith(f"{config['repository']['url']}/issues/new")
                                                          for link in links)
    assert (ROOT / "notebooks" / "02_lth.ipynb").is_file() and not any("book/runs/" in link and "ipynb" in link
                                                                     and "http" in link for link in links)
    lab = set(re.findall(r'href="([^"]+)"', (html_root / "book" / "labs" / "01_magnitude.html").read_text()))
    assert f"https://mybinder.org/v2/gh/{owner_repo}/{branch}?urlpath=lab/tree/notebooks/labs/01_magnitude.ipynb" in lab
    download = "../../../_sources/book/runs/02_lth/yolov3-lth-global-builtin-s0.ipynb"
    assert download in links
    executed = json.loads((page.parent / download).read_text())
    assert executed["cells"] and any(cell.get("outputs") for cell in executed["cells"] if cell["cell_type"] == "code")


def test_make_publish_puts_the_built_book_on_a_branch_of_a_bare_repository(smoke_book, tmp_path):
    html_root = built_html(smoke_book)
    clone, bare = tmp_path / "clone", tmp_path / "site.git"
    shutil.copytree(html_root, clone / "_build" / "html")
    for args, where in ((["init", "-q", "-b", "main"], clone), (["init", "-q", "--bare", str(bare)], tmp_path)):
        subprocess.run(["git", *args], cwd=where, check=True)
    env = {**os.environ, "GIT_AUTHOR_NAME": "Study", "GIT_AUTHOR_EMAIL": "s@example.org",
           "GIT_COMMITTER_NAME": "Study", "GIT_COMMITTER_EMAIL": "s@example.org"}
    make = ["make", "-C", str(ROOT), "publish", f"PY={sys.executable}", f"BOOK={clone}", f"REMOTE={bare}",
            "BRANCH=gh-pages"]
    refused = subprocess.run(make, capture_output=True, text=True, env=env)
    assert refused.returncode != 0 and "smoke profile" in refused.stderr
    published = subprocess.run([*make, "ALLOW_SMOKE=1"], capture_output=True, text=True, env=env)
    assert published.returncode == 0, published.stdout + published.stderr
    files = subprocess.run(["git", "ls-tree", "-r", "--name-only", "gh-pages"], cwd=bare, check=True,
                           capture_output=True, text=True).stdout.split()
    assert {"index.html", ".nojekyll", "book/intro.html", "book/bibliography.html",
            "_static/mathjax/tex-chtml.js"} <= set(files)
    assert len([f for f in files if f.startswith("book/runs/") and f.endswith(".html")]) == len(study_runs("smoke"))
