"""make check-book: every page of the built HTML book opened in a real browser.

Each page is loaded headless at 1400 px (Debian's chromium, driven by Playwright) and
checked for what only a browser shows: images that did not load, content wider than the
article column, "nan" or "± 0.000" in the visible text, the landing page naming the
profile, the sidebar listing each chapter's run pages in the study's row order, and any
request that leaves the built folder (a CDN script, a web font, a file elsewhere on disk):
the browser is offline, as a reader's copy may be, and each such request is a failure.
A full-page screenshot of each page goes to ``_build/screenshots/``. Every failure is
collected and printed on one line (page: what) before the exit status (1 if any).

    python -m lib.book_check --book /tmp/smoke17 --profile smoke

The pure rules (run-page names and their order, the text rule) need no browser, so the
tests import this module without Playwright, which only ``make check-book`` installs.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .errors import add_debug_flag, reported
from .methods import METHODS
from .profiles import get_profile
from .study.rows import PAPER_DATASET, ROWS

WIDTH, HEIGHT = 1400, 900
LANDING = "book/intro.html"  # the book's root; index.html only redirects to it
# Not pages of the book: the redirect (it would navigate away mid-check), Sphinx's generated pages.
SKIPPED = {"index.html", "search.html", "genindex.html"}
# The chapters with a page per run: the methods' (the others, architectures and results,
# have one fixed page).
RUN_CHAPTERS = {method.template for method in METHODS.values()}
DATASETS = (*PAPER_DATASET, "vocformat")
ROW_IDS = [row.id for row in ROWS]

RUN_PAGE = re.compile(r"(?P<stem>.+)-s(?P<seed>\d+)\.html")
# What a page must not show: a float that is not a number (but "nano" is fine), and a spread
# of exactly zero (one seed shown as if measured; "± 0.0004" is fine).
BAD_TEXT = {"nan": re.compile(r"\b(?:nan|NaN)\b"), "± 0.000": re.compile(r"±\s*0\.000(?!\d)")}

# Run in the page: images forced to load, then what the checks need, in one round trip.
PROBE = """async () => {
  const images = [...document.images];
  images.forEach(img => { img.loading = "eager"; });
  await Promise.all(images.map(img => img.decode().catch(() => null)));
  const broken = images.filter(img => !(img.complete && img.naturalWidth > 0))
                       .map(img => img.getAttribute("src"));
  const column = document.querySelector("article.bd-article") || document.querySelector("main#main-content");
  // Content a scrolling (or clipping) box holds inside the column is not seen to overflow.
  const clipped = el => {
    for (let p = el.parentElement; p && p !== column; p = p.parentElement)
      if (getComputedStyle(p).overflowX !== "visible") return true;
    return false;
  };
  let count = 0, widest = null;
  if (column) {  // its descendants only: the sidebars lie outside it
    const edge = column.getBoundingClientRect().right;
    for (const el of column.querySelectorAll("*")) {
      const rect = el.getBoundingClientRect();
      const over = rect.right - edge;
      if (over <= 1 || rect.width === 0 || clipped(el)) continue;
      count += 1;
      if (!widest || over > widest.over) widest = {
        over: Math.round(over), tag: el.tagName.toLowerCase(),
        cls: typeof el.className === "string" ? el.className.trim().split(/\\s+/).join(".") : "",
        text: (el.innerText || el.textContent || el.getAttribute("src") || "").replace(/\\s+/g, " ").trim().slice(0, 60),
      };
    }
  }
  return {broken, column: !!column, count, widest, text: document.body.innerText,
          nav: [...document.querySelectorAll("nav.bd-links a[href]")].map(a => a.href)};
}"""


def parse_run_page(name: str) -> tuple[str, str, int] | None:
    """``<row>-<dataset>-s<seed>.html`` as (row, dataset, seed); None if not of that form.

    Row ids and dataset names both contain hyphens, so the dataset is the longest known
    name the stem ends with ("yolov3-builtin-dark" is yolov3 on builtin-dark)."""
    match = RUN_PAGE.fullmatch(name)
    if not match:
        return None
    for dataset in sorted(DATASETS, key=len, reverse=True):
        if match["stem"].endswith("-" + dataset):
            return match["stem"][: -len(dataset) - 1], dataset, int(match["seed"])
    return None


def run_pages_by_chapter(nav_paths: list[str]) -> dict[str, list[str]]:
    """The sidebar's run pages (``book/runs/<chapter>/<name>``), in its order, per chapter."""
    chapters: dict[str, list[str]] = {}
    for path in nav_paths:
        parts = path.split("/")
        if len(parts) == 4 and parts[:2] == ["book", "runs"] and parts[2] in RUN_CHAPTERS:
            chapters.setdefault(parts[2], []).append(parts[3])
    return chapters


def chapter_order_failures(chapter: str, names: list[str], datasets: tuple[str, ...]) -> list[str]:
    """Why one chapter's pages are not in (row in ROWS, dataset, seed) order: names that do
    not parse or name no row, else each adjacent pair out of order. Datasets rank in the
    profile's order, then any others in the order they first appear."""
    where = f"nav book/runs/{chapter}/"
    parsed = {name: parse_run_page(name) for name in names}
    unnamed = [name for name, key in parsed.items() if key is None]
    if unnamed:
        return [f"{where}: {len(unnamed)} of {len(names)} pages not named <row>-<dataset>-s<seed>.html: "
                + ", ".join(unnamed)]
    unknown = [name for name, key in parsed.items() if key[0] not in ROW_IDS]
    if unknown:
        return [f"{where}: row not in lib.study.rows.ROWS: " + ", ".join(unknown)]
    order = list(datasets) + [d for d in dict.fromkeys(key[1] for key in parsed.values()) if d not in datasets]
    rank = {name: (ROW_IDS.index(row), order.index(dataset), seed) for name, (row, dataset, seed) in parsed.items()}
    return [f"{where}: {a} comes before {b} (want ROWS order, then datasets {', '.join(order)}, then seed)"
            for a, b in zip(names, names[1:]) if rank[a] > rank[b]]


def nav_order_failures(nav_paths: list[str], datasets: tuple[str, ...]) -> list[str]:
    """Every chapter's order failures (see chapter_order_failures)."""
    return [failure for chapter, names in run_pages_by_chapter(nav_paths).items()
            for failure in chapter_order_failures(chapter, names, datasets)]


def text_failures(text: str) -> list[str]:
    """A line per BAD_TEXT rule a page's visible text breaks: how often, the first with context."""
    failures = []
    for label, rule in BAD_TEXT.items():
        found = list(rule.finditer(text))
        if found:
            first = found[0]
            context = " ".join(text[max(first.start() - 40, 0): first.end() + 20].split())
            failures.append(f"text shows {label!r} {len(found)} time(s), first in: ...{context}...")
    return failures


def profile_failures(text: str, profile: str) -> list[str]:
    """The landing page must say which profile built the book ("profile: cpu"). Profile names
    hold hyphens, so "profile: cpu-long" does not name cpu."""
    if re.search(rf"profile\W+{re.escape(profile)}(?![\w-])", text, re.IGNORECASE):
        return []
    return [f"landing page does not name the profile (no 'profile {profile}' in its text)"]


def probe_failures(result: dict) -> list[str]:
    """What the in-page probe found: unloaded images, content wider than the column."""
    failures = [f"image not loaded: {src}" for src in result["broken"]]
    if not result["column"]:
        failures.append("no article.bd-article or main#main-content to measure")
    elif result["widest"]:
        w = result["widest"]
        failures.append(f"{result['count']} element(s) overflow the column; widest by {w['over']} px: "
                        f"<{w['tag']}{'.' + w['cls'] if w['cls'] else ''}> {w['text']!r}")
    return failures


def book_pages(html: Path) -> list[str]:
    """The book's pages, relative to ``html``, without Sphinx's own and the theme's files."""
    return sorted(str(path.relative_to(html)) for path in html.rglob("*.html")
                  if str(path.relative_to(html)) not in SKIPPED and "_static" not in path.parts)


def relative_path(url: str, html: Path) -> str:
    """A sidebar link (an absolute file:// URL in the browser) as a path under ``html``."""
    return str(Path(unquote(urlsplit(url).path)).relative_to(html.resolve()))


def screenshot_name(page: str) -> str:
    """book/runs/02_lth/x.html -> book_runs_02_lth_x.png"""
    return page.removesuffix(".html").replace("/", "_") + ".png"


def leaves_folder(url: str, html: Path) -> bool:
    """Whether a request goes outside the built book: any scheme but file:, or a file elsewhere."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):  # made by the page itself
        return False
    return parts.scheme != "file" or not Path(unquote(parts.path)).resolve().is_relative_to(html.resolve())


def check_page(page, html: Path, name: str, shots: Path, profile: str, left: list[str]) -> list[str]:
    """Load one page, save its screenshot, and return its failures (``left``: the requests
    the page made outside the folder, which the browser refused)."""
    left.clear()
    page.goto((html / name).resolve().as_uri())
    result = page.evaluate(PROBE)
    page.screenshot(path=str(shots / screenshot_name(name)), full_page=True)
    failures = probe_failures(result) + text_failures(result["text"])
    failures += [f"request leaves the book's folder: {url}" for url in dict.fromkeys(left)]
    if name == LANDING:
        nav = [relative_path(url, html) for url in result["nav"] if url.startswith("file:")]
        failures += profile_failures(result["text"], profile)
        failures += nav_order_failures(nav, get_profile(profile).datasets)
    return failures


def check_book(book: Path, profile: str, chromium: str) -> int:
    """Check every page of ``book/_build/html``; print a line per page, the failures and a summary."""
    from playwright.sync_api import sync_playwright  # installed by make check-book only

    html, shots = book / "_build" / "html", book / "_build" / "screenshots"
    names = book_pages(html)
    if LANDING not in names:
        print(f"no {LANDING} under {html}: build the book first (make book)")
        return 1
    shots.mkdir(parents=True, exist_ok=True)
    for stale in shots.glob("*.png"):  # shots of pages the book no longer has
        stale.unlink()
    failures = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium, headless=True)
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        # Offline, like a reader's copy: only the book's own files are served; anything else is
        # refused (no waiting on a network) and named as the page's failure.
        left: list[str] = []

        def only_the_folder(route):
            if leaves_folder(route.request.url, html):
                left.append(route.request.url)
                return route.abort()
            return route.continue_()

        page.route("**/*", only_the_folder)
        for name in names:
            found = check_page(page, html, name, shots, profile, left)
            print(f"checked {name}: {len(found)} failure(s)")
            failures += [f"{name}: {failure}" for failure in found]
        browser.close()
    print(*failures, sep="\n")
    print(f"check-book: {len(names)} pages, {len(failures)} failure(s), "
          f"{len({f.split(': ')[0] for f in failures})} page(s) failing; screenshots in {shots}")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.book_check", description=__doc__.splitlines()[0])
    parser.add_argument("--book", type=Path, default=Path("."), help="the folder holding _build/html")
    parser.add_argument("--profile", default="cpu", help="the profile the book was built with")
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="the browser binary")
    add_debug_flag(parser)
    args = parser.parse_args(argv)
    with reported(args.debug):
        get_profile(args.profile)  # an unknown profile stops here, before the browser starts
        return check_book(args.book, args.profile, args.chromium)


if __name__ == "__main__":
    sys.exit(main())
