"""No stray output on any page: every output area of the built chapters shows only what the chapter means to show.

What is scanned: each built page under `book/` (`_build/html/book/*.html`), each cell output area
(`div.cell_output`, myst-nb's container for one code cell's outputs). In it, the text outputs: `text/plain` results
and streams (`div.output` with class `text_plain`, `stream`, `text_html` …, and their `<pre>`). Stray means:

- a matplotlib or widget object's repr: `Text(`, `Legend`, `<matplotlib`, `<Figure size`, `<Axes`, `Axes(`,
  `Line2D`, `AxesImage`, `<ipywidgets`, `PathCollection`, `BarContainer`;
- a tuple or list of such things printed under a plot: a `text/plain` result that starts with `(` or `[` in an
  output area that also holds an image (what `ax.plot(...)` or `fig, ax = …; ax.legend()` leaves as the cell's value).

The test parses the built HTML (no browser needed); it needs the site, so it uses the same `site_dir` fixture as the
browser tests (built with `make book` when missing or stale).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bs4 import BeautifulSoup

STRAY = re.compile(r"\bText\(|\bLegend\b|<matplotlib|<Figure size|<Axes\b|\bAxes\(|\bLine2D\b|\bAxesImage\b|"
                   r"<ipywidgets|\bPathCollection\b|\bBarContainer\b")
TUPLE_UNDER_PLOT = re.compile(r"^\s*[\(\[]")


@dataclass
class OutputArea:
    page: str
    index: int  # the n-th output area on the page, from 1
    texts: list[tuple[str, str]]  # (kind, text): kind is "result" (text/plain value) or "stream"
    has_image: bool


def output_areas(html: str, page: str) -> list[OutputArea]:
    """Every `div.cell_output` of a built page, with its text outputs and whether it shows an image."""
    soup = BeautifulSoup(html, "html.parser")
    areas = []
    for n, div in enumerate(soup.select("div.cell_output"), start=1):
        texts = []
        for out in div.select("div.output"):
            classes = set(out.get("class", []))
            if "stream" in classes:
                texts.append(("stream", out.get_text()))
            elif classes & {"text_plain", "text_html", "text_markdown", "text_latex"}:
                texts.append(("result", out.get_text()))
        has_image = bool(div.select("img")) or bool(div.select("svg"))
        areas.append(OutputArea(page, n, texts, has_image))
    return areas


def stray_outputs(areas: list[OutputArea]) -> list[str]:
    """What a reader should not see, as ``"page, output n: text"``."""
    found = []
    for area in areas:
        for kind, text in area.texts:
            where = f"{area.page}, output area {area.index} ({kind})"
            if STRAY.search(text):
                found.append(f"{where}: {text.strip()[:120]!r}")
            elif kind == "result" and area.has_image and TUPLE_UNDER_PLOT.match(text):
                found.append(f"{where}, under a plot: {text.strip()[:120]!r}")
    return found


def _chapter_pages(site_dir: Path) -> list[Path]:
    return sorted((site_dir / "book").glob("*.html"))


def test_no_stray_output_on_any_page(site_dir: Path) -> None:
    pages = _chapter_pages(site_dir)
    assert len(pages) >= 8, f"expected the chapters' pages in {site_dir / 'book'}, found {len(pages)}"
    areas = [a for p in pages for a in output_areas(p.read_text(encoding="utf-8"), p.name)]
    assert len(areas) > 20 and any(a.texts for a in areas)  # the scan sees the outputs
    found = stray_outputs(areas)
    assert not found, "stray output (end the cell with `;` or assign the value):\n" + "\n".join(found)


_PAGE = """<div class="cell docutils container"><div class="cell_output docutils container">{}</div></div>"""
_PRE = """<div class="highlight"><pre>{}</pre></div></div>"""
_RESULT = """<div class="output text_plain highlight-myst-ansi notranslate">""" + _PRE
_STREAM = """<div class="output stream highlight-myst-ansi notranslate">""" + _PRE
_IMAGE = """<img alt="a plot" class="" src="../_images/x.png" />"""


def test_the_scan_catches_each_kind_of_stray_output() -> None:
    bad = [
        _RESULT.format("Text(0.5, 1.0, &#39;title&#39;)") + _IMAGE,
        _RESULT.format("&lt;matplotlib.legend.Legend at 0x7f&gt;") + _IMAGE,
        _RESULT.format("[&lt;matplotlib.lines.Line2D at 0x7f&gt;]"),
        _RESULT.format("&lt;Figure size 640x480 with 1 Axes&gt;"),
        _RESULT.format("(0.0, 1.05)") + _IMAGE,
        _STREAM.format("&lt;Axes: xlabel=&#39;step&#39;&gt;"),
    ]
    good = [
        _STREAM.format("both trained in 6 s\nLSTM: accuracy 100.0%") + _IMAGE,
        _RESULT.format("(0.0, 1.05)"),  # a tuple that is the point of the cell, with no plot
        _IMAGE,
    ]
    html = "".join(_PAGE.format(b) for b in bad + good)
    areas = output_areas(html, "example.html")
    assert len(areas) == len(bad) + len(good)
    found = stray_outputs(areas)
    assert len(found) == len(bad), found
    assert all(f"output area {n} " in hit for n, hit in enumerate(found, start=1))
