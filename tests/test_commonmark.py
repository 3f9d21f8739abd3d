"""Every notebook's prose reads as finished text in a plain CommonMark renderer (JupyterLab, Colab, VS Code, GitHub).

The markdown is rendered with markdown-it-py's CommonMark preset (no MyST plugins), as those tools do, and the
rendered HTML must hold no MyST-only syntax: roles (`{doc}`...`, `{glue:text}`...`), directive fences (`:::{note}`,
```{note}), nor glue placeholders.  The built book renders the same sources with MyST (tests/test_book_build.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted([*ROOT.glob("book/*.ipynb"), *ROOT.glob("exercises/*.ipynb"), *ROOT.glob("solutions/*.ipynb")])
MARKDOWN_FILES = sorted(ROOT.glob("book/*.md"))

# What MyST syntax looks like after a plain CommonMark renderer has passed over it.
LEFTOVERS = {
    "role": re.compile(r"\{[A-Za-z][\w:.-]*\}<code>"),  # {doc}`x` -> {doc}<code>x</code>
    "directive fence": re.compile(r"<code class=\"language-\{|^\s*(?:<p>)?:{3,}\s*\{?", re.M),  # ```{note} / :::{note}
    "glue": re.compile(r"\{glue"),
    "MyST target or comment": re.compile(r"^\s*<p>\(\w[\w-]*\)=|^\s*<p>%", re.M),  # (label)= and % comment lines
    "escaped HTML": re.compile(r"&lt;(?:!--|details|summary|div)"),  # HTML we rely on, shown as text
}

renderer = MarkdownIt("commonmark")


def leftovers(markdown: str) -> list[str]:
    """The MyST constructs left visible when ``markdown`` is rendered as plain CommonMark, in words."""
    html = renderer.render(markdown)
    found = []
    for kind, pattern in LEFTOVERS.items():
        found += [f"{kind}: {m.group(0).strip()!r}" for m in pattern.finditer(html)]
    return found


def _markdown_of(path: Path) -> list[str]:
    if path.suffix == ".md":
        return [path.read_text()]
    cells = json.loads(path.read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]


def test_the_detector_catches_each_myst_construct():
    """The scan can fail: each construct the chapters used to hold is reported."""
    assert leftovers("σ(0) = {glue:text}`sig0:.1f`") and leftovers("see {doc}`07_gradient_flow`")
    assert leftovers(":::{admonition} Question\n:class: dropdown\nanswer\n:::")
    assert leftovers("```{note}\nbody\n```") and leftovers("(sec-x)=\n# Title")
    assert leftovers("see {download}`a.ipynb <../exercises/a.ipynb>`")
    clean = "σ(0) = 0.5<!-- sig0:.1f -->, see [Gradient flow](07_gradient_flow.ipynb).\n\n" \
            "<details>\n<summary>1. Why?</summary>\n\nBecause $f_t < 1$.\n\n</details>\n"
    assert leftovers(clean) == []


@pytest.mark.parametrize("path", NOTEBOOKS + MARKDOWN_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_myst_syntax_left_in_the_prose(path):
    found = [item for source in _markdown_of(path) for item in leftovers(source)]
    assert found == [], f"{path.relative_to(ROOT)} shows MyST syntax in Jupyter/Colab/GitHub: {found}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_links_to_other_notebooks_resolve(path):
    """Chapter and exercise links are relative file links that work in Jupyter, VS Code and GitHub."""
    for source in _markdown_of(path):
        for target in re.findall(r"\]\(([^)#\s]+\.(?:ipynb|md))(?:#[^)]*)?\)", source):
            if "://" not in target:
                assert (path.parent / target).is_file(), f"{path.name} links to missing {target}"
