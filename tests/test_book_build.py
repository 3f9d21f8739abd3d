"""The book's configuration (issue 3 point 6, issue 5): launch and download buttons from one repository URL, each
chapter's Colab-only install cell, a static site (no thebe), and the same `make book` in the Makefile and in CI."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
REPO_URL = CONFIG["repository"]["url"]


def _chapter_notebooks() -> list[Path]:
    files = [c["file"] for part in TOC.get("parts", []) for c in part.get("chapters", [])]
    return [ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").is_file()]


def test_repository_url_is_a_github_repository() -> None:
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", REPO_URL), REPO_URL
    assert CONFIG["repository"]["branch"] == "main"
    assert CONFIG["repository"]["path_to_book"] == "", "the book's paths are relative to the repository root"


def test_the_repository_url_is_written_once_in_the_config() -> None:
    text = (ROOT / "_config.yml").read_text()
    assert re.findall(r"^\s*url:\s*(\S+)", text, flags=re.M) == [REPO_URL]
    assert "THE REPOSITORY URL" in text, "the comment that documents where the URL lives"


def test_launch_and_download_buttons_are_on() -> None:
    launch = CONFIG["launch_buttons"]
    assert launch["colab_url"] == "https://colab.research.google.com"
    assert launch["binderhub_url"] == "https://mybinder.org"
    assert launch.get("thebe") is False, "no live code: it would need a CDN and a remote kernel"
    assert CONFIG["html"]["use_download_button"] is True
    assert CONFIG["html"]["use_repository_button"] is True


@pytest.mark.parametrize("path", [*_chapter_notebooks(), *sorted((ROOT / "solutions").glob("*.ipynb")),
                                  *sorted((ROOT / "exercises").glob("*.ipynb"))],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_first_code_cell_installs_the_library_where_it_is_missing(path: Path) -> None:
    """A notebook opened on its own (Colab, a download in VS Code) installs lstm_course; elsewhere it does nothing."""
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, f"{path.name} has no code cell"
    first = code[0].source
    lines = [ln for ln in first.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    assert lines == ["try:", "    import lstm_course", "except ImportError:",
                     f'    %pip install --quiet "lstm_course @ git+{REPO_URL}"'], (
        f"{path.name}: the first code cell must install lstm_course from {REPO_URL} only where it is missing:\n{first}")


def test_every_numbered_chapter_notebook_is_in_the_toc() -> None:
    numbered = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
    assert len(numbered) >= 8
    assert set(numbered) <= set(_chapter_notebooks()), "a chapter notebook missing from _toc.yml"


def test_ci_publishes_with_the_same_make_book() -> None:
    makefile = (ROOT / "Makefile").read_text()
    book = re.search(r"^book:.*\n((?:\t.*\n)+)", makefile, flags=re.M)
    assert book and "--warningiserror" in book.group(1) and "rm -rf $(BUILD)" in book.group(1)
    workflow = yaml.safe_load((ROOT / ".github/workflows/pages.yml").read_text())
    steps = [s for job in workflow["jobs"].values() for s in job.get("steps", [])]
    runs = [s.get("run", "") for s in steps]
    assert any(r.strip() == "make book" for r in runs), "the workflow builds with `make book`"
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("actions/upload-pages-artifact") for u in uses)
    assert any(u.startswith("actions/deploy-pages") for u in uses)
    artifact = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert artifact["with"]["path"] == "_build/html"


#: The one script every page needs (a tap on a shrunk figure shows it full width), so it may sit in _static/.
SITE_WIDE_SCRIPTS = {"figure-zoom.js"}


def test_static_holds_only_the_site_wide_script() -> None:
    """Jupyter Book puts every .js under _static/ on every page; other scripts live in _js/ and load where needed."""
    assert sorted(p.name for p in (ROOT / "_static").rglob("*.js")) == sorted(SITE_WIDE_SCRIPTS)
