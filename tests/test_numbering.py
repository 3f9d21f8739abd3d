"""One numbering of time everywhere: steps t = 1 … T, with h_0 and c_0 the initial state.

What is scanned, precisely:

* Files: every notebook in ``book/``, ``exercises/`` and ``solutions/``, the markdown pages in ``book/``,
  and the library's modules ``lstm_course/**/*.py``.
* Text: a notebook's markdown cells in full; in code cells (and in the library) only the string literals
  and comments, found with :mod:`tokenize` (so a variable ``t = 0`` in code is not a label).
* Rules on that text (each names what it caught):

  - ``step-zero``: "step 0", "steps 0", "step $0$", "step $t = 0$" (a step labelled 0);
  - ``t-zero``: "t = 0" or "t=0" outside ``h_0``/``c_0`` (the first step is t = 1);
  - ``range-from-zero``: "t = 0, …", "0 … T-1", "0..T-1", "0, …, T-1", "k = 0 … T-1" (steps listed from 0);
  - ``input-or-gate-at-zero``: :math:`x_0, f_0, i_0, o_0, \\tilde c_0` (no input or gate exists at step 0);
  - ``gradient-at-h0``: :math:`\\partial L/\\partial h_0` or :math:`\\partial h_0` (used to label the first
    step's gradient; the first step's is :math:`\\partial L/\\partial h_1`).

* Plots in notebooks: a code cell that labels an axis with "step" (``set_xlabel``/``xlabel``, not "steps
  back" or "training step") must not plot against ``np.arange(n)``, ``torch.arange(n)`` or ``range(n)``
  with one argument, directly (``ax.plot(np.arange(n), …)``) or through a name assigned from one
  (``steps = range(n)`` … ``ax.plot(steps, …)``): ``plot-axis-from-zero``. ``np.arange(1, T + 1)`` is the form.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]

RULES: dict[str, re.Pattern[str]] = {
    "step-zero": re.compile(r"\bsteps?\s+\$?\s*(?:t\s*=\s*)?0\b(?!\s*\.\d)"),
    "t-zero": re.compile(r"(?<![\w\\])t\s*=\s*0\b(?!\.\d)"),
    "range-from-zero": re.compile(r"\b0\s*(?:…|\.\.\.?|\\ldots|\\dots|,\s*…,?|,\s*\\ldots,?)\s*\{?T\s*-\s*1\b"),
    "input-or-gate-at-zero": re.compile(r"(?<![\w\\])(?:x|f|i|o)_\{?0\}?(?![\w.])|\\tilde\s*\{?c\}?_\{?0\b"),
    "gradient-at-h0": re.compile(r"\\partial\s*h_\{?0\}?(?!\d)|∂\s*h_?0\b|∂L\s*/\s*∂h_?0\b"),
}
_STEP_LABEL = re.compile(r"""(?:set_xlabel|xlabel)\(\s*[rf]?["'](?![^"']*(?:steps back|training step))[^"']*\bstep""")
_FROM_ZERO = r"(?:np\.arange|torch\.arange|range)\(\s*[^,()]+(?:\([^()]*\))?\s*\)"  # one argument: starts at 0
_PLOTTED_FROM_ZERO = re.compile(r"\.(?:plot|scatter|bar|step|semilogy|fill_between)\(\s*" + _FROM_ZERO)
_ASSIGNED_FROM_ZERO = re.compile(r"^\s*(\w+)\s*=\s*" + _FROM_ZERO, re.MULTILINE)


def _code_text(source: str) -> str:
    """String literals and comments of Python ``source`` (IPython magics and shell lines dropped)."""
    lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    parts = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline):
            if tok.type in (tokenize.STRING, tokenize.COMMENT):
                parts.append(tok.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return source  # not Python: scan all of it
    return "\n".join(parts)


def scan_text(text: str, where: str) -> list[str]:
    """Every rule that matches ``text``, as ``"where: rule: snippet"``."""
    found = []
    for name, pattern in RULES.items():
        for m in pattern.finditer(text):
            snippet = text[max(0, m.start() - 30): m.end() + 30].replace("\n", " ")
            found.append(f"{where}: {name}: …{snippet}…")
    return found


def scan_plot_cell(source: str, where: str) -> list[str]:
    """``plot-axis-from-zero`` for one code cell."""
    if not _STEP_LABEL.search(source):
        return []
    found = [m.group(0) for m in _PLOTTED_FROM_ZERO.finditer(source)]
    for m in _ASSIGNED_FROM_ZERO.finditer(source):  # steps = np.arange(T); ax.plot(steps, …)
        if re.search(r"\.(?:plot|scatter|bar|step|semilogy|fill_between)\(\s*" + m.group(1) + r"\b", source):
            found.append(m.group(0).strip())
    return [f"{where}: plot-axis-from-zero: {snippet}" for snippet in found]


def scan_notebook(nb: nbformat.NotebookNode, name: str) -> list[str]:
    found = []
    for n, cell in enumerate(nb.cells):
        where = f"{name} cell {n}"
        if cell.cell_type == "markdown":
            found += scan_text(cell.source, where)
        elif cell.cell_type == "code":
            found += scan_text(_code_text(cell.source), where)
            found += scan_plot_cell(cell.source, where)
    return found


def _sources() -> list[Path]:
    notebooks = [p for d in ("book", "exercises", "solutions") for p in sorted((ROOT / d).glob("*.ipynb"))]
    return notebooks + sorted((ROOT / "book").glob("*.md")) + sorted((ROOT / "lstm_course").rglob("*.py"))


def scan_file(path: Path) -> list[str]:
    rel = path.relative_to(ROOT).as_posix()
    if path.suffix == ".ipynb":
        return scan_notebook(nbformat.read(path, as_version=4), rel)
    if path.suffix == ".py":
        return scan_text(_code_text(path.read_text()), rel)
    return scan_text(path.read_text(), rel)


def test_the_scan_covers_the_book_exercises_and_library() -> None:
    names = {p.relative_to(ROOT).parts[0] for p in _sources()}
    assert {"book", "exercises", "lstm_course"} <= names
    assert len([p for p in _sources() if p.parent.name == "book" and p.suffix == ".ipynb"]) >= 8


@pytest.mark.parametrize("path", _sources(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_step_is_numbered_from_zero(path: Path) -> None:
    found = scan_file(path)
    assert not found, "time steps are t = 1 … T (h_0, c_0 the initial state); found:\n" + "\n".join(found)


@pytest.mark.parametrize(("text", "rule"), [
    ("at step 0 it is right only 22 %", "step-zero"),
    ("read-out accuracy from h_t at t = 0, 5, 10, ...", "t-zero"),
    ("for ``k = 0 … T-1`` in a vanilla RNN", "range-from-zero"),
    (r"index $0, \ldots, T-1$", "range-from-zero"),
    ("the input $x_0$ at the first step", "input-or-gate-at-zero"),
    (r"$\tilde c_0$", "input-or-gate-at-zero"),
    (r"the first step's gradient $\partial L / \partial h_0$", "gradient-at-h0"),
])
def test_each_rule_catches_its_example(text: str, rule: str) -> None:
    assert any(f": {rule}: " in hit for hit in scan_text(text, "example"))


@pytest.mark.parametrize("text", [
    "with $h_0 = c_0 = 0$ the initial state", "steps $t = 1, \\ldots, T$", "step 10", "t = 0.5",
    "the initial state $h_0$, $c_0$", "$f_t$ at step 1", "steps back $k = 0$ is the last step",
])
def test_correct_numbering_passes(text: str) -> None:
    assert scan_text(text, "example") == []


def test_plot_rule_catches_an_axis_from_zero() -> None:
    bad = 'ax.plot(np.arange(task.length), acc)\nax.set_xlabel("step $t$")'
    good = 'ax.plot(np.arange(1, task.length + 1), acc)\nax.set_xlabel("step $t$")'
    other = 'ax.plot(range(len(losses)), losses)\nax.set_xlabel("training step")'
    named = 'steps = np.arange(T)\nfor _ in range(T):\n    pass\nax.plot(steps, acc)\nax.set_xlabel("step")'
    loop = 'for _ in range(T):\n    pass\nax.plot(np.arange(1, T + 1), acc)\nax.set_xlabel("step $t$")'
    assert scan_plot_cell(bad, "c") and not scan_plot_cell(good, "c") and not scan_plot_cell(other, "c")
    assert len(scan_plot_cell(named, "c")) == 1 and not scan_plot_cell(loop, "c")


def test_code_is_scanned_only_in_strings_and_comments() -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("t = 0\nfor t in range(T):\n    pass"),
                                         nbformat.v4.new_code_cell('print("at step 0")  # first')])
    found = scan_notebook(nb, "nb")
    assert len(found) == 1 and "cell 1" in found[0] and "step-zero" in found[0]
