"""``lstm-course assign``: regenerate the student notebooks in ``exercises/`` from ``solutions/``.

The instructor notebooks use nbgrader's markers, so a course that runs nbgrader can take
them as they are:

* code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` becomes a stub: inside a
  function body, ``raise NotImplementedError(...)`` at the marker's indentation; at the top
  level, each ``name = value`` becomes ``name = ...`` (so the notebook still runs top to
  bottom and the checker says "not attempted"); in a markdown cell, "YOUR ANSWER HERE";
* code between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS`` is removed; the graded
  cell stays, empty, with its nbgrader metadata, as ``nbgrader generate_assignment`` leaves it
  (``nbgrader autograde`` puts the hidden tests back into it);
* outputs and execution counts are stripped; nbgrader's lock flags are set as its
  ``LockCells`` sets them (graded cells neither editable nor deletable, answer cells not
  deletable); everything else is copied.

Before that, ``assign`` rewrites each solution notebook's question headings ("(4 points)")
and nbgrader cell metadata from the exercise module, the one place points live
(:mod:`lstm_course.notebook_cells`), so ``solutions/`` and ``exercises/`` both follow it.
"""

from __future__ import annotations

import ast
import copy
import re
from pathlib import Path

import nbformat

from .notebook_cells import annotate

__all__ = ["annotated_solution", "assign", "exercise_of", "render_exercise", "stub_source"]

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
STUB_MESSAGE = "Write your answer here, then run the check below."


def _regions(lines: list[str], begin: str, end: str, where: str) -> list[tuple[int, int]]:
    """Index pairs (begin line, end line) of every marked region; unmatched markers raise ValueError."""
    out, start = [], None
    for k, line in enumerate(lines):
        text = line.strip()
        if text == begin:
            if start is not None:
                raise ValueError(f"{where}: `{begin}` at line {k + 1} opens a region inside another one.")
            start = k
        elif text == end:
            if start is None:
                raise ValueError(f"{where}: `{end}` at line {k + 1} has no matching `{begin}`.")
            out.append((start, k))
            start = None
    if start is not None:
        raise ValueError(f"{where}: `{begin}` at line {start + 1} is never closed with `{end}`.")
    return out


def _code_stub(region: list[str], indent: str) -> list[str]:
    if indent:
        return [f"{indent}# YOUR CODE HERE", f'{indent}raise NotImplementedError("{STUB_MESSAGE}")']
    try:
        body = ast.parse("\n".join(region)).body
    except SyntaxError:
        body = []
    if body and all(isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)
                    for n in body):
        return [f"{n.targets[0].id} = ...  # YOUR ANSWER HERE" for n in body]  # type: ignore[union-attr]
    return ["# YOUR CODE HERE", f'raise NotImplementedError("{STUB_MESSAGE}")']


def stub_source(source: str, cell_type: str = "code", where: str = "cell") -> str | None:
    """The student version of one cell's source; ``None`` when nothing is left of it."""
    lines = source.split("\n")
    hidden = _regions(lines, BEGIN_HIDDEN, END_HIDDEN, where)
    drop = {k for a, b in hidden for k in range(a, b + 1)}
    lines = [line for k, line in enumerate(lines) if k not in drop]
    out: list[str] = []
    regions = _regions(lines, BEGIN_SOLUTION, END_SOLUTION, where)
    k = 0
    for a, b in regions:
        out += lines[k:a]
        if cell_type == "markdown":
            out.append("YOUR ANSWER HERE")
        else:
            indent = re.match(r"[ \t]*", lines[a]).group(0)  # type: ignore[union-attr]
            out += _code_stub([line[len(indent):] for line in lines[a + 1:b]], indent)
        k = b + 1
    out += lines[k:]
    text = "\n".join(out).strip("\n")
    if hidden and not text.strip():
        return None
    return text


def render_exercise(solution: nbformat.NotebookNode, where: str = "notebook") -> str:
    """The exercise notebook for one solution notebook, as the text ``assign`` writes."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = solution.metadata
    nb.nbformat, nb.nbformat_minor = 4, 5
    for k, cell in enumerate(solution.cells):
        src = stub_source(cell.source, cell.cell_type, f"{where}, cell {k + 1}")
        graded = cell.metadata.get("nbgrader", {})
        if src is None:
            if not graded.get("grade"):
                continue
            src = ""  # nbgrader keeps the graded cell; autograde restores its hidden tests
        new = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell,
               "raw": nbformat.v4.new_raw_cell}[cell.cell_type](src)
        new.metadata = copy.deepcopy(cell.metadata)
        if graded.get("solution"):
            new.metadata["deletable"] = False  # as nbgrader's LockCells
        elif graded.get("grade") or graded.get("locked"):
            new.metadata.update(deletable=False, editable=False)
        if "id" in cell:
            new.id = cell.id
        nb.cells.append(new)
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def exercise_of(nb: nbformat.NotebookNode, path: Path) -> str:
    """The exercise topic of a solution notebook: its ``lstm_course.exercise`` metadata, else its file name."""
    meta = nb.metadata.get("lstm_course", {})
    return str(meta.get("exercise") or path.stem) if isinstance(meta, dict) else path.stem


def annotated_solution(path: Path) -> str:
    """The text of the solution notebook at ``path`` with headings and nbgrader metadata from its exercise module."""
    from .exercises import get_exercise

    nb = nbformat.read(path, as_version=4)
    nb = annotate(nb, get_exercise(exercise_of(nb, path)), str(path))
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def assign(source: str | Path = "solutions", dest: str | Path = "exercises", *, check: bool = False) -> list[Path]:
    """Update every ``source/<name>.ipynb`` (headings, nbgrader metadata) and write ``dest/<name>.ipynb``.

    With ``check=True`` nothing is written; returns the solution and exercise files that are
    missing or differ from what would be written (an empty list means both are in sync).
    """
    source, dest = Path(source), Path(dest)
    solutions = sorted(source.glob("*.ipynb"))
    if not solutions:
        raise FileNotFoundError(f"No notebooks in `source` ({source}); run from the repository root "
                                "or pass --source.")
    stale: list[Path] = []
    for path in solutions:
        solution_text = annotated_solution(path)
        if path.read_text(encoding="utf-8") != solution_text:
            stale.append(path)
            if not check:
                path.write_text(solution_text, encoding="utf-8")
        text = render_exercise(nbformat.reads(solution_text, as_version=4), str(path))
        target = dest / path.name
        if target.exists() and target.read_text(encoding="utf-8") == text:
            continue
        stale.append(target)
        if not check:
            dest.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    return stale
