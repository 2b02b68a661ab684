"""make publish (lib.publish): a built book goes to a branch of a bare repository; an
unbuilt or smoke-profile book is refused before git is touched."""
import subprocess
from pathlib import Path

import pytest

from lib.publish import PublishError, built_profile, publish

GIT_USER = ["-c", "user.name=Study", "-c", "user.email=study@example.org"]


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *GIT_USER, *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def built_book(root: Path, profile: str) -> Path:
    """A clone holding a built book whose landing page names ``profile`` in its build table."""
    html = root / "_build" / "html"
    (html / "book").mkdir(parents=True)
    (html / "index.html").write_text('<meta http-equiv="Refresh" content="0; url=book/intro.html" />')
    (html / "book" / "intro.html").write_text(
        f"<h2>This build</h2><table><tr><td><p>profile</p></td><td><p><span>{profile}</span></p></td></tr></table>")
    git("init", "-q", "-b", "main", cwd=root)
    git("config", "user.name", "Study", cwd=root)
    git("config", "user.email", "study@example.org", cwd=root)
    return root


@pytest.fixture
def bare(tmp_path) -> Path:
    remote = tmp_path / "site.git"
    git("init", "-q", "--bare", str(remote), cwd=tmp_path)
    return remote


@pytest.mark.parametrize("profile", ["cpu", "cpu-long", "paper", "smoke"])
def test_the_profile_is_read_from_the_landing_pages_build_table(tmp_path, profile):
    assert built_profile(built_book(tmp_path, profile) / "_build" / "html" / "book" / "intro.html") == profile


def test_a_built_book_lands_on_the_branch_with_nojekyll_and_again_on_top(tmp_path, bare):
    book = built_book(tmp_path / "clone", "cpu")
    assert "branch gh-pages" in publish(book, str(bare), "gh-pages")
    files = git("ls-tree", "-r", "--name-only", "gh-pages", cwd=bare).split()
    assert sorted(files) == [".nojekyll", "book/intro.html", "index.html"]
    (book / "_build" / "html" / "book" / "new.html").write_text("<p>a later build</p>")
    publish(book, str(bare), "gh-pages")  # a second publication is a new commit on the branch
    assert "book/new.html" in git("ls-tree", "-r", "--name-only", "gh-pages", cwd=bare).split()
    assert git("rev-list", "--count", "gh-pages", cwd=bare).strip() == "2"


def test_a_smoke_book_is_refused_unless_asked(tmp_path, bare):
    book = built_book(tmp_path / "clone", "smoke")
    with pytest.raises(PublishError, match="smoke profile .* ALLOW_SMOKE=1"):
        publish(book, str(bare), "gh-pages")
    assert git("branch", "--list", cwd=bare).strip() == ""  # nothing was pushed
    publish(book, str(bare), "gh-pages", allow_smoke=True)
    assert "index.html" in git("ls-tree", "-r", "--name-only", "gh-pages", cwd=bare).split()


def test_an_unbuilt_book_or_a_page_without_a_profile_is_refused(tmp_path, bare):
    with pytest.raises(PublishError, match="no built book .* run make book first"):
        publish(tmp_path, str(bare), "gh-pages")
    book = built_book(tmp_path / "clone", "cpu")
    (book / "_build" / "html" / "book" / "intro.html").write_text("<p>some other site</p>")
    with pytest.raises(PublishError, match="names no profile"):
        publish(book, str(bare), "gh-pages")


def test_a_remote_git_cannot_reach_is_one_error_naming_it(tmp_path):
    book = built_book(tmp_path / "clone", "cpu")
    with pytest.raises(PublishError, match=f"git refused to publish .* {tmp_path / 'nowhere.git'}"):
        publish(book, str(tmp_path / "nowhere.git"), "gh-pages")
