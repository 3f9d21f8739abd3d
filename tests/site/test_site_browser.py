"""The built site in a real browser (issue 5): self-contained, every page clean, math and widgets working,
search offline, launch/download buttons right, alt text, dark-mode figures. See conftest.py for the set-up."""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import sitecheck
import yaml

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
REPO_URL = CONFIG["repository"]["url"].rstrip("/")
REPO_SLUG = urlsplit(REPO_URL).path.strip("/")  # owner/name
BRANCH = CONFIG["repository"].get("branch", "main")


def _toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", [{"chapters": toc.get("chapters", [])}]):
        files += [c["file"] for c in part.get("chapters", [])]
    return files


def _chapters(site_pages: dict) -> list[str]:
    return [p for p in site_pages if sitecheck.is_chapter(p)]


def _notebook_chapters(site_pages: dict, site_dir: Path) -> list[str]:
    return [p for p in _chapters(site_pages) if (site_dir / "_sources" / p.replace(".html", ".ipynb")).is_file()]


def test_every_toc_entry_is_built(site_dir: Path) -> None:
    if os.environ.get("LSTM_COURSE_SITE"):
        pytest.skip("LSTM_COURSE_SITE points at another site; its table of contents is not this repository's")
    missing = [f for f in _toc_files() if not (site_dir / f"{f}.html").is_file()]
    assert not missing, f"pages in _toc.yml that the build did not produce: {missing}"
    assert (site_dir / "search.html").is_file()


def test_no_console_or_page_errors(site_pages: dict) -> None:
    bad = {p: r.console_errors + r.page_errors for p, r in site_pages.items() if r.console_errors or r.page_errors}
    assert not bad, f"errors in the browser console: {json.dumps(bad, indent=1)}"


def test_no_failed_request(site_pages: dict) -> None:
    bad = {p: r.failed_requests for p, r in site_pages.items() if r.failed_requests}
    bad.update({p: ["no <link rel=icon>: the browser asks for /favicon.ico, a 404"]
                for p, r in site_pages.items() if not r.has_icon and p == r.final_path})
    assert not bad, f"requests that failed (404, blocked, ...): {json.dumps(bad, indent=1)}"


def test_no_request_leaves_the_host(site_pages: dict) -> None:
    bad = {p: r.offhost_requests for p, r in site_pages.items() if r.offhost_requests}
    assert not bad, f"requests to another host (the site must be self-contained): {json.dumps(bad, indent=1)}"


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("id", "name") and value:
                self.ids.add(value)


def _ids(path: Path, cache: dict[Path, set[str]]) -> set[str]:
    if path not in cache:
        parser = _Ids()
        parser.feed(path.read_text(encoding="utf-8", errors="replace"))
        cache[path] = parser.ids
    return cache[path]


def test_internal_links_resolve(site_pages: dict, site_dir: Path) -> None:
    broken = []
    id_cache: dict[Path, set[str]] = {}
    for rel, report in site_pages.items():
        rel = report.final_path
        page_dir = (site_dir / rel).parent
        for href in report.links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith(("mailto:", "javascript:")):
                continue
            target = (page_dir / unquote(parts.path)).resolve() if parts.path else (site_dir / rel).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{rel}: {href} (no such file)")
            elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in _ids(target, id_cache):
                broken.append(f"{rel}: {href} (no element with id {parts.fragment!r})")
    assert not broken, "broken internal links:\n" + "\n".join(broken)


def test_images_load_and_have_alt_text(site_pages: dict) -> None:
    problems = []
    for rel, report in site_pages.items():
        for img in report.images:
            name = img["src"][:60]
            if not img["loaded"]:
                problems.append(f"{rel}: image {name} did not load")
            alt = (img["alt"] or "").strip()
            if img["in_article"] and (not alt or re.search(r"\.(png|svg|jpe?g|gif)$", alt)):
                problems.append(f"{rel}: image {name} has no alt text (alt={img['alt']!r})")
    assert not problems, "\n".join(problems)


def test_every_equation_is_typeset(site_pages: dict) -> None:
    problems = []
    for rel, report in site_pages.items():
        math = report.math
        if math["untypeset"]:
            problems.append(f"{rel}: {len(math['untypeset'])}/{math['total']} equations not typeset: "
                            f"{math['untypeset'][:3]}")
        if math["raw_tex"]:
            problems.append(f"{rel}: TeX left as text: {math['raw_tex'][:3]}")
    assert not problems, "\n".join(problems)
    assert sum(r.math["typeset"] for r in site_pages.values()) > 0, "no equation anywhere: is MathJax loaded at all?"


def test_every_widget_renders(site_pages: dict) -> None:
    problems = []
    for rel, report in site_pages.items():
        w = report.widgets
        if w["mounted"] != w["views"]:
            problems.append(f"{rel}: {w['mounted']} of {w['views']} widget views rendered")
        if w["problems"]:
            problems.append(f"{rel}: {w['problems']}")
    assert not problems, "\n".join(problems)
    assert any(r.widgets["views"] for r in site_pages.values()), "no widget anywhere in the site"


def test_sliders_move_from_the_keyboard_and_change_the_view(site_pages: dict) -> None:
    problems = []
    for rel in _chapters(site_pages):
        report = site_pages[rel]
        if not report.widgets["views"]:
            continue
        if not report.sliders:
            problems.append(f"{rel}: has widgets but no slider")
        for s in report.sliders:
            if not s["focused"]:
                problems.append(f"{rel}: slider {s['label']!r} cannot take the keyboard focus")
            elif s["value_before"] == s["value_after"]:
                problems.append(f"{rel}: slider {s['label']!r} did not move with the arrow keys")
            elif not s["changed"]:
                problems.append(f"{rel}: moving slider {s['label']!r} ({s['value_before']} -> {s['value_after']})"
                                " changed nothing else on the page")
    assert not problems, "\n".join(problems)


def test_search_works_offline(browser: object, site_url: str, site_pages: dict) -> None:
    results = sitecheck.search_results(browser, site_url, "forget")
    assert results, "search.html?q=forget listed no result"


def test_launch_and_download_buttons_point_at_the_notebook(site_pages: dict, site_dir: Path) -> None:
    notebooks = _notebook_chapters(site_pages, site_dir)
    assert notebooks, "no chapter built from a notebook"
    problems = []
    for rel in notebooks:
        source = rel.replace(".html", ".ipynb")  # the notebook's path in the repository (path_to_book is "")
        links = site_pages[rel].head_links
        colab = f"https://colab.research.google.com/github/{REPO_SLUG}/blob/{BRANCH}/{source}"
        if colab not in links["colab"]:
            problems.append(f"{rel}: Colab button {links['colab']} is not {colab}")
        binder_ok = [h for h in links["binder"] if h.startswith("https://mybinder.org/") and REPO_SLUG in h]
        if not any(h.endswith(source) for h in binder_ok):
            problems.append(f"{rel}: Binder button {links['binder']} does not open {REPO_SLUG} / {source}")
        downloads = [h for h in links["download"] if h.endswith("/_sources/" + source)]
        if not downloads:
            problems.append(f"{rel}: no download button for {source}: {links['download']}")
        else:
            local = site_dir / "_sources" / source
            nb = json.loads(local.read_text())
            if not nb.get("cells") or nb.get("nbformat") != 4:
                problems.append(f"{rel}: the downloaded {source} is not a notebook")
    assert not problems, "\n".join(problems)


def _rgba(css: str) -> tuple[float, float, float, float]:
    nums = [float(x) for x in re.findall(r"[\d.]+", css)]
    return (nums[0], nums[1], nums[2], nums[3] if len(nums) > 3 else 1.0)


def test_figures_stay_readable_in_dark_mode(site_pages: dict) -> None:
    problems = []
    checked = 0
    for rel, report in site_pages.items():
        for img in report.dark_images:
            r, g, b, a = _rgba(img["background"])
            checked += 1
            if a < 1 or (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255 < 0.6:
                problems.append(f"{rel}: {img['src']} has background {img['background']} in dark mode")
    assert not problems, "figures (black text) need a light background in dark mode:\n" + "\n".join(problems)
    assert checked, "no figure in the site to check"


def test_widget_text_stays_readable_in_dark_mode(site_pages: dict) -> None:
    low = [f"{rel}: {t['text']!r} contrast {t['contrast']:.1f}" for rel, r in site_pages.items()
           for t in r.dark_widget_text if t["contrast"] < 4.5]
    assert not low, "widget text below WCAG's 4.5:1 contrast in dark mode:\n" + "\n".join(low)


def _math_and_widget_chapter(site_pages: dict) -> str:
    both = [p for p in _chapters(site_pages) if site_pages[p].widgets["views"] and site_pages[p].math["total"]]
    assert both, "no chapter with both equations and widgets"
    return both[0]


def test_without_the_hub_shim_the_widget_page_errors(browser: object, site_url: str, site_pages: dict) -> None:
    """Control: the shim is what keeps widget pages with math clean, and the console check would see its loss."""
    rel = _math_and_widget_chapter(site_pages)
    report = sitecheck.visit(browser, site_url, rel, stub=("**/mathjax2-hub-shim.js*",))
    assert any("Queue" in e for e in report.page_errors + report.console_errors), report.page_errors


def test_without_mathjax_the_equation_check_fails(browser: object, site_url: str, site_pages: dict) -> None:
    """Control: the typesetting check looks at the page, not at whether MathJax's file was served."""
    rel = _math_and_widget_chapter(site_pages)
    report = sitecheck.visit(browser, site_url, rel, stub=("**/mathjax/es5/tex-chtml.js*",))
    assert report.math["untypeset"] and report.math["typeset"] == 0


def test_each_chapter_has_a_screenshot(site_pages: dict) -> None:
    for rel in _chapters(site_pages):
        shot = site_pages[rel].screenshot
        assert shot and Path(shot).stat().st_size > 10_000, f"{rel}: no screenshot saved"
