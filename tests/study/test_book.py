import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def page_text(path: Path) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", path.read_text())))


def test_the_study_builds_into_a_book_with_warnings_as_errors(tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    shutil.copy(ROOT / "_config.yml", tmp_path)
    for name in ("_toc.yml", "intro.md", "models.md"):
        shutil.copy(ROOT / "book" / name, book)
    study = subprocess.run([sys.executable, "-m", "lib.study", "--profile", "smoke", "--root", str(tmp_path)],
                           cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert study.returncode == 0, study.stdout + study.stderr
    again = subprocess.run([sys.executable, "-m", "lib.study", "--profile", "smoke", "--root", str(tmp_path)],
                           cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert "0 executed" in again.stdout  # a finished study runs nothing the second time
    jb = Path(sys.executable).with_name("jupyter-book")
    build = subprocess.run([str(jb), "build", "-W", "--keep-going", "--toc", str(book / "_toc.yml"), str(tmp_path)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stdout[-3000:]
    chapter = next((tmp_path / "_build" / "html" / "book" / "runs" / "00_architectures").glob("*.html"))
    text = page_text(chapter)
    assert "YOLOv3 has 61,626,049 parameters" in text and "LTH Local" in text and "118.26" in text
    assert "result_path" not in text and "injected" not in chapter.read_text()
