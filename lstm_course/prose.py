"""Numbers in the prose, written out and checked against the code that computes them.

A chapter's markdown states each computed number as finished text, followed by an HTML comment
that names the quote and its format (invisible in JupyterLab, Colab, VS Code, GitHub and the book)::

    $\\sigma(0)$ = 0.5<!-- sig0:.1f -->, and $\\sigma(4)$ = 0.982<!-- sig4:.3f -->.

A hidden code cell records the value the code computed, ``prose.quote("sig0", sig0)``, and the
chapter's last cell, ``prose.check()``, compares every marked number with ``format(value, fmt)``.
The check runs only where ``LSTM_COURSE_CHECK_PROSE=1`` is set (the book build and the tests, via
the Makefile), so a drift fails the build while a learner who changes a parameter never sees a
check fail.  Unlike myst-nb's ``{glue:text}``, the text reads as finished prose everywhere.

Three kinds of quote:

* **exact** ``0.5<!-- sig0:.1f -->``: the text must end with ``format(value, ".1f")``. For what does not
  depend on float rounding: sigma(0), a parameter count, a float64 value from fixed inputs.
* **toleranced** ``0.45<!-- i_mean:.2f ±0.05 -->``: the number before the marker may differ from the
  formatted value by at most the tolerance, in the units the text shows (for ``.1%`` the percent figure).
  For a trained model's numbers, which move with the seed and with the CPU's rounding (the float paths of
  ``MKL_CBWR`` and ``ATEN_CPU_CAPABILITY``): the tolerance is the spread measured under those paths.
* **order of magnitude** ``about 10⁻¹⁴<!-- diff:oom -->``: for rounding errors. The text ends with a
  power of ten (``10⁻¹⁴``, ``10^-14`` or ``1e-14``) whose exponent is the value's ``log10`` rounded to the
  nearest integer; ``<!-- diff:oom ±1 -->`` allows one more decade either way.

The notebook's file is read only when the check runs. It is ``notebook`` resolved against the folder named
by ``LSTM_COURSE_NOTEBOOK_DIR`` where that is set (a test that runs the notebook from an empty folder, as
Colab does, hands the folder in), else against the working directory (the notebook's folder when Jupyter,
nbval or the book build runs it).
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from numbers import Number
from pathlib import Path

__all__ = [
    "CHECK_ENV",
    "MARKER",
    "NOTEBOOK_DIR_ENV",
    "OOM",
    "Prose",
    "ProseMismatch",
    "QuoteSite",
    "check_site",
    "checking",
    "find_quotes",
    "format_quote",
    "power_of_ten",
]

#: Environment variable that switches the check on (the Makefile sets it for the book build and the tests).
CHECK_ENV = "LSTM_COURSE_CHECK_PROSE"
#: Environment variable naming the folder that holds the notebook, for a run whose working folder does not.
NOTEBOOK_DIR_ENV = "LSTM_COURSE_NOTEBOOK_DIR"
#: The format of an order-of-magnitude quote, ``<!-- name:oom -->``.
OOM = "oom"

#: ``<!-- name -->``, ``<!-- name:fmt -->`` or ``<!-- name:fmt ±tol -->`` right after the number it marks.
MARKER = re.compile(r"<!--\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<fmt>[^\s>]*))?(?:\s+±\s*(?P<tol>[^\s>]*))?\s*-->")

#: A decimal number at the end of a text (the quoted figure), with an optional ``%`` and thousands commas.
_NUMBER_AT_END = re.compile(r"(?P<num>[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*%?$")
_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
#: A power of ten at the end of a text: ``10⁻¹⁴``, ``10^-14``, ``10^{-14}``, ``1e-14``.
_POWER_AT_END = re.compile(
    r"(?:10(?P<sup>⁻?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)|10\^\{?(?P<caret>[-−]?\d+)\}?|1[eE](?P<e>[-+]?\d+))\$?$")


class ProseMismatch(AssertionError):
    """The prose quotes a number that the code no longer computes (or never recorded)."""


@dataclass(frozen=True)
class QuoteSite:
    """One marked number in the markdown: which cell, the quote's name and format, and the text before it."""

    cell: int  # position of the markdown cell in the notebook, counting from 1 as Jupyter shows it
    name: str
    fmt: str
    before: str  # the cell's text up to the marker
    tol: str | None = None  # the tolerance after ``±`` in the marker, as written (None for an exact quote)

    @property
    def marker(self) -> str:
        """The marker as written, for messages: ``<!-- name:fmt ±tol -->``."""
        fmt = f":{self.fmt}" if self.fmt else ""
        return f"<!-- {self.name}{fmt}{'' if self.tol is None else ' ±' + self.tol} -->"


def format_quote(value: object, fmt: str = "") -> str:
    """The text a quote of ``value`` with format spec ``fmt`` must show, e.g. ``format_quote(0.5, ".1f") == "0.5"``.

    Numbers that are integral and have no spec print as integers (``3.0`` -> ``"3"``).
    """
    if isinstance(value, bool) or not isinstance(value, Number):
        return format(value, fmt) if fmt else str(value)
    if not fmt and isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return format(value, fmt)


def power_of_ten(text: str) -> int | None:
    """The exponent of the power of ten that ``text`` ends with (``"about 10⁻¹⁴"`` -> ``-14``), else ``None``."""
    match = _POWER_AT_END.search(text.rstrip())
    if match is None:
        return None
    exponent = match["sup"].translate(_SUPERSCRIPT) if match["sup"] else (match["caret"] or match["e"])
    return int(exponent.replace("−", "-"))


def find_quotes(markdown_cells: list[tuple[int, str]]) -> list[QuoteSite]:
    """Every ``<!-- name:fmt -->`` marker in ``markdown_cells``, a list of ``(cell position, source)``."""
    sites = []
    for cell, source in markdown_cells:
        for match in MARKER.finditer(source):
            sites.append(QuoteSite(cell, match["name"], match["fmt"] or "", source[: match.start()], match["tol"]))
    return sites


def _tolerance(site: QuoteSite) -> float:
    """The marker's ``±tol`` as a number (0 without one); a malformed one is an error naming the marker."""
    if site.tol is None:
        return 0.0
    try:
        tol = float(site.tol)
    except ValueError:
        tol = -1.0
    if not (math.isfinite(tol) and tol > 0):
        raise ValueError(f"cell {site.cell}: {site.marker}: the tolerance after '±' must be a positive number "
                         "such as ±0.05 (the spread measured over seeds and float paths)")
    return tol


def check_site(site: QuoteSite, value: object) -> str | None:
    """``None`` if the text before ``site`` quotes ``value`` correctly, else what is wrong, in words.

    Exact quotes compare text; toleranced quotes (``±tol``) compare the number before the marker with the
    formatted value; ``oom`` quotes compare the power of ten with ``log10 |value|`` (see the module docstring).
    """
    try:
        tol = _tolerance(site)
    except ValueError as exc:
        return str(exc)
    if site.fmt == OOM:
        magnitude = abs(float(value))  # type: ignore[arg-type]
        exponent = power_of_ten(site.before)
        shown = site.before[-16:].lstrip()
        if exponent is None:
            return (f"cell {site.cell}: {site.marker} needs a power of ten such as 10⁻¹⁴ right before it, "
                    f"the text ends with {shown!r}")
        if not (math.isfinite(magnitude) and magnitude > 0):
            return f"cell {site.cell}: {site.marker}: the code computes {value!r}, which has no order of magnitude"
        if abs(math.log10(magnitude) - exponent) > 0.5 + tol:
            return (f"cell {site.cell}: the text says 10^{exponent} before {site.marker}, but the code computes "
                    f"{magnitude:.2g} (10^{round(math.log10(magnitude))})")
        return None
    expected = format_quote(value, site.fmt)
    if tol == 0.0:
        if site.before.endswith(expected):
            return None
        shown = site.before[-max(len(expected), 12):].lstrip()
        return f"cell {site.cell}: the text says {shown!r} before {site.marker}, but the code computes {expected!r}"
    written = _NUMBER_AT_END.search(site.before.rstrip())
    computed = _NUMBER_AT_END.search(expected.strip())
    if written is None or computed is None:
        shown = site.before[-12:].lstrip()
        return (f"cell {site.cell}: {site.marker} needs a number right before it (the text ends with {shown!r}) "
                f"and a numeric format (the code's value reads {expected!r})")
    number = float(written["num"].replace(",", "").replace("−", "-"))
    target = float(computed["num"].replace(",", "").replace("−", "-"))
    if abs(number - target) > tol * (1 + 1e-9):
        return (f"cell {site.cell}: the text says {written['num']} before {site.marker}, but the code computes "
                f"{expected!r}, more than {site.tol} away")
    return None


def checking() -> bool:
    """Whether the prose check is switched on (``LSTM_COURSE_CHECK_PROSE=1``: the book build and the tests)."""
    return os.environ.get(CHECK_ENV, "") in ("1", "true", "yes")


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
        notebook: the notebook's file name (``"02_forget_gate.ipynb"``), resolved only when the check runs:
            against ``LSTM_COURSE_NOTEBOOK_DIR`` if set, else the working directory (the notebook's folder
            when Jupyter, nbval or the book build runs it). A learner's run never reads it.
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

    @property
    def checking(self) -> bool:
        """Whether the check runs here (see :func:`checking`); guard checks that read the notebook's file with it."""
        return checking()

    def path(self) -> Path:
        """The notebook's file: ``notebook`` in ``LSTM_COURSE_NOTEBOOK_DIR`` if set, else in the working directory."""
        folder = os.environ.get(NOTEBOOK_DIR_ENV)
        path = Path(folder) / self.notebook if folder else Path(self.notebook)
        if not path.is_file():
            where = f"{NOTEBOOK_DIR_ENV}={folder}" if folder else f"the working directory {Path.cwd()}"
            raise FileNotFoundError(
                f"Prose(notebook={self.notebook!r}): no such file in {where}; pass the notebook's own file name, "
                f"and run it from its folder or set {NOTEBOOK_DIR_ENV} to the folder that holds it"
            )
        return path

    def cells(self) -> list[dict]:
        """The notebook's cells as saved (its own source), for checks that run only where :attr:`checking`."""
        return json.loads(self.path().read_text(encoding="utf-8"))["cells"]

    def mismatches(self) -> list[str]:
        """Every marked number in the notebook's markdown that differs from its recorded value, in words."""
        problems = []
        for site in find_quotes(_markdown_cells(self.path())):
            if site.name not in self.values:
                problems.append(f"cell {site.cell}: <!-- {site.name} --> was never recorded with prose.quote()")
                continue
            problem = check_site(site, self.values[site.name])
            if problem:
                problems.append(problem)
        return problems

    def check(self) -> None:
        """Fail (only where ``LSTM_COURSE_CHECK_PROSE=1``) if any quoted number drifted from the code."""
        if not checking():
            return None
        problems = self.mismatches()
        if problems:
            raise ProseMismatch(f"{self.notebook}: the prose quotes numbers the code no longer computes:\n- "
                                + "\n- ".join(problems))
        return None
