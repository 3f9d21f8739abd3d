"""Sphinx extension (loaded through `_config.yml`'s `sphinx.local_extensions`): serve `_vendor/` and `_js/` from
`_static/`.

`_vendor/` holds MathJax 3, require.js and the ipywidgets HTML manager, copied from the npm lockfile by
`tools/vendor_assets.py`. Its contents are copied into `_build/html/_static/` so the site needs no CDN.

Why an extension and not `html_static_path` in `_config.yml`: Jupyter Book adds every `.js` file found under any
`html_static_path` entry to *every* page as a `<script>` (that is how `_static/*.js` gets loaded), which would load
all of MathJax's TeX extensions and the widget manager on every page. Appending the folder here, after Jupyter Book
has built the configuration, copies the files without adding script tags; the pages that need them load them
through `mathjax_path` and `nb_ipywidgets_js`.

Font Awesome: pydata-sphinx-theme puts `_static/scripts/fontawesome.js` (Font Awesome 6 as SVG-in-JS, 1.5 MB) on
every page, although its CSS already carries Font Awesome's CSS and @font-face rules for the webfonts it ships
(`_static/vendor/fontawesome/webfonts/`). `_templates/static/webpack-macros.html` (put on `templates_path` here)
leaves that script tag out, so the icons render from the webfonts; the script is then removed from the built
site, so a page that still asked for it would show as a failed request in the site tests, and Font Awesome's
licence text is kept next to the webfonts. The one Font Awesome Brands icon on the pages was sphinx-book-theme's
repository button (`fab fa-github`, on its menu and on the menu's toggle): drawing it made every page download
`fa-brands-400.woff2` (117,852 bytes) for one glyph. It is drawn with a solid icon instead (`fa-code-branch`: source
code), from the font every page loads already; its tooltip, label and text are the theme's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config

ROOT = Path(__file__).resolve().parent.parent
VENDOR_DIR = ROOT / "_vendor"
SITE_JS_DIR = ROOT / "_js"  # the site's own loader scripts, put on widget pages by `nb_ipywidgets_js`
TEMPLATES_DIR = ROOT / "_templates"  # static/webpack-macros.html: the theme's macros without fontawesome.js
MANIFEST_NAME = "vendor-manifest.json"
#: The theme's SVG-in-JS Font Awesome (and its source map), under the built site's `_static/`: no page loads it.
FONTAWESOME_JS = ("scripts/fontawesome.js", "scripts/fontawesome.js.map")
#: Its licence header (Font Awesome Free: icons CC BY 4.0, fonts SIL OFL 1.1, code MIT), moved next to the webfonts.
FONTAWESOME_LICENSE = ("scripts/fontawesome.js.LICENSE.txt", "vendor/fontawesome/LICENSE.txt")
#: sphinx-book-theme's repository button and the menu that holds it (with "Open issue"): their `label`s, and the
#: Font Awesome Free solid icon they get in place of the provider's logo (a Brands icon, `fab fa-github`).
REPOSITORY_BUTTONS = ("source-repository-button", "source-buttons")
REPOSITORY_ICON = "fa-solid fa-code-branch"


def _add_vendor_static_path(app: Sphinx, config: Config) -> None:
    if not (VENDOR_DIR / MANIFEST_NAME).is_file():
        raise FileNotFoundError(f"{VENDOR_DIR} is missing or incomplete; run `make vendor`")
    config.html_static_path = [*config.html_static_path, str(VENDOR_DIR), str(SITE_JS_DIR)]
    if not (TEMPLATES_DIR / "static" / "webpack-macros.html").is_file():
        raise FileNotFoundError(f"{TEMPLATES_DIR / 'static' / 'webpack-macros.html'} is missing (it keeps the theme's"
                                " 1.5 MB fontawesome.js off the pages); restore it from git")
    config.templates_path = [str(TEMPLATES_DIR), *config.templates_path]
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


def _header_buttons(buttons: Any) -> list[dict[str, Any]]:
    """The header's buttons, those inside a group (a dropdown menu) included."""
    found: list[dict[str, Any]] = []
    for button in buttons if isinstance(buttons, list) else []:
        if isinstance(button, dict):
            found += [button, *_header_buttons(button.get("buttons"))]
    return found


def _is_brands_icon(icon: Any) -> bool:
    return isinstance(icon, str) and bool({"fab", "fa-brands"} & set(icon.split()))


def _solid_repository_icon(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """sphinx-book-theme draws the repository button and its menu's toggle with the provider's logo, `fab fa-github`:
    the only Brands icon on the pages, which made each of them download `fa-brands-400.woff2` (117,852 bytes). Draw
    them with `REPOSITORY_ICON` (solid, a font every page loads already); their tooltip, label and text stay."""
    for button in _header_buttons(context.get("header_buttons")):
        if button.get("label") in REPOSITORY_BUTTONS and _is_brands_icon(button.get("icon")):
            button["icon"] = REPOSITORY_ICON


def _remove_fontawesome_js(app: Sphinx, exception: Exception | None) -> None:
    """Delete the theme's fontawesome.js from the built `_static/` (the pages load the webfonts instead) and keep its
    licence text beside the webfonts."""
    if exception is not None or app.builder.format != "html":
        return
    static = Path(app.outdir) / "_static"
    source, target = (static / rel for rel in FONTAWESOME_LICENSE)
    if source.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        source.replace(target)
    for rel in FONTAWESOME_JS:
        (static / rel).unlink(missing_ok=True)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the hooks: `_vendor/` and `_js/` into the static files and `_templates/` first on the template path;
    no thebe loader on the pages; a solid repository icon (after sphinx-book-theme's buttons, priority 501); the
    theme's fontawesome.js out of the built site."""
    app.connect("config-inited", _add_vendor_static_path)
    app.connect("html-page-context", _drop_thebe_loader, priority=900)
    app.connect("html-page-context", _solid_repository_icon, priority=900)
    app.connect("build-finished", _remove_fontawesome_js)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
