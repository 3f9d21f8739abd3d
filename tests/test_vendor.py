"""`_vendor/` (what the site serves instead of a CDN) matches the npm lockfile, file for file.

`_vendor/` is written by tools/vendor_assets.py (`make vendor`); these tests fail when it drifts from the lockfile.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import sphinx_vendor  # noqa: E402  (tools/ is not a package)
import vendor_assets  # noqa: E402

VENDOR = ROOT / "_vendor"
MANIFEST = json.loads((VENDOR / vendor_assets.MANIFEST_NAME).read_text())
LOCK = json.loads((ROOT / "package-lock.json").read_text())
PACKAGE = json.loads((ROOT / "package.json").read_text())


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("name", sorted(vendor_assets.SELECTION))
def test_vendored_version_is_the_locked_version(name: str) -> None:
    locked = LOCK["packages"][f"node_modules/{name}"]["version"]
    assert MANIFEST["packages"][name]["version"] == locked, f"_vendor/{name} is not the lockfile's {name}@{locked}"
    vendored_pkg = json.loads((VENDOR / name / "package.json").read_text())
    assert vendored_pkg["version"] == locked, f"_vendor/{name}/package.json says {vendored_pkg['version']}"
    assert PACKAGE["dependencies"][name] == locked, "package.json must pin the exact version the lockfile holds"
    assert LOCK["packages"][""]["dependencies"][name] == PACKAGE["dependencies"][name], "lockfile out of date"


def test_the_pinned_majors_are_the_ones_the_site_is_built_for() -> None:
    majors = {name: int(PACKAGE["dependencies"][name].split(".")[0]) for name in vendor_assets.SELECTION}
    assert majors == {"mathjax": 3, "requirejs": 2, "@jupyter-widgets/html-manager": 1}


def test_every_vendored_file_matches_the_manifest_and_nothing_else_is_there() -> None:
    listed = {f"{name}/{rel}": digest for name, entry in MANIFEST["packages"].items()
              for rel, digest in entry["files"].items()}
    present = {p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*") if p.is_file()}
    present.discard(vendor_assets.MANIFEST_NAME)
    assert present == set(listed), f"not in the manifest: {present - set(listed)}; missing: {set(listed) - present}"
    changed = [rel for rel, digest in listed.items() if _sha256(VENDOR / rel) != digest]
    assert not changed, f"edited by hand or stale (run `make vendor`): {changed}"


def test_the_manifest_lists_what_the_selection_asks_for() -> None:
    """Each pattern of tools/vendor_assets.py's selection is represented (a package that changed layout fails)."""
    import fnmatch

    for name, patterns in vendor_assets.SELECTION.items():
        files = MANIFEST["packages"][name]["files"]
        for pattern in patterns:
            assert any(fnmatch.fnmatchcase(f, pattern) for f in files), f"{name}: nothing vendored for {pattern!r}"


def test_the_site_loads_exactly_these_files() -> None:
    """The paths _config.yml points at exist in _vendor/ (or _js/), so a rename breaks this test, not the site."""
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["config"]
    assert (VENDOR / config["mathjax_path"]).is_file()
    for path in config["nb_ipywidgets_js"]:
        assert (VENDOR / path).is_file() or (ROOT / "_js" / path).is_file(), path
    assert list(config["nb_ipywidgets_js"])[-2:] == ["requirejs/require.js",
                                                     "@jupyter-widgets/html-manager/dist/embed-amd.js"]
    require_config = (ROOT / "_js" / "widgets-require-config.js").read_text()
    assert '"@jupyter-widgets/html-manager/dist"' in require_config
    assert (VENDOR / "@jupyter-widgets/html-manager/dist").is_dir()


def test_vendor_tool_copies_only_the_selection(tmp_path: Path) -> None:
    """The refresh command, run on a fake node_modules, copies the selected files and records their hashes."""
    node_modules = tmp_path / "node_modules"
    for name, version in vendor_assets.locked_versions().items():
        pkg = node_modules / name
        pkg.mkdir(parents=True)
        (pkg / "package.json").write_text(json.dumps({"name": name, "version": version}))
        for pattern in vendor_assets.SELECTION[name]:
            target = pkg / pattern.replace("*", "x")
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                target.write_text(f"{name}:{pattern}")
        (pkg / "README.md").write_text("not needed by the site")
    out = tmp_path / "vendor"
    manifest = vendor_assets.vendor(node_modules, out)
    assert not list(out.rglob("README.md"))
    for name, entry in manifest["packages"].items():
        for rel, digest in entry["files"].items():
            assert _sha256(out / name / rel) == digest
    # A node_modules that is not the lockfile's version is refused.
    first = next(iter(vendor_assets.SELECTION))
    (node_modules / first / "package.json").write_text(json.dumps({"version": "0.0.1"}))
    with pytest.raises(ValueError, match="lockfile pins"):
        vendor_assets.vendor(node_modules, out)


# --------------------------------------------------------------------------------------------- Font Awesome

def _theme_static() -> Path:
    import pydata_sphinx_theme

    return Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"


def test_the_theme_still_puts_fontawesome_js_in_its_macros() -> None:
    """`_templates/static/webpack-macros.html` exists to drop this line; if a theme release drops it, so can we."""
    macros = (_theme_static() / "webpack-macros.html").read_text()
    assert "scripts/fontawesome.js" in macros
    assert "{% macro head_js_preload() %}" in macros
    # The icons then come from the webfonts the theme's own CSS declares.
    css = (_theme_static() / "styles" / "pydata-sphinx-theme.css").read_text()
    for font in ("fa-solid-900", "fa-regular-400", "fa-brands-400"):
        assert f"url(../vendor/fontawesome/webfonts/{font}.woff2)" in css, font
        assert (_theme_static() / "vendor" / "fontawesome" / "webfonts" / f"{font}.woff2").is_file(), font


@pytest.fixture(scope="module")
def one_page_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-page Sphinx build with the book's theme, tools/sphinx_vendor.py and the book's repository buttons (the
    repository and "Open issue", in one menu): its output folder."""
    import io

    from sphinx.application import Sphinx

    tmp_path = tmp_path_factory.mktemp("one_page_site")
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(f"import sys\nsys.path.insert(0, {str(ROOT / 'tools')!r})\n"
                                 "extensions = ['sphinx_vendor']\nhtml_theme = 'sphinx_book_theme'\n"
                                 "html_theme_options = {'repository_url': 'https://github.com/someone/somewhere',\n"
                                 "                      'use_repository_button': True, 'use_issues_button': True}\n")
    (src / "index.rst").write_text("Title\n=====\n\nSome text.\n")
    out = tmp_path / "html"
    app = Sphinx(str(src), str(src), str(out), str(tmp_path / "doctrees"), "html", status=None,
                 warning=io.StringIO(), freshenv=True)
    app.build()
    return out


def test_pages_load_no_fontawesome_js(one_page_site: Path) -> None:
    """The page keeps the theme's other head assets and leaves out fontawesome.js, which is gone from the built
    `_static/` (its licence kept)."""
    out = one_page_site
    page = (out / "index.html").read_text()
    assert "fontawesome.js" not in page
    assert "_static/scripts/bootstrap.js" in page and "_static/scripts/pydata-sphinx-theme.js" in page
    assert "_static/styles/pydata-sphinx-theme.css" in page
    assert ".search-button-field > i" in page  # the few rules written for the SVG icons, for the <i> icons
    assert 'class="fa-solid fa-magnifying-glass' in page  # the theme's icons are <i> elements the webfonts draw
    static = out / "_static"
    assert not (static / "scripts" / "fontawesome.js").exists()
    assert not (static / "scripts" / "fontawesome.js.map").exists()
    assert "Font Awesome Free" in (static / "vendor" / "fontawesome" / "LICENSE.txt").read_text()
    assert (static / "vendor" / "fontawesome" / "webfonts" / "fa-solid-900.woff2").is_file()


def test_the_theme_draws_the_repository_button_with_the_github_logo() -> None:
    """tools/sphinx_vendor.py replaces this Brands icon (the only one on the pages); if the theme stops using it, the
    replacement can go."""
    import sphinx_book_theme.header_buttons.source as source

    text = Path(source.__file__).read_text()
    assert 'f"fab fa-{provider.lower()}"' in text
    assert all(f'"label": "{label}"' in text for label in sphinx_vendor.REPOSITORY_BUTTONS)


def test_the_repository_button_has_a_solid_icon_and_keeps_its_words(one_page_site: Path) -> None:
    """No Font Awesome Brands icon (whose font, fa-brands-400.woff2, is 117,852 bytes) on the page: the repository
    button and its menu's toggle show `fa-solid fa-code-branch`, with the theme's tooltip, label and text."""
    import re

    page = (one_page_site / "index.html").read_text()
    classes = [c.split() for c in re.findall(r'class="([^"]*)"', page)]
    assert not [c for c in classes if {"fab", "fa-brands"} & set(c)], "a Font Awesome Brands icon is on the page"
    toggle = re.search(r'<div class="dropdown dropdown-source-buttons">\s*<button[^>]*'
                       r'aria-label="Source repositories">\s*<i class="([^"]+)"></i>', page)
    assert toggle and toggle.group(1) == sphinx_vendor.REPOSITORY_ICON == "fa-solid fa-code-branch", page
    button = re.search(r'<a href="https://github.com/someone/somewhere"[^>]*btn-source-repository-button[^>]*'
                       r'title="Source repository"[^>]*>\s*<span class="btn__icon-container">\s*<i class="([^"]+)">'
                       r'</i>\s*</span>\s*<span class="btn__text-container">Repository</span>', page)
    assert button and button.group(1) == "fa-solid fa-code-branch", page
    assert 'class="fas fa-lightbulb"' in page  # the menu's other button, untouched
