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
(:mod:`lstm_course.notebook_cells`), so ``solutions/`` and ``exercises/`` both follow it, and
points every chapter link (``../book/02_forget_gate.ipynb``) at the chapter's page on the
published site (:func:`site_address`), so the link still works in a notebook downloaded on its own.
"""

from __future__ import annotations

import ast
import copy
import re
from pathlib import Path

import nbformat

from .notebook_cells import annotate

__all__ = ["annotated_solution", "assign", "exercise_of", "render_exercise", "site_address", "site_links",
           "stub_source"]

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
STUB_MESSAGE = "Write your answer here, then run the check below."
#: ``repository: url: https://github.com/<owner>/<name>`` in ``_config.yml``, the one place the URL lives.
_REPOSITORY_URL = re.compile(r"^repository:[ \t]*\n(?:[ \t]+.*\n)*?[ \t]+url:[ \t]*(?P<url>\S+)", re.M)
#: A markdown link to a chapter: ``](../book/<page>.ipynb)`` or ``](<any site>/book/<page>.html)``.
_CHAPTER_LINK = re.compile(r"\]\((?:\.\./book/|https?://[^)\s]*?/book/)(?P<page>[\w-]+)\.(?:ipynb|html)(?P<anchor>#[^)\s]*)?\)")


def site_address(root: str | Path = ".") -> str:
    """The published site's address, ``https://<owner>.github.io/<name>/``, from ``repository.url`` in
    ``root/_config.yml`` (GitHub Pages, as README "Publishing to GitHub Pages" sets it up).

    Raises ``FileNotFoundError`` or ``ValueError`` naming the file and the fix.
    """
    config = Path(root) / "_config.yml"
    if not config.exists():
        raise FileNotFoundError(f"No {config}: run `lstm-course assign` from the repository root, where the book's "
                                "_config.yml names the repository.")
    m = _REPOSITORY_URL.search(config.read_text(encoding="utf-8"))
    url = m.group("url").strip("\"'") if m else ""
    parts = re.fullmatch(r"https://github\.com/(?P<owner>[\w.-]+)/(?P<name>[\w.-]+?)(?:\.git)?/?", url)
    if not parts:
        raise ValueError(f"{config}: `repository.url` should be https://github.com/<owner>/<name>; got {url!r}.")
    return f"https://{parts['owner'].lower()}.github.io/{parts['name']}/"


def site_links(text: str, site: str) -> str:
    """``text`` with every markdown link to a chapter pointed at its page on ``site``."""
    return _CHAPTER_LINK.sub(lambda m: f"]({site}book/{m['page']}.html{m['anchor'] or ''})", text)


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


def annotated_solution(path: Path, site: str | None = None) -> str:
    """The text of the solution notebook at ``path`` with headings and nbgrader metadata from its exercise module,
    and its chapter links pointed at ``site`` (unchanged when ``None``)."""
    from .exercises import get_exercise

    nb = nbformat.read(path, as_version=4)
    nb = annotate(nb, get_exercise(exercise_of(nb, path)), str(path))
    if site is not None:
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = site_links(cell.source, site)
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def assign(source: str | Path = "solutions", dest: str | Path = "exercises", *, check: bool = False) -> list[Path]:
    """Update every ``source/<name>.ipynb`` (headings, nbgrader metadata) and write ``dest/<name>.ipynb``.

    With ``check=True`` nothing is written; returns the solution and exercise files that are
    missing or differ from what would be written (an empty list means both are in sync). Chapter links
    point at the site named by the ``_config.yml`` next to ``source`` (:func:`site_address`); without one
    (a copy of ``solutions/`` elsewhere) they are left as they are.
    """
    source, dest = Path(source), Path(dest)
    root = source.resolve().parent
    site = site_address(root) if (root / "_config.yml").exists() else None
    solutions = sorted(source.glob("*.ipynb"))
    if not solutions:
        raise FileNotFoundError(f"No notebooks in `source` ({source}); run from the repository root "
                                "or pass --source.")
    stale: list[Path] = []
    for path in solutions:
        solution_text = annotated_solution(path, site)
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
