"""Numbers in the prose, written out and checked against the code that computes them.

A chapter's markdown states each computed number as finished text, followed by an HTML comment
that names the quote and its format (invisible in JupyterLab, Colab, VS Code, GitHub and the book)::

    $\\sigma(0)$ = 0.5<!-- sig0:.1f -->, and $\\sigma(4)$ = 0.982<!-- sig4:.3f -->.

A hidden code cell records the value the code computed, ``prose.quote("sig0", sig0)``, and the
chapter's last cell, ``prose.check()``, compares every marked number with ``format(value, fmt)``.
The check runs only where ``LSTM_COURSE_CHECK_PROSE=1`` is set (the book build and the tests, via
the Makefile), so a drift fails the build while a learner who changes a parameter never sees a
check fail.  Unlike myst-nb's ``{glue:text}``, the text reads as finished prose everywhere.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from numbers import Number
from pathlib import Path

__all__ = ["CHECK_ENV", "MARKER", "Prose", "ProseMismatch", "QuoteSite", "find_quotes", "format_quote"]

#: Environment variable that switches the check on (the Makefile sets it for the book build and the tests).
CHECK_ENV = "LSTM_COURSE_CHECK_PROSE"

#: ``<!-- name -->`` or ``<!-- name:fmt -->`` right after the number it marks.
MARKER = re.compile(r"<!--\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<fmt>[^\s>]*))?\s*-->")


class ProseMismatch(AssertionError):
    """The prose quotes a number that the code no longer computes (or never recorded)."""


@dataclass(frozen=True)
class QuoteSite:
    """One marked number in the markdown: which cell, the quote's name and format, and the text before it."""

    cell: int  # position of the markdown cell in the notebook, counting from 1 as Jupyter shows it
    name: str
    fmt: str
    before: str  # the cell's text up to the marker


def format_quote(value: object, fmt: str = "") -> str:
    """The text a quote of ``value`` with format spec ``fmt`` must show, e.g. ``format_quote(0.5, ".1f") == "0.5"``.

    Numbers that are integral and have no spec print as integers (``3.0`` -> ``"3"``).
    """
    if isinstance(value, bool) or not isinstance(value, Number):
        return format(value, fmt) if fmt else str(value)
    if not fmt and isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return format(value, fmt)


def find_quotes(markdown_cells: list[tuple[int, str]]) -> list[QuoteSite]:
    """Every ``<!-- name:fmt -->`` marker in ``markdown_cells``, a list of ``(cell position, source)``."""
    sites = []
    for cell, source in markdown_cells:
        for match in MARKER.finditer(source):
            sites.append(QuoteSite(cell, match["name"], match["fmt"] or "", source[: match.start()]))
    return sites


def _markdown_cells(path: Path) -> list[tuple[int, str]]:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cells = []
    for position, cell in enumerate(notebook["cells"], start=1):
        if cell["cell_type"] == "markdown":
            source = cell["source"]
            cells.append((position, "".join(source) if isinstance(source, list) else source))
    return cells


@dataclass
class Prose:
    """The numbers one notebook quotes in its prose.

    Args:
        notebook: the notebook's file name (``"02_forget_gate.ipynb"``), resolved against the working
            directory, which is the notebook's folder when Jupyter, nbval or the book build runs it.
    """

    notebook: str
    values: dict[str, object] = field(default_factory=dict)

    def quote(self, name: str, value: object) -> None:
        """Record ``value`` (a Python or 0-d tensor/array number) as the quote ``name``."""
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError(f"quote name must be an identifier like 'f_t' (it appears as <!-- name -->), got {name!r}")
        if hasattr(value, "item") and callable(value.item):  # torch or numpy scalar: quote the Python number
            value = value.item()
        self.values[name] = value

    def mismatches(self) -> list[str]:
        """Every marked number in the notebook's markdown that differs from its recorded value, in words."""
        path = Path(self.notebook)
        if not path.is_file():
            raise FileNotFoundError(
                f"Prose(notebook={self.notebook!r}): no such file in {Path.cwd()}; pass the notebook's own file "
                "name and run it from its folder"
            )
        problems = []
        for site in find_quotes(_markdown_cells(path)):
            if site.name not in self.values:
                problems.append(f"cell {site.cell}: <!-- {site.name} --> was never recorded with prose.quote()")
                continue
            expected = format_quote(self.values[site.name], site.fmt)
            if not site.before.endswith(expected):
                shown = site.before[-max(len(expected), 12):].lstrip()
                problems.append(
                    f"cell {site.cell}: the text says {shown!r} before <!-- {site.name}:{site.fmt} -->, "
                    f"but the code computes {expected!r}"
                )
        return problems

    def check(self) -> None:
        """Fail (only where ``LSTM_COURSE_CHECK_PROSE=1``) if any quoted number drifted from the code."""
        if os.environ.get(CHECK_ENV, "") not in ("1", "true", "yes"):
            return None
        problems = self.mismatches()
        if problems:
            raise ProseMismatch(f"{self.notebook}: the prose quotes numbers the code no longer computes:\n- "
                                + "\n- ".join(problems))
        return None
