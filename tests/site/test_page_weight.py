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

Font Awesome Brands (`fa-brands-400.woff2`, 117,852 bytes) was downloaded by every page for one glyph: the GitHub logo
of sphinx-book-theme's repository button. tools/sphinx_vendor.py draws that button with a solid icon instead; no page
may show a Brands icon (checked in every page's HTML), the pages loaded here request no Brands font, and the
repository button and its menu's toggle still show their (solid) icon, light and dark, with the theme's words.
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
_ICONS = "async () => {\n  await document.fonts.ready;" + sitecheck.CONTRAST_JS + r"""
  const page_background = rgba(getComputedStyle(document.body).backgroundColor);
  const style = /^(fa|fas|far|fab|fa-solid|fa-regular|fa-brands)$/;
  const faces = Array.from(document.fonts).filter((f) => /Font Awesome/.test(f.family))
    .map((f) => ({family: f.family.replace(/["']/g, ""), weight: String(f.weight), status: f.status}));
  const icons = [];
  for (const el of document.querySelectorAll('[class*="fa"]')) {
    const classes = Array.from(el.classList);
    if (!classes.some((c) => style.test(c)) || !el.getClientRects().length) continue;
    const box = el.getBoundingClientRect(), before = getComputedStyle(el, "::before");
    // Bootstrap moves a tooltip's title to data-bs-original-title.
    const holder = el.closest("[id], [title], [aria-label], [data-bs-original-title]");
    icons.push({icon: classes.filter((c) => c.startsWith("fa")).join(" "), tag: el.tagName.toLowerCase(),
                where: holder ? holder.id || holder.title || holder.getAttribute("aria-label")
                                || holder.getAttribute("data-bs-original-title") : "",
                text: holder ? holder.textContent.trim().slice(0, 60) : "",
                width: box.width, size: parseFloat(before.fontSize), glyph: before.content,
                family: before.fontFamily.replace(/["']/g, ""), weight: before.fontWeight,
                contrast: contrast(el, page_background)});
  }
  return {faces, icons, svg_icons: document.querySelectorAll("svg.svg-inline--fa, svg[data-prefix]").length};
}"""

_DARK = """async () => {
  document.documentElement.dataset.theme = "dark";
  document.documentElement.dataset.mode = "dark";
  await new Promise((r) => setTimeout(r, 400));  // the theme's colour transitions
}"""


#: sphinx-book-theme's header menu holding the repository button (and "Open issue"), and the icon both get
#: from tools/sphinx_vendor.py; the theme's words for them (the toggle's aria-label, the button's tooltip and text).
REPOSITORY_TOGGLE = ".dropdown-source-buttons > button.dropdown-toggle"
REPOSITORY_ICON = "fa-solid fa-code-branch"
REPOSITORY_WORDS = {"toggle": "Source repositories", "button": "Source repository", "text": "Repository"}
BRANDS_FONT = "fa-brands-400"  # .woff2, or .ttf in a browser without woff2


def _open_menu(page: Any, toggle: str) -> dict[str, Any]:
    """The icons shown with the header menu under `toggle` open (then closed again with Escape)."""
    page.click(toggle)
    page.wait_for_selector(f"{toggle} + .dropdown-menu.show", state="visible")
    icons = page.evaluate(_ICONS)
    page.keyboard.press("Escape")
    page.wait_for_selector(f"{toggle} + .dropdown-menu.show", state="detached")
    return icons


def _load(browser: Any, site_url: str, rel: str, block: tuple[str, ...] = ()) -> dict[str, Any]:
    """Open `rel` at the desktop size; what it downloaded, what it asked of other hosts, its icons light and dark,
    also with the repository menu open.

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
        menu_light = _open_menu(page, REPOSITORY_TOGGLE)
        page.evaluate(_DARK)
        dark = page.evaluate(_ICONS)
        menu_dark = _open_menu(page, REPOSITORY_TOGGLE)
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
            "offhost": offhost, "failed": failed, "errors": errors, "light": light, "dark": dark,
            "menu": {"light": menu_light, "dark": menu_dark}}


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
                     "fonts": d["light"]["faces"],
                     "fonts_requested": [f["url"] for f in d["files"] if f["type"] == "font"]}
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


def test_no_page_shows_a_font_awesome_brands_icon(site_dir: Path) -> None:
    """In every page's HTML: no element drawn with Font Awesome Brands, the font each page would otherwise download
    (117,852 bytes): no `fab`/`fa-brands` icon, and no link pydata-sphinx-theme shortened to a GitHub or GitLab path
    (`<a class="github">` gets the provider's logo from that font)."""
    import re

    found = []
    for rel in sitecheck.html_pages(site_dir):
        html = (site_dir / rel).read_text(encoding="utf-8", errors="replace")
        for tag, classes in re.findall(r'<(\w+)\b[^>]*?\bclass="([^"]*)"', html):
            names = set(classes.split())
            if names & {"fab", "fa-brands"} or (tag == "a" and names & {"github", "gitlab"}):
                found.append(f"{rel}: <{tag} class=\"{classes}\">")
    assert not found, "Font Awesome Brands on the pages:\n" + "\n".join(sorted(set(found)))


@pytest.mark.parametrize("role", ROLES)
def test_no_page_requests_the_brands_font(loads: dict[str, dict[str, Any]], role: str) -> None:
    d = loads[role]
    fonts = [f["url"] for f in d["files"] if f["type"] == "font"]
    assert not [u for u in fonts if BRANDS_FONT in u], f"{d['rel']} downloads Font Awesome Brands: {fonts}"
    assert any("fa-solid-900" in u for u in fonts), f"{d['rel']}: no Font Awesome solid font requested: {fonts}"
    for icons in (d["light"], d["dark"], d["menu"]["light"], d["menu"]["dark"]):
        brands = [f for f in icons["faces"] if f["family"] == "Font Awesome 6 Brands"]
        assert brands and all(f["status"] == "unloaded" for f in brands), brands


@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("role", ROLES)
def test_the_repository_button_shows_a_solid_icon(loads: dict[str, dict[str, Any]], role: str, mode: str) -> None:
    """The header's repository menu toggle, and the repository button in that menu once open, show the solid icon
    tools/sphinx_vendor.py gives them, drawn by a loaded Font Awesome 6 Free face, with the theme's words."""
    d = loads[role]
    toggle = [i for i in d[mode]["icons"] if i["where"] == REPOSITORY_WORDS["toggle"]]
    assert [i["icon"] for i in toggle] == [REPOSITORY_ICON], f"{d['rel']}: the repository menu shows {toggle}"
    menu = d["menu"][mode]
    button = [i for i in menu["icons"] if i["where"] == REPOSITORY_WORDS["button"]]
    assert [(i["icon"], i["text"]) for i in button] == [(REPOSITORY_ICON, REPOSITORY_WORDS["text"])], (
        f"{d['rel']}: the open menu's repository button shows {button}")
    for where, icons in (("toggle", {**d[mode], "icons": toggle}), ("open menu", {**menu, "icons": button})):
        assert all(i["family"] == "Font Awesome 6 Free" and i["weight"] == "900" for i in icons["icons"]), icons
        problems = _icon_problems(icons)
        assert not problems, f"{where}: " + "\n".join(problems)
