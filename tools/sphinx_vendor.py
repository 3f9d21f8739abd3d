"""Sphinx extension (loaded through `_config.yml`'s `sphinx.local_extensions`): serve `_vendor/` and `_js/` from
`_static/`.

`_vendor/` holds MathJax 3, require.js and the ipywidgets HTML manager, copied from the npm lockfile by
`tools/vendor_assets.py`. Its contents are copied into `_build/html/_static/` so the site needs no CDN.

Why an extension and not `html_static_path` in `_config.yml`: Jupyter Book adds every `.js` file found under any
`html_static_path` entry to *every* page as a `<script>` (that is how `_static/*.js` gets loaded), which would load
all of MathJax's TeX extensions and the widget manager on every page. Appending the folder here, after Jupyter Book
has built the configuration, copies the files without adding script tags; the pages that need them load them
through `mathjax_path` and `nb_ipywidgets_js`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config

ROOT = Path(__file__).resolve().parent.parent
VENDOR_DIR = ROOT / "_vendor"
SITE_JS_DIR = ROOT / "_js"  # the site's own loader scripts, put on widget pages by `nb_ipywidgets_js`
MANIFEST_NAME = "vendor-manifest.json"


def _add_vendor_static_path(app: Sphinx, config: Config) -> None:
    if not (VENDOR_DIR / MANIFEST_NAME).is_file():
        raise FileNotFoundError(f"{VENDOR_DIR} is missing or incomplete; run `make vendor`")
    config.html_static_path = [*config.html_static_path, str(VENDOR_DIR), str(SITE_JS_DIR)]
    if MANIFEST_NAME not in config.exclude_patterns:
        config.exclude_patterns = [*config.exclude_patterns, MANIFEST_NAME]


def _is_thebe_loader(js: Any) -> bool:
    body = (getattr(js, "attributes", None) or {}).get("body") or ""
    return str(getattr(js, "filename", "") or "").endswith("sphinx-thebe.js") or "THEBE_JS_URL" in body


def _drop_thebe_loader(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """Jupyter Book always loads sphinx-thebe, which puts `const THEBE_JS_URL = ...` on every page twice (a page
    error) and would fetch thebe from a CDN. The site has no live code (`launch_buttons.thebe: false`): drop it."""
    if app.config.html_theme_options.get("launch_buttons", {}).get("thebe"):
        return
    scripts = context.get("script_files")
    if isinstance(scripts, list):
        scripts[:] = [js for js in scripts if not _is_thebe_loader(js)]


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the hooks: `_vendor/` and `_js/` into the static files; no thebe loader on the pages."""
    app.connect("config-inited", _add_vendor_static_path)
    app.connect("html-page-context", _drop_thebe_loader, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
