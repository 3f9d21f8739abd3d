"""Load one page of the built site in the browser and record what the browser tests assert.

A page is visited once: requests, console messages and page errors are recorded from the first byte; then the
script waits for MathJax and the widget manager, reads the state of every equation, widget, image and link, moves
each slider from the keyboard (recording whether what is shown changed), switches the theme to dark and reads the
background of every figure.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SKIP_DIRS = {"_static", "_sources", "_images", "_downloads", "jupyter_execute"}
# Console messages that are not errors of the site (none so far: keep this empty unless a reason is written here).
IGNORED_CONSOLE: tuple[str, ...] = ()


@dataclasses.dataclass
class PageReport:
    path: str
    final_path: str  # where the browser ended up (index.html redirects to the landing page)
    console_errors: list[str]
    page_errors: list[str]
    failed_requests: list[str]
    offhost_requests: list[str]
    links: list[str]  # every href of an <a> (and of the favicon's <link>) in the page, as written
    has_icon: bool  # without a <link rel="icon">, browsers ask for /favicon.ico (a 404 Playwright does not report)
    images: list[dict[str, Any]]  # src, alt, loaded (naturalWidth > 0), in_widget
    math: dict[str, Any]  # total, typeset, untypeset (snippets), raw_tex (snippets of text left as TeX)
    widgets: dict[str, Any]  # views, mounted, problems
    sliders: list[dict[str, Any]]  # label, changed, value_before, value_after
    dark_images: list[dict[str, Any]]  # src, background (computed), in dark mode
    dark_widget_text: list[dict[str, Any]]  # text, contrast (WCAG ratio against its background), in dark mode
    head_links: dict[str, list[str]]  # colab, binder, download: hrefs of the header's buttons
    screenshot: str | None


def html_pages(site: Path) -> list[str]:
    """Every HTML page of the built site (paths relative to it), leaving out asset folders."""
    pages = []
    for path in sorted(site.rglob("*.html")):
        rel = path.relative_to(site)
        if not (set(rel.parts[:-1]) & SKIP_DIRS):
            pages.append(rel.as_posix())
    return pages


def is_chapter(rel: str) -> bool:
    """Pages built from the book's notebooks and markdown (not search, genindex, the redirecting index)."""
    return rel.startswith("book/")


_WAIT_READY = """async () => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  if (window.MathJax && window.MathJax.startup && window.MathJax.startup.promise) {
    await window.MathJax.startup.promise;
  }
  const views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]');
  for (let i = 0; i < 200 && views.length; i++) {
    const mounted = Array.from(views).filter((s) => {
      const prev = s.previousElementSibling;
      return prev && prev.classList.contains("widget-subarea") && prev.querySelector(".jupyter-widgets");
    }).length;
    if (mounted === views.length) break;
    await sleep(50);
  }
  if (window.MathJax && window.MathJax.typesetPromise) {
    await window.MathJax.typesetPromise();  // math inside widgets typeset through the Hub shim
  }
  await sleep(100);
}"""

_COLLECT = r"""() => {
  const article = document.querySelector(".bd-article") || document.body;
  const snippet = (t) => t.replace(/\s+/g, " ").trim().slice(0, 80);
  // Equations: Sphinx puts \(..\) / \[..\] in span.math / div.math; MathJax replaces them by mjx-container.
  const mathEls = Array.from(document.querySelectorAll(".math"));
  const untypeset = mathEls.filter((e) => !e.querySelector("mjx-container")).map((e) => snippet(e.textContent));
  // TeX left in the text anywhere in the article (outside code, scripts and typeset math).
  const raw = [];
  const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => n.parentElement.closest("pre, code, script, style, textarea, mjx-container, .MathJax")
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
  });
  const texLike = /\\\(|\\\[|\$\$|\$[^$\s][^$]*\$|\\(frac|odot|sigma|tanh|tilde)\b/;
  while (walker.nextNode()) {
    const t = walker.currentNode.textContent;
    if (texLike.test(t)) raw.push(snippet(t));
  }
  // Widgets: each view script gets a .widget-subarea in front of it holding the rendered widget.
  const views = Array.from(document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]'));
  const problems = [];
  let mounted = 0;
  for (const s of views) {
    const area = s.previousElementSibling;
    if (area && area.classList.contains("widget-subarea") && area.querySelector(".jupyter-widgets")) mounted++;
  }
  for (const e of document.querySelectorAll(".jupyter-widgets-error-widget, .widget-error")) {
    problems.push(snippet(e.textContent));
  }
  if (/Loading widget/i.test(article.innerText)) problems.push("'Loading widget' text on the page");
  const images = Array.from(document.querySelectorAll("img")).map((img) => ({
    src: img.getAttribute("src") || "",
    alt: img.getAttribute("alt"),
    loaded: img.complete && img.naturalWidth > 0,
    in_article: !!img.closest(".bd-article"),
    in_widget: !!img.closest(".jupyter-widgets"),
  }));
  const links = Array.from(document.querySelectorAll("a[href], link[rel~='icon'][href]"))
    .map((a) => a.getAttribute("href"));
  const buttons = document.querySelectorAll(".article-header-buttons a[href], .header-article-items a[href]");
  const headHrefs = (pattern) => Array.from(buttons).map((a) => a.href).filter((h) => pattern.test(h));
  return {
    math: {total: mathEls.length, typeset: mathEls.length - untypeset.length, untypeset, raw_tex: raw},
    widgets: {views: views.length, mounted, problems},
    images, links, has_icon: !!document.querySelector("link[rel~='icon']"),
    head_links: {colab: headHrefs(/colab\.research\.google\.com/), binder: headHrefs(/mybinder\.org/),
                 download: headHrefs(/\.ipynb$/)},
  };
}"""

# What the reader sees, leaving out one element (the slider being moved, whose own readout always changes).
_SIGNATURE = r"""(skip) => {
  const article = document.querySelector(".bd-article") || document.body;
  const parts = [];
  const visit = (el) => {
    if (el === skip || el.getClientRects().length === 0) return;
    if (el.tagName === "IMG") parts.push("img:" + el.src.length + ":" + el.src.slice(-64));
    if (el.tagName === "svg") { parts.push("svg:" + el.innerHTML.length); return; }
    for (const c of el.childNodes) {
      if (c.nodeType === Node.TEXT_NODE && c.textContent.trim()) parts.push(c.textContent.trim());
      else if (c.nodeType === Node.ELEMENT_NODE) visit(c);
    }
  };
  visit(article);
  return parts.join("|");
}"""

_DARK_BACKGROUNDS = """() => {
  document.documentElement.dataset.theme = "dark";
  document.documentElement.dataset.mode = "dark";
  return Array.from(document.querySelectorAll(".bd-article img")).filter((img) => img.getClientRects().length)
    .map((img) => ({src: (img.getAttribute("src") || "").slice(0, 80),
                    background: getComputedStyle(img).backgroundColor}));
}"""

#: JavaScript for the body of a page function: `contrast(el, fallback)`, the WCAG contrast of `el`'s text colour
#: against the first background (alpha above 0.5) drawn behind it, `fallback` (an [r, g, b, a] colour) if none is.
CONTRAST_JS = r"""
  const rgba = (css) => {
    const n = (css.match(/[\d.]+/g) || []).map(Number);
    return [n[0], n[1], n[2], n.length > 3 ? n[3] : 1];
  };
  const channel = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  const lum = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const background = (el, fallback) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0.5) return c;
    }
    return fallback;
  };
  const contrast = (el, fallback) => {
    const fg = lum(rgba(getComputedStyle(el).color)), bg = lum(background(el, fallback));
    return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
  };
"""

# In dark mode: WCAG contrast of each widget text (label, readout, ...) against the background it is drawn on.
_DARK_WIDGET_TEXT = "() => {" + CONTRAST_JS + """
  const out = [];
  for (const el of document.querySelectorAll(".bd-article .jupyter-widgets *")) {
    const text = Array.from(el.childNodes).filter((n) => n.nodeType === Node.TEXT_NODE)
      .map((n) => n.textContent).join("").trim();
    if (!text || !el.getClientRects().length) continue;
    out.push({text: text.slice(0, 40), contrast: contrast(el, [255, 255, 255, 1])});
  }
  return out;
}"""


def _is_offhost(url: str, base: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about", "chrome-error"):
        return False
    return parts.netloc != urlsplit(base).netloc


def _move_sliders(page: Any) -> list[dict[str, Any]]:
    results = []
    handles = page.locator(".bd-article .widget-slider .noUi-handle")
    for k in range(handles.count()):
        handle = handles.nth(k)
        if not handle.is_visible():  # e.g. inside a Stack page that is not shown
            continue
        slider = handle.locator("xpath=ancestor::*[contains(concat(' ', @class, ' '), ' widget-slider ')][1]")
        skip = slider.element_handle()
        label = slider.locator(".widget-label").first.inner_text() if slider.locator(".widget-label").count() else ""
        handle.scroll_into_view_if_needed()
        before = page.evaluate(_SIGNATURE, skip)
        value_before = handle.get_attribute("aria-valuenow")
        handle.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(150)
        if handle.get_attribute("aria-valuenow") == value_before:  # already at the right end
            page.keyboard.press("ArrowLeft")
            page.wait_for_timeout(150)
        after = page.evaluate(_SIGNATURE, skip)
        results.append({"label": label, "changed": before != after, "value_before": value_before,
                        "value_after": handle.get_attribute("aria-valuenow"), "focused": handle.evaluate(
                            "(h) => document.activeElement === h")})
    return results


def visit(browser: Any, base_url: str, rel: str, *, screenshot: Path | None = None,
          stub: tuple[str, ...] = ()) -> PageReport:
    """Load `rel` from the site served at `base_url` and record what the tests check.

    `stub`: URL globs answered with an empty script instead of the site's file (to show a check catches its loss).
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    page = context.new_page()
    console_errors: list[str] = []
    page_errors: list[str] = []
    failed: list[str] = []
    offhost: list[str] = []

    def on_console(msg: Any) -> None:
        if msg.type == "error" and not any(s in msg.text for s in IGNORED_CONSOLE):
            console_errors.append(msg.text)

    def on_request(req: Any) -> None:
        if _is_offhost(req.url, base_url):
            offhost.append(req.url)

    def on_response(resp: Any) -> None:
        if resp.status >= 400:
            failed.append(f"{resp.status} {resp.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda err: page_errors.append(str(err)))
    page.on("request", on_request)
    page.on("response", on_response)
    page.on("requestfailed", lambda req: failed.append(f"{req.failure} {req.url}"))
    # Nothing may leave the host: answer any such request with an error instead of letting it out.
    page.route("**/*", lambda route: route.abort() if _is_offhost(route.request.url, base_url) else route.continue_())
    for pattern in stub:
        page.route(pattern, lambda route: route.fulfill(status=200, content_type="text/javascript", body=""))
    try:
        page.goto(base_url + rel, wait_until="load")
        page.wait_for_load_state("networkidle")
        page.evaluate(_WAIT_READY)
        data = page.evaluate(_COLLECT)
        final_path = urlsplit(page.url).path.removeprefix(urlsplit(base_url).path)
        shot = None
        if screenshot is not None:
            page.screenshot(path=str(screenshot), full_page=True)
            shot = str(screenshot)
        sliders = _move_sliders(page)
        dark = page.evaluate(_DARK_BACKGROUNDS)
        page.wait_for_timeout(400)  # let the theme's colour transitions finish
        dark_widget_text = page.evaluate(_DARK_WIDGET_TEXT)
        page.wait_for_load_state("networkidle")
    finally:
        context.close()
    return PageReport(path=rel, final_path=final_path, console_errors=console_errors, page_errors=page_errors,
                      failed_requests=failed,
                      offhost_requests=offhost, links=data["links"], has_icon=data["has_icon"],
                      images=data["images"], math=data["math"],
                      widgets=data["widgets"], sliders=sliders, dark_images=dark,
                      dark_widget_text=dark_widget_text, head_links=data["head_links"],
                      screenshot=shot)


def search_results(browser: Any, base_url: str, query: str) -> list[str]:
    """Titles of the results the site's own search page lists for `query` (runs offline, in the page)."""
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    page.route("**/*", lambda route: route.abort() if _is_offhost(route.request.url, base_url) else route.continue_())
    try:
        page.goto(f"{base_url}search.html?q={query}", wait_until="load")
        page.wait_for_function("""() => { const s = document.querySelector('#search-results');
            return s && (s.querySelector('ul.search li') || /did not match|found \\d+ page/i.test(s.innerText)); }""",
                               timeout=15000)
        return page.locator("#search-results ul.search li a").all_inner_texts()
    finally:
        context.close()
