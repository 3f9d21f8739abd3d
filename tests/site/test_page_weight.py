"""What a reader's browser downloads for a page (issue 20: "The page stays under 3 MB"), and the icons that made it fit.

Measured in Chromium at the desktop size (1280 x 800) on the site served from 127.0.0.1 (conftest.py): every
response the page gets while it loads, MathJax typesets and the network goes idle, summed by body length (raw, as
served: the test server does not compress; and each body gzip-compressed at level 6, what a compressing server would
send). Chapter 11 (its page holds the character reader with its weights) and the landing page must stay under 3 MB
raw, and no request may leave 127.0.0.1. The figures go to `test-artifacts/page-weight/`.

Most of the weight a page shares with every other is the theme's: pydata-sphinx-theme's `fontawesome.js` (Font
Awesome as SVG-in-JS, 1.5 MB) is left off the pages by `_templates/static/webpack-macros.html`, and the icons render
from the Font Awesome webfonts the theme's CSS already declares. So this file also checks, in light and dark mode,
on those two pages and on a page with ipywidgets (whose manager adds Font Awesome 5's CSS), that every icon shown is
drawn by a loaded face of the theme's Font Awesome 6, at a readable size, in a colour that stands out from its
background, with no failed request; and that the icon check fails when the webfonts cannot load.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sitecheck

pytestmark = [pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "page-weight"
DESKTOP = {"width": 1280, "height": 800}
LIMIT = 3_000_000  # bytes, raw (issue 20)
CHAPTER_11 = "book/11_reading_code.html"
PLAIN = "book/intro.html"  # the landing page: text, math, no widget, no reader
WEIGHED = (CHAPTER_11, PLAIN)
#: The pages loaded: those weighed, and the first page with ipywidgets, whose manager (3.6 MB, not weighed here)
#: brings its own Font Awesome 5 CSS.
ROLES = ("chapter 11", "landing page", "widget page")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

# Every Font Awesome icon the page shows (not those hidden with display: none), as the browser draws it, and the
# state of each Font Awesome font face the CSS declares.
_ICONS = r"""async () => {
  await document.fonts.ready;
  const rgba = (css) => {
    const n = (css.match(/[\d.]+/g) || []).map(Number);
    return [n[0], n[1], n[2], n.length > 3 ? n[3] : 1];
  };
  const channel = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  const lum = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0.5) return c;
    }
    return rgba(getComputedStyle(document.body).backgroundColor);
  };
  const style = /^(fa|fas|far|fab|fa-solid|fa-regular|fa-brands)$/;
  const faces = Array.from(document.fonts).filter((f) => /Font Awesome/.test(f.family))
    .map((f) => ({family: f.family.replace(/["']/g, ""), weight: String(f.weight), status: f.status}));
  const icons = [];
  for (const el of document.querySelectorAll('[class*="fa"]')) {
    const classes = Array.from(el.classList);
    if (!classes.some((c) => style.test(c)) || !el.getClientRects().length) continue;
    const box = el.getBoundingClientRect(), before = getComputedStyle(el, "::before");
    const fg = lum(rgba(getComputedStyle(el).color)), bg = lum(background(el));
    const holder = el.closest("[id], [title], [aria-label]");
    icons.push({icon: classes.filter((c) => c.startsWith("fa")).join(" "), tag: el.tagName.toLowerCase(),
                where: holder ? holder.id || holder.title || holder.getAttribute("aria-label") : "",
                width: box.width, size: parseFloat(before.fontSize), glyph: before.content,
                family: before.fontFamily.replace(/["']/g, ""), weight: before.fontWeight,
                contrast: (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05)});
  }
  return {faces, icons, svg_icons: document.querySelectorAll("svg.svg-inline--fa, svg[data-prefix]").length};
}"""

_DARK = """async () => {
  document.documentElement.dataset.theme = "dark";
  document.documentElement.dataset.mode = "dark";
  await new Promise((r) => setTimeout(r, 400));  // the theme's colour transitions
}"""


def _load(browser: Any, site_url: str, rel: str, block: tuple[str, ...] = ()) -> dict[str, Any]:
    """Open `rel` at the desktop size; what it downloaded, what it asked of other hosts, its icons light and dark.

    `block`: URL globs answered with a 404 (to show a check catches their loss)."""
    context = browser.new_context(viewport=DESKTOP, service_workers="block")
    page = context.new_page()
    responses: list[Any] = []
    offhost: list[str] = []
    failed: list[str] = []
    errors: list[str] = []
    page.on("response", lambda resp: responses.append(resp))
    page.on("requestfailed", lambda req: failed.append(f"{req.failure} {req.url}"))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    def route(r: Any) -> None:
        if sitecheck._is_offhost(r.request.url, site_url):
            offhost.append(r.request.url)
            r.abort()
        else:
            r.continue_()

    page.route("**/*", route)
    for pattern in block:
        page.route(pattern, lambda r: r.fulfill(status=404, body=""))
    try:
        page.goto(site_url + rel, wait_until="load")
        page.wait_for_load_state("networkidle")
        page.evaluate(sitecheck._WAIT_READY)
        light = page.evaluate(_ICONS)
        page.evaluate(_DARK)
        dark = page.evaluate(_ICONS)
        page.wait_for_load_state("networkidle")
        files = []
        for resp in responses:
            body = resp.body()
            files.append({"url": urlsplit(resp.url).path, "status": resp.status, "type": resp.request.resource_type,
                          "bytes": len(body), "gzip": len(gzip.compress(body, 6))})
    finally:
        context.close()
    failed += [f"{f['status']} {f['url']}" for f in files if f["status"] >= 400]
    return {"files": files, "raw": sum(f["bytes"] for f in files), "gzip": sum(f["gzip"] for f in files),
            "offhost": offhost, "failed": failed, "errors": errors, "light": light, "dark": dark}


def _icon_problems(icons: dict[str, Any]) -> list[str]:
    """Icons not drawn by a loaded face of the theme's Font Awesome 6 (the widget manager's Font Awesome 5 CSS must
    not take them over), drawn at no size, or too faint (WCAG contrast under 3)."""
    loaded = {(f["family"], f["weight"]) for f in icons["faces"] if f["status"] == "loaded"}
    problems = [f"{icons['svg_icons']} icons are SVGs made by fontawesome.js"] if icons["svg_icons"] else []
    for i in icons["icons"]:
        name = f"{i['icon']} ({i['where']})"
        if not i["glyph"].startswith('"'):
            problems.append(f"{name}: no glyph ({i['glyph']})")
        elif i["family"] not in ("Font Awesome 6 Free", "Font Awesome 6 Brands"):
            problems.append(f"{name}: drawn in {i['family']!r}, not the theme's Font Awesome 6 fonts")
        elif (i["family"], i["weight"]) not in loaded:
            problems.append(f"{name}: its font {i['family']} {i['weight']} is not loaded ({icons['faces']})")
        if i["width"] < 8 or i["size"] < 8:
            problems.append(f"{name}: drawn {i['width']:.1f} px wide at {i['size']:.1f} px")
        if i["contrast"] < 3:
            problems.append(f"{name}: contrast {i['contrast']:.2f} against its background")
    return problems


def _widget_page(site_dir: Path) -> str:
    for rel in sitecheck.html_pages(site_dir):
        if WIDGET_VIEW in (site_dir / rel).read_text(encoding="utf-8", errors="replace"):
            return rel
    raise AssertionError("no page shows an ipywidget: is this the book?")


@pytest.fixture(scope="module")
def loads(browser: Any, site_url: str, site_dir: Path) -> Iterator[dict[str, dict[str, Any]]]:
    """role -> what loading that page showed (its path under "rel")."""
    pages = dict(zip(ROLES, (CHAPTER_11, PLAIN, _widget_page(site_dir)), strict=True))
    out = {role: {"rel": rel, **_load(browser, site_url, rel)} for role, rel in pages.items()}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    summary = {d["rel"]: {"role": role, "raw": d["raw"], "gzip": d["gzip"], "requests": len(d["files"]),
                     "by_type": {t: sum(f["bytes"] for f in d["files"] if f["type"] == t)
                                 for t in sorted({f["type"] for f in d["files"]})},
                     "files": sorted(d["files"], key=lambda f: -f["bytes"]),
                     "icons": {"light": d["light"]["icons"], "dark": d["dark"]["icons"]},
                     "fonts": d["light"]["faces"]}
               for role, d in out.items()}
    (ARTIFACTS / "page-weight.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    yield out


@pytest.mark.parametrize("role", ROLES[:2])
def test_the_page_stays_under_3_mb(loads: dict[str, dict[str, Any]], role: str) -> None:
    d = loads[role]
    rel = d["rel"]
    assert rel in WEIGHED
    biggest = ", ".join(f"{f['url']} {f['bytes']:,}" for f in sorted(d["files"], key=lambda f: -f["bytes"])[:5])
    assert d["raw"] < LIMIT, f"{rel} downloads {d['raw']:,} bytes ({d['gzip']:,} gzipped); largest: {biggest}"
    assert d["files"][0]["url"].endswith(rel) and d["files"][0]["type"] == "document", d["files"][0]
    assert not any(f["url"].endswith("fontawesome.js") for f in d["files"]), "the theme's fontawesome.js is loaded"


@pytest.mark.parametrize("role", ROLES)
def test_nothing_leaves_the_host_and_nothing_fails(loads: dict[str, dict[str, Any]], role: str) -> None:
    d = loads[role]
    assert not d["offhost"], f"requests to another host: {d['offhost']}"
    assert not d["failed"], f"failed requests: {d['failed']}"
    assert not d["errors"], f"console or page errors: {d['errors']}"


@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("role", ROLES)
def test_every_icon_is_drawn_by_the_font_awesome_webfonts(loads: dict[str, dict[str, Any]], role: str,
                                                          mode: str) -> None:
    icons, rel = loads[role][mode], loads[role]["rel"]
    shown = {i["icon"] for i in icons["icons"]}
    # The header's download and full-screen buttons, the search button and the theme switch are on every page.
    for expected in ("fas fa-download", "fas fa-expand", "fa-solid fa-magnifying-glass"):
        assert expected in shown, f"{expected} not shown on {rel}: {sorted(shown)}"
    switch = {f"fa-solid fa-{name} fa-lg" for name in ("circle-half-stroke", "sun", "moon")}
    assert shown & switch, f"no theme switch icon on {rel}: {sorted(shown)}"
    problems = _icon_problems(icons)
    assert not problems, "\n".join(problems)


def test_the_icon_check_fails_without_the_webfonts(browser: Any, site_url: str) -> None:
    d = _load(browser, site_url, PLAIN, block=("**/webfonts/*",))
    problems = _icon_problems(d["light"])
    assert any("is not loaded" in p for p in problems), problems
