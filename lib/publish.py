"""make publish: the built HTML book to a git branch, for GitHub Pages or any static host.

    python -m lib.publish --remote origin --branch gh-pages          # from the project's clone
    python -m lib.publish --remote /srv/git/site.git --book /tmp/b --allow-smoke

ghp-import commits ``_build/html`` (with ``.nojekyll``, so GitHub Pages serves the ``_static``
folders as they are) onto the branch in the clone holding the book, and pushes it to the
remote, a remote's name or any URL or path git accepts. A folder without a built book is
refused, and so is a book of the ``smoke`` profile (a preview of seconds-long runs), unless
``--allow-smoke`` says that is what you mean.
"""
from __future__ import annotations

import argparse
import contextlib
import html
import re
import subprocess
import sys
from pathlib import Path

from ghp_import import GhpError, ghp_import

from .book_check import LANDING
from .errors import StudyError, add_debug_flag, reported
from .profiles import PROFILES

PREVIEW_PROFILE = "smoke"


class PublishError(StudyError, RuntimeError):
    """The book cannot be published as asked; the message says why and what to do."""


def built_profile(landing: Path) -> str | None:
    """The profile the landing page says the book was built with (its build table's first row)."""
    text = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", landing.read_text(encoding="utf-8"))))
    names = "|".join(re.escape(name) for name in sorted(PROFILES, key=len, reverse=True))
    match = re.search(rf"\bprofile\W+({names})(?![\w-])", text)
    return match[1] if match else None


def check_publishable(book: Path, allow_smoke: bool) -> Path:
    """The built HTML folder of ``book``, or PublishError if it is missing or only a preview."""
    built, landing = book / "_build" / "html", book / "_build" / "html" / LANDING
    if not (built / "index.html").is_file() or not landing.is_file():
        raise PublishError(f"no built book in {built} (no index.html or {LANDING}): run make book first")
    profile = built_profile(landing)
    if profile is None:
        raise PublishError(f"{landing} names no profile: is this the study's book? Build it with make book")
    if profile == PREVIEW_PROFILE and not allow_smoke:
        raise PublishError(f"{built} is a book of the {PREVIEW_PROFILE} profile (a preview): build the study with "
                           f"make book, or publish it anyway with ALLOW_SMOKE=1 (--allow-smoke)")
    return built


def publish(book: Path, remote: str, branch: str, allow_smoke: bool = False) -> str:
    """Commit ``book``'s built HTML onto ``branch`` of the clone at ``book`` and push it to ``remote``."""
    built = check_publishable(book, allow_smoke)
    message = f"Publish the book built in {built.resolve()}"
    try:
        with contextlib.chdir(book):  # ghp-import works on the git clone it is run in
            ghp_import(str(built.resolve()), mesg=message, remote=remote, branch=branch, push=True, nojekyll=True)
    except GhpError as error:
        raise PublishError(f"git refused to publish {built} to {remote} {branch}: {str(error).strip()}") from None
    except subprocess.CalledProcessError as error:  # the push; git has printed why above
        raise PublishError(f"git refused to publish {built} to {remote} {branch}: `{' '.join(error.cmd)}` "
                           f"exited {error.returncode} (git's message above)") from None
    return f"published {built} to branch {branch} of {remote}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.publish", description=__doc__.splitlines()[0])
    parser.add_argument("--remote", default="origin", help="a remote's name, or a URL or path git can push to")
    parser.add_argument("--branch", default="gh-pages", help="the branch that serves the pages")
    parser.add_argument("--book", type=Path, default=Path("."), help="the clone holding _build/html")
    parser.add_argument("--allow-smoke", action="store_true", help="publish a smoke-profile preview too")
    add_debug_flag(parser)
    args = parser.parse_args(argv)
    with reported(args.debug):
        print(publish(args.book, args.remote, args.branch, args.allow_smoke))
    return 0


if __name__ == "__main__":
    sys.exit(main())
