"""Fixtures for the browser tests of the built site (`_build/html`), in Debian's Chromium driven by Playwright.

- The site is built once (the same `make book` the workflow uses) when `_build/html` is missing or older than its
  sources; `make test` builds it just before, so there it is only checked. `LSTM_COURSE_SITE=<dir>` tests another
  built site instead (no build).
- It is served by `http.server` on 127.0.0.1, on a free port, from a thread.
- Each page is loaded once (`site_pages`), and everything the tests assert is recorded during that visit.
- Without a Chromium the tests skip with the reason; under CI (`CI=true`) a missing browser is a failure.
- Screenshots of each chapter go to `test-artifacts/screenshots/`.

`fixtures/widgets_math.ipynb` is a scratch chapter (math, a slider `jslink`-ed to a `Stack` of images, a plot) for
working on the site machinery without the real chapters: put it in a copy of the book with this `_config.yml`,
build that, and point `LSTM_COURSE_SITE` at its `_build/html`.
"""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sitecheck
from _browser import NO_CHROMIUM, chromium_browser, require_chromium

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
# What the site is built from: a newer file here means _build/html is stale.
SOURCES = ["_config.yml", "_toc.yml", "book", "lstm_course", "_static", "_js", "_vendor", "_templates",
           "tools/sphinx_vendor.py"]


def _newest_mtime(paths: list[Path]) -> float:
    newest = 0.0
    for path in paths:
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else []
        for f in files:
            if "__pycache__" not in f.parts and ".ipynb_checkpoints" not in f.parts:
                newest = max(newest, f.stat().st_mtime)
    return newest


def _build_is_stale(html: Path) -> bool:
    index = html / "index.html"
    return not index.is_file() or _newest_mtime([ROOT / s for s in SOURCES]) > index.stat().st_mtime


@pytest.fixture(scope="session")
def chromium_path() -> str:
    return require_chromium(f"browser tests skipped: {NO_CHROMIUM}", f"CI is set but {NO_CHROMIUM}")


@pytest.fixture(scope="session")
def site_dir(chromium_path: str) -> Path:
    """The built site: `LSTM_COURSE_SITE`, or `_build/html`, rebuilt with `make book` when missing or stale."""
    override = os.environ.get("LSTM_COURSE_SITE")
    if override:
        return Path(override).resolve()
    html = ROOT / "_build" / "html"
    if _build_is_stale(html):
        result = subprocess.run(["make", "book"], cwd=ROOT, capture_output=True, text=True)
        if result.returncode != 0:
            tail = f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
            pytest.fail(f"`make book` failed (exit {result.returncode}):\n{tail}")
    return html


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="session")
def site_url(site_dir: Path) -> Iterator[str]:
    """`http://127.0.0.1:<port>/`, serving `site_dir` from a thread."""
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[object]:
    with chromium_browser(chromium_path) as browser:
        yield browser


@pytest.fixture(scope="session")
def site_pages(browser: object, site_url: str, site_dir: Path) -> dict[str, sitecheck.PageReport]:
    """Every HTML page of the site, loaded once in the browser: path -> what was seen."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):  # the folder shows this run only
        old.unlink()
    reports = {}
    for rel in sitecheck.html_pages(site_dir):
        shot = SCREENSHOTS / (rel.replace("/", "__").removesuffix(".html") + ".png")
        reports[rel] = sitecheck.visit(browser, site_url, rel, screenshot=shot if sitecheck.is_chapter(rel) else None)
    return reports
