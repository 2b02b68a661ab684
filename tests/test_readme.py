"""The README is a newcomer's entry point: short, and holding no number that could go stale
(every number in its prose is one the book's pages also show; commands are not prose)."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
NUMBER = re.compile(r"(?<![\w.])\d[\d,.]*\d|(?<![\w.])\d(?![\w])")


def prose(markdown: str) -> str:
    """The text outside fenced code blocks and inline code."""
    return re.sub(r"`[^`\n]*`", " ", re.sub(r"^```.*?^```", " ", markdown, flags=re.S | re.M))


def numbers(text: str) -> set[str]:
    return {number.rstrip(".,") for number in NUMBER.findall(text)}


def test_the_helpers_skip_code_and_read_numbers():
    text = "Runs 25 rows on 2 cores, 0.95 kept.\n```bash\nmake book JOBS=7\n```\nsee `v3.14` and 1,313 s"
    assert numbers(prose(text)) == {"25", "2", "0.95", "1,313"}
    assert numbers("YOLOv3 and VOC2007 and x86") == set()  # digits inside names are not numbers


def test_the_readme_is_short_and_every_number_in_its_prose_is_in_the_book():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 150
    book = " ".join(page.read_text(encoding="utf-8") for page in (ROOT / "book").glob("*.md"))
    assert sorted(n for n in numbers(prose(text)) if not re.search(rf"(?<![\d.,]){re.escape(n)}(?![\d,]|\.\d)", book)) == []
