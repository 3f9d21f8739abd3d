"""Sphinx extension: plain CommonMark in the chapters renders in the book as MyST's roles did.

A plain markdown link to a notebook outside the book becomes a download link.

The chapters link to their exercises with plain CommonMark, `[forget_gate.ipynb](../exercises/forget_gate.ipynb)`,
so that the link works in JupyterLab, Colab, VS Code and GitHub.  MyST reads any link to an `.ipynb` as a link to a
page of the book; `exercises/` is not part of the book (`exclude_patterns`), so here such a link is turned into what
MyST's `{download}` role made before: the file is copied into the site and the link downloads it.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform


class NotebookLinksToDownloads(SphinxTransform):
    """Replace a MyST link to an existing but excluded source file by a download reference."""

    default_priority = 5  # before the download collector reads the doctree

    def apply(self, **kwargs: Any) -> None:
        env = self.env
        for ref in list(self.document.findall(addnodes.pending_xref)):
            if ref.get("refdomain") != "doc" or ref.get("reftype") != "myst":
                continue
            target = ref["reftarget"]
            if target in env.found_docs:
                continue
            candidates = [Path(env.srcdir, target + suffix) for suffix in (".ipynb", ".md")]
            path = next((p for p in candidates if p.is_file()), None)
            if path is None:
                continue  # a genuinely missing page: leave it to MyST's warning
            here = os.path.dirname(str(env.doc2path(env.docname, base=True)))
            download = addnodes.download_reference(
                refdomain=None, reftype="myst", reftarget=os.path.relpath(path, here).replace(os.sep, "/"),
                refdoc=env.docname, refexplicit=ref.get("refexplicit", True),
            )
            download.extend(ref.children)
            for child in download.findall(nodes.inline):
                child["classes"] = [*child["classes"], "download"]
            ref.replace_self(download)


class MathInSummaries(SphinxTransform):
    """Typeset `$...$` in a `<summary>` line: raw HTML is not parsed by MyST, so its math would stay as text.

    Jupyter, Colab and VS Code typeset `$...$` anywhere in a markdown cell; the book typesets only marked math.
    """

    default_priority = 5

    def apply(self, **kwargs: Any) -> None:
        for raw in list(self.document.findall(nodes.raw)):
            if raw.get("format") != "html" or "<summary>" not in raw.astext():
                continue
            text = re.sub(r"\$([^$]+)\$", lambda m: '<span class="math notranslate nohighlight">\\('
                          + html.escape(m.group(1), quote=False) + "\\)</span>", raw.astext())
            raw.replace_self(nodes.raw(text, text, format="html"))


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_transform(NotebookLinksToDownloads)
    app.add_transform(MathInSummaries)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
