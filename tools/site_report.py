"""Measure the built site: build time (optional), total size of `_build/html`, and the heaviest pages.

    python tools/site_report.py              # size of _build/html and page weights (static: HTML + what it links)
    python tools/site_report.py --build      # first time `make book` (a full, clean build)
    python tools/site_report.py --browser    # page weight as loaded by Chromium (every byte it fetched)
    python tools/site_report.py --all        # every page's static weight, raw and gzipped

Static page weight = the HTML file + every local script, stylesheet and image it references (each counted once per
page). The browser weight adds what scripts fetch later (fonts, MathJax's TeX extensions).
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import re
import subprocess
import sys
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
SKIP_DIRS = {"_static", "_sources", "_images", "_downloads"}


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("script", "img") and a.get("src"):
            self.refs.append(a["src"] or "")
        elif tag == "link" and a.get("rel") == "stylesheet" and a.get("href"):
            self.refs.append(a["href"] or "")


def pages(site: Path) -> list[Path]:
    return [p for p in sorted(site.rglob("*.html")) if not set(p.relative_to(site).parts[:-1]) & SKIP_DIRS]


def static_files(site: Path, page: Path) -> set[Path]:
    """The page's HTML and the local scripts, stylesheets and images it references directly."""
    parser = _Refs()
    parser.feed(page.read_text(encoding="utf-8", errors="replace"))
    files = {page.resolve()}
    for ref in parser.refs:
        parts = urlsplit(ref)
        if parts.scheme or parts.netloc:
            continue
        target = (page.parent / unquote(parts.path)).resolve()
        if target.is_file():
            files.add(target)
    return files


def static_weight(site: Path, page: Path) -> int:
    """Bytes of the page's HTML plus the local files it references directly."""
    return sum(f.stat().st_size for f in static_files(site, page))


def gzip_weight(site: Path, page: Path) -> int:
    """The same files' bytes gzipped (level 6, as a web server sends them with Content-Encoding: gzip)."""
    return sum(len(gzip.compress(f.read_bytes(), 6)) for f in static_files(site, page))


def browser_weights(site: Path, chromium: str = "/usr/bin/chromium") -> dict[str, int]:
    """Bytes Chromium fetched to load each page (until the network is idle)."""
    from playwright.sync_api import sync_playwright

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    weights = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu",
                                                                          "--disable-background-networking"])
            for page_path in pages(site):
                rel = page_path.relative_to(site).as_posix()
                context = browser.new_context()
                page = context.new_page()
                sizes: list[int] = []
                page.on("requestfinished", lambda req, sizes=sizes: sizes.append(req.sizes()["responseBodySize"]))
                page.goto(base + rel, wait_until="networkidle")
                weights[rel] = sum(sizes)
                context.close()
            browser.close()
    finally:
        server.shutdown()
    return weights


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--build", action="store_true", help="time `make book` first")
    parser.add_argument("--browser", action="store_true", help="weigh pages as loaded in Chromium")
    parser.add_argument("--top", type=int, default=5)
    parser.add_argument("--all", action="store_true", help="every page's static weight, raw and gzipped")
    args = parser.parse_args(argv)
    if args.build:
        start = time.perf_counter()
        result = subprocess.run(["make", "book"], cwd=ROOT, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if result.returncode != 0:
            print(result.stdout[-6000:], result.stderr[-6000:], sep="\n", file=sys.stderr)
            print(f"`make book` failed after {elapsed:.0f} s", file=sys.stderr)
            return result.returncode
        print(f"build time (make book, clean): {elapsed:.0f} s")
        for name, seconds in re.findall(r"([\w./-]+\.ipynb): Executed notebook in ([\d.]+) seconds",
                                      result.stdout + result.stderr):
            print(f"  executed {Path(name).name} in {float(seconds):.1f} s")
    site = args.site
    if not (site / "index.html").is_file():
        print(f"no built site in {site}; run `make book`", file=sys.stderr)
        return 1
    total = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
    print(f"total size of {site.relative_to(ROOT) if site.is_relative_to(ROOT) else site}: {total / 1e6:.1f} MB "
          f"({sum(1 for p in site.rglob('*') if p.is_file())} files)")
    static = {p.relative_to(site).as_posix(): static_weight(site, p) for p in pages(site)}
    print(f"page weight, static (HTML + referenced scripts, styles, images), top {args.top}:")
    for rel, size in sorted(static.items(), key=lambda kv: -kv[1])[: args.top]:
        print(f"  {size / 1e6:6.2f} MB  {rel}  (HTML alone {(site / rel).stat().st_size / 1e6:.2f} MB)")
    if args.all:
        print("every page, static weight: raw / gzipped (HTML + referenced scripts, styles, images):")
        for rel in static:
            page = site / rel
            manager = "  + widget manager" if "embed-amd" in page.read_text(encoding="utf-8", errors="replace") else ""
            print(f"  {static[rel] / 1e6:6.2f} MB / {gzip_weight(site, page) / 1e6:5.2f} MB  {rel}{manager}")
    if args.browser:
        loaded = browser_weights(site)
        print(f"page weight, as loaded by Chromium, top {args.top}:")
        for rel, size in sorted(loaded.items(), key=lambda kv: -kv[1])[: args.top]:
            print(f"  {size / 1e6:6.2f} MB  {rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
