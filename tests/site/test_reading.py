"""What a reader sees at 1280 x 800 (desktop) and 390 x 844 (a phone), in Chromium, on the built book (issue 18):

- every figure's smallest text, as rendered: the size recorded in its PNG (`lstm_course.viz` writes the smallest
  font of the drawn figure, in the PNG's own pixels) times the width the page shows it at over its drawn width.
  Desktop: 10 CSS px or more. Phone: 10 px or more, or a tap opens the figure at a size where it is;
- the live cell explorer in sequence mode: with a weight's control scrolled into view, the diagram, the strip chart
  (desktop) and the control are all on screen and on top, and the diagram's and the strip chart's labels are 10 px
  or more; its notes say when the reader has changed the settings they describe; on a phone, "Back to top" covers
  no part of it;
- no page shows "undefined", "NaN" or "null" (outside code), explorers in sequence mode included;
- the ipywidgets manager (3.6 MB) is on a page only when the page shows an ipywidget (no browser needed).

The numbers measured go to `test-artifacts/reading/` (figure text sizes, explorer layout, page weights).
"""

from __future__ import annotations

import base64
import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import sitecheck

from lstm_course import viz

pytestmark = [pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "reading"
VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}
MIN_PX = 10.0
#: Pages with a sequence-mode explorer, and the chapter whose explorer shows two units.
SEQUENCE_PAGES = ("book/02_forget_gate.html", "book/06_whole_cell.html")
WIDGET_MANAGER = re.compile(r"<script[^>]+src=\"[^\"]*(html-manager|embed-amd)[^\"]*\"")
WIDGET_VIEW = 'application/vnd.jupyter.widget-view+json'


@pytest.fixture(scope="module")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def _chapters(site_dir: Path) -> list[str]:
    return [p for p in sitecheck.html_pages(site_dir) if sitecheck.is_chapter(p)]


class Page:
    """A page open at one viewport, nothing leaving the host."""

    def __init__(self, browser: Any, site_url: str, rel: str, viewport: str) -> None:
        w, h = VIEWPORTS[viewport]
        self.context = browser.new_context(viewport={"width": w, "height": h}, service_workers="block")
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.route("**/*", lambda r: r.abort() if sitecheck._is_offhost(r.request.url, site_url)
                        else r.continue_())
        self.page.goto(site_url + rel, wait_until="load")
        self.page.wait_for_load_state("networkidle")
        self.page.evaluate(sitecheck._WAIT_READY)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_page(browser: Any, site_url: str) -> Iterator[Any]:
    opened: list[Page] = []

    def _open(rel: str, viewport: str) -> Page:
        p = Page(browser, site_url, rel, viewport)
        opened.append(p)
        return p

    yield _open
    for p in opened:
        p.close()


# --------------------------------------------------------------------------------------------- figures

_IMAGES = """() => Array.from(document.querySelectorAll('.bd-article img'))
  .filter((img) => img.getClientRects().length && img.naturalWidth > 0)
  .map((img, k) => { img.dataset.readingIndex = String(k);
    return {index: k, src: img.getAttribute('src'), shown: img.getBoundingClientRect().width,
            natural: img.naturalWidth, zoomable: img.classList.contains('figure-zoomable')}; })"""

_ZOOM = """async (index) => {
  const img = document.querySelector(`img[data-reading-index="${index}"]`);
  img.scrollIntoView({block: 'center'});
  img.click();
  await new Promise((r) => setTimeout(r, 100));
  const big = document.querySelector('.figure-zoom img');
  if (!big) return null;
  await big.decode().catch(() => null);
  const out = {shown: big.getBoundingClientRect().width, natural: big.naturalWidth,
               dialog: big.closest('[role=dialog]') !== null};
  document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape'}));
  document.querySelector('.figure-zoom-close').click();
  out.closed = !document.querySelector('.figure-zoom');
  return out;
}"""


def _png_bytes(site_dir: Path, page_rel: str, src: str) -> bytes:
    if src.startswith("data:"):
        return base64.b64decode(src.split(",", 1)[1])
    path = (site_dir / page_rel).parent / unquote(urlsplit(src).path)
    return path.resolve().read_bytes()


def _is_png(site_dir: Path, page_rel: str, src: str) -> bool:
    return src.startswith("data:image/png") or urlsplit(src).path.lower().endswith(".png")


def _measure_figures(p: Page, site_dir: Path, rel: str, viewport: str) -> tuple[list[dict], list[str]]:
    rows, problems = [], []
    for img in p.page.evaluate(_IMAGES):
        if not _is_png(site_dir, rel, img["src"]):
            continue
        record = viz.read_text_record(_png_bytes(site_dir, rel, img["src"]))
        name = f"{rel} image {img['index'] + 1} ({img['src'][:60]})"
        if record is None:
            problems.append(f"{name}: its PNG has no text-size record (draw it with lstm_course.viz, or "
                            "import lstm_course.viz before showing it)")
            continue
        rendered = record["smallest_text_px"] * img["shown"] / img["natural"]
        row = {"page": rel, "image": img["index"] + 1, "natural_px": img["natural"], "shown_px":
               round(img["shown"], 1), "smallest_text_pt": record["smallest_text_pt"],
               "rendered_text_px": round(rendered, 1)}
        if rendered < MIN_PX:
            zoom = p.page.evaluate(_ZOOM, img["index"]) if img["zoomable"] else None
            if zoom:
                row["zoomed_text_px"] = round(record["smallest_text_px"] * zoom["shown"] / zoom["natural"], 1)
            if viewport == "desktop":
                problems.append(f"{name}: smallest text {rendered:.1f} px at {img['shown']:.0f} of "
                                f"{img['natural']} px wide (needs {MIN_PX:g})")
            elif not zoom or not zoom["dialog"] or not zoom["closed"] or row["zoomed_text_px"] < MIN_PX:
                problems.append(f"{name}: smallest text {rendered:.1f} px and a tap "
                                f"{'opens no full-size view' if not zoom else f'shows it at {zoom}'}")
        rows.append(row)
    return rows, problems


@pytest.fixture(scope="module")
def visits(browser: Any, site_url: str, site_dir: Path, artifacts: Path) -> dict[str, Any]:
    """Every page, loaded once at the desktop size: its figures' text sizes there and, with the window narrowed to
    the phone's size (the page lays itself out again), there; then, back at the desktop size with every explorer
    switched to sequence mode and two units, the words it shows."""
    out: dict[str, Any] = {"rows": {v: [] for v in VIEWPORTS}, "problems": {v: [] for v in VIEWPORTS},
                           "words": {}, "errors": {}}
    for rel in sitecheck.html_pages(site_dir):
        p = Page(browser, site_url, rel, "desktop")
        try:
            if sitecheck.is_chapter(rel):
                for viewport, (w, h) in VIEWPORTS.items():
                    p.page.set_viewport_size({"width": w, "height": h})
                    p.page.wait_for_timeout(150)
                    rows, problems = _measure_figures(p, site_dir, rel, viewport)
                    out["rows"][viewport] += rows
                    out["problems"][viewport] += problems
                p.page.set_viewport_size(dict(zip(("width", "height"), VIEWPORTS["desktop"], strict=True)))
            p.page.evaluate(_ALL_SEQUENCES)
            words = p.page.evaluate(_VISIBLE_WORDS)
            if words:
                out["words"][rel] = words
            if p.errors:
                out["errors"][rel] = p.errors
        finally:
            p.close()
    for viewport, rows in out["rows"].items():
        (artifacts / f"figure-text-{viewport}.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return out


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_every_figure_text_is_readable(visits: dict[str, Any], viewport: str) -> None:
    assert not visits["problems"][viewport], "\n".join(visits["problems"][viewport])
    assert len(visits["rows"][viewport]) >= 20, f"only {len(visits['rows'][viewport])} figures measured"


def test_reading_pages_raise_no_errors(visits: dict[str, Any]) -> None:
    assert not visits["errors"], visits["errors"]


def test_the_text_check_fails_on_a_shrunk_figure(open_page: Any, site_dir: Path) -> None:
    # The same measurement on a figure squeezed to half its shown width fails: the check can fail.
    rel = "book/06_whole_cell.html"
    p = open_page(rel, "desktop")
    imgs = [i for i in p.page.evaluate(_IMAGES) if _is_png(site_dir, rel, i["src"])]
    first = imgs[0]
    p.page.evaluate("(k) => { document.querySelector(`img[data-reading-index=\"${k}\"]`).style.width = '25%'; }",
                    first["index"])
    shown = p.page.evaluate("(k) => document.querySelector(`img[data-reading-index=\"${k}\"]`)"
                            ".getBoundingClientRect().width", first["index"])
    record = viz.read_text_record(_png_bytes(site_dir, rel, first["src"]))
    assert record["smallest_text_px"] * shown / first["natural"] < MIN_PX


# --------------------------------------------------------------------------------------------- the explorer

_LAYOUT = r"""async (control) => {
  const root = document.querySelector('.lx[data-mode="sequence"]');
  const input = root.querySelector(`[data-input="${control}"]`);
  input.scrollIntoView({block: 'start'});  // the browser honours the control's scroll margin (under the pictures)
  await new Promise((r) => setTimeout(r, 300));
  const seen = (el) => {
    const r = el.getBoundingClientRect();
    const cx = r.left + Math.min(r.width, innerWidth - r.left) / 2;
    const top = (y) => { const hit = document.elementFromPoint(cx, y); return !!hit && el.contains(hit); };
    return {top: Math.round(r.top), bottom: Math.round(r.bottom),
            inView: r.top >= 0 && r.bottom <= innerHeight,
            onTop: top(r.top + 3) && top((r.top + r.bottom) / 2) && top(r.bottom - 3)};
  };
  const textPx = (svg) => {
    const k = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    return Math.min(...Array.from(svg.querySelectorAll('text')).filter((t) => t.textContent.trim())
      .map((t) => parseFloat(getComputedStyle(t).fontSize) * k));
  };
  const diagram = root.querySelector('.lx-diagram'), strip = root.querySelector('.lx-strip');
  return {height: Math.round(root.getBoundingClientRect().height), diagram: seen(diagram), strip: seen(strip),
          control: seen(input), diagramText: textPx(diagram), stripText: textPx(strip)};
}"""


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("rel", SEQUENCE_PAGES)
def test_the_explorer_keeps_its_pictures_in_view_while_dragging(open_page: Any, artifacts: Path, viewport: str,
                                                                rel: str) -> None:
    p = open_page(rel, viewport)
    out = {}
    for control in ("W_f_x", "b_o"):  # one near the top of the controls, one at the bottom
        m = p.page.evaluate(_LAYOUT, control)
        out[control] = m
        assert m["control"]["inView"] and m["control"]["onTop"], (control, m)
        assert m["diagram"]["inView"] and m["diagram"]["onTop"], (control, m)
        if viewport == "desktop":
            assert m["strip"]["inView"] and m["strip"]["onTop"], (control, m)
            assert m["stripText"] >= MIN_PX, m
        assert m["diagramText"] >= MIN_PX, m
    (artifacts / f"explorer-{viewport}-{Path(rel).stem}.json").write_text(json.dumps(out, indent=1), encoding="utf-8")
    shot = ROOT / "test-artifacts" / "reading" / f"explorer-{viewport}-{Path(rel).stem}.png"
    p.page.screenshot(path=str(shot))
    assert not p.errors


def _set(page: Any, root_id: str, name: str, value: float) -> str:
    return page.evaluate("""([id, name, value]) => {
      const root = document.getElementById(id);
      const input = root.querySelector(`input[data-input="${name}"]`);
      input.value = String(value);
      input.dispatchEvent(new Event('input', {bubbles: true}));
      return root.querySelector('.lx-status').textContent;
    }""", [root_id, name, value])


@pytest.mark.parametrize(("rel", "says", "name", "value", "stale"), [
    ("book/05_output_gate.html", "(b_o = -6)", "b_o", 4, "b_o is now 4.00"),
    ("book/02_forget_gate.html", "(W_f on x is 10)", "W_f_x", 0, "W_f on x is now 0.00"),
])
def test_explorer_notes_say_when_the_settings_changed(open_page: Any, rel: str, says: str, name: str, value: float,
                                                      stale: str) -> None:
    p = open_page(rel, "desktop")
    found = p.page.evaluate("""([says, name]) => {
      const root = Array.from(document.querySelectorAll('.lx[data-mode="sequence"]'))
        .find((r) => r.querySelector('.lx-status').textContent.includes(says));
      return root && [root.id, root.querySelector('.lx-status').textContent,
                      Number(root.querySelector(`input[data-input="${name}"]`).value)];
    }""", [says, name])
    assert found, f"no explorer on {rel} whose note says {says!r}"
    root_id, before, original = found
    assert "changed" not in before
    after = _set(p.page, root_id, name, value)
    assert after.startswith("At the settings this explorer opened with: " + before), after
    assert stale in after
    assert _set(p.page, root_id, name, original) == before  # back at the settings: the note is plain again


def test_back_to_top_covers_no_explorer_on_a_phone(open_page: Any) -> None:
    p = open_page("book/06_whole_cell.html", "phone")
    covered = p.page.evaluate("""async () => {
      const table = document.querySelector('.lx[data-mode="sequence"] .lx-table');
      table.scrollIntoView({block: 'end'});
      window.scrollBy(0, 400);
      await new Promise((r) => setTimeout(r, 200));
      window.scrollBy(0, -400);  // scrolling up is what shows the theme's "Back to top"
      await new Promise((r) => setTimeout(r, 600));
      const b = document.querySelector('#pst-back-to-top');
      if (!b || !b.getClientRects().length) return null;
      const r = b.getBoundingClientRect(), t = table.getBoundingClientRect();
      return r.bottom > t.top && r.top < t.bottom && r.right > t.left && r.left < t.right ? [r.top, t.top] : null;
    }""")
    assert covered is None, f"'Back to top' covers the values table: {covered}"


# --------------------------------------------------------------------------------------------- words

_VISIBLE_WORDS = r"""() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {acceptNode: (n) =>
    n.parentElement.closest('pre, code, script, style, textarea, .highlight, .cell_input') ?
      NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
  while (walker.nextNode()) {
    const n = walker.currentNode;
    if (!n.parentElement.getClientRects().length) continue;
    const m = n.textContent.match(/\b(undefined|NaN|null)\b/);
    if (m) out.push(n.textContent.trim().slice(0, 80));
  }
  return out;
}"""


_ALL_SEQUENCES = """() => { for (const root of document.querySelectorAll('.lx[data-mode]')) {
    const seq = root.querySelector('input[data-input="mode"][value="sequence"]');
    seq.checked = true; seq.dispatchEvent(new Event('change', {bubbles: true}));
    const two = root.querySelector('input[data-input="two_units"]');
    if (!two.checked) { two.checked = true; two.dispatchEvent(new Event('change', {bubbles: true})); }
    const u2 = root.querySelector('input[data-input="unit"][value="2"]');
    u2.checked = true; u2.dispatchEvent(new Event('change', {bubbles: true}));
} }"""


def test_no_page_shows_undefined_nan_or_null(visits: dict[str, Any]) -> None:
    assert not visits["words"], visits["words"]


def test_the_word_scan_finds_undefined(open_page: Any) -> None:
    p = open_page("book/intro.html", "desktop")
    p.page.evaluate("() => document.querySelector('.bd-article p').append(' x is undefined here')")
    assert p.page.evaluate(_VISIBLE_WORDS)


# --------------------------------------------------------------------------------------------- page weight

def _weights(site_dir: Path, rel: str) -> dict[str, int]:
    """The page's HTML plus the local scripts, styles and images it references: bytes raw and gzipped."""
    page = site_dir / rel
    html = page.read_text(encoding="utf-8", errors="replace")
    files = {page.resolve()}
    for ref in re.findall(r"<(?:script|img)[^>]+src=\"([^\"]+)\"|<link[^>]+rel=\"stylesheet\"[^>]+href=\"([^\"]+)\"",
                          html):
        src = next(r for r in ref if r)
        parts = urlsplit(src)
        if parts.scheme or parts.netloc:
            continue
        target = (page.parent / unquote(parts.path)).resolve()
        if target.is_file():
            files.add(target)
    raw = sum(f.stat().st_size for f in files)
    return {"raw": raw, "gzip": sum(len(gzip.compress(f.read_bytes(), 6)) for f in files)}


def test_only_pages_with_widgets_load_the_widget_manager(site_dir: Path, artifacts: Path) -> None:
    weights, wrong = {}, []
    with_widgets = 0
    for rel in sitecheck.html_pages(site_dir):
        html = (site_dir / rel).read_text(encoding="utf-8", errors="replace")
        shows = WIDGET_VIEW in html
        loads = bool(WIDGET_MANAGER.search(html))
        with_widgets += shows
        if shows != loads:
            wrong.append(f"{rel}: {'shows' if shows else 'shows no'} ipywidget but "
                         f"{'loads' if loads else 'does not load'} the widget manager")
        if "scripts/fontawesome.js" in html:  # the theme's 1.5 MB SVG-in-JS icons (_templates/ leaves them out)
            wrong.append(f"{rel}: loads the theme's fontawesome.js")
        weights[rel] = {**_weights(site_dir, rel), "widget_manager": loads}
    (artifacts / "page-weights.json").write_text(json.dumps(weights, indent=1), encoding="utf-8")
    assert with_widgets >= 1, "no page shows an ipywidget: is this the book?"
    assert not wrong, "\n".join(wrong)
    # A page without widgets carries no 3.6 MB manager: such pages weigh 1.6-1.9 MB here (MathJax 1.2 MB, the theme's
    # CSS 0.4 MB, figures; chapter 11, whose page holds the reader, 2.5 MB), those with it 5.5-5.8 MB. (HTML, scripts,
    # styles and images only; what the browser downloads, fonts included, is tests/site/test_page_weight.py's.)
    for rel, w in weights.items():
        if not w["widget_manager"]:
            assert w["raw"] < 3_000_000, (rel, w)
