"""Where each question lives in a course notebook, and nbgrader's metadata for its cells.

A question's section starts at a markdown heading ``## Question N (P points): title`` and runs
to the next such heading. Inside it, a cell holding ``### BEGIN SOLUTION`` is an answer cell
(the student's part) and a cell holding ``### BEGIN HIDDEN TESTS`` is the question's graded
test cell. Points live in one place only, the question objects of the exercise module
(``q.points``); :func:`annotate` derives from them the "(P points)" of each heading and
nbgrader's cell metadata (schema version 3):

=====================  ========  =====  ======  =====================  ==========
cell                   solution  grade  locked  grade_id               points
=====================  ========  =====  ======  =====================  ==========
code answer            true      false  false   ``q1_answer``          --
hidden tests           false     true   true    ``q1_tests``           ``q.points``
markdown answer        true      true   false   ``q1_written``         0, or ``q.points``
                                                                       when the question
                                                                       has no hidden tests
=====================  ========  =====  ======  =====================  ==========

A second answer cell of the same question gets ``q1_answer_2``, and so on. Nothing here
depends on what kind of question it is (code, choice, design, ...): only on ``q.name``
(``q<N>`` for "Question N") and ``q.points``.
"""

from __future__ import annotations

import copy
import re
from typing import Any

__all__ = ["NBGRADER_SCHEMA", "annotate", "cell_questions", "heading_points", "nbgrader_points",
           "points_label", "question_heading"]

#: nbgrader's cell-metadata schema version written by :func:`annotate`.
NBGRADER_SCHEMA = 3
BEGIN_SOLUTION, BEGIN_HIDDEN = "### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS"
#: A question heading: ``## Question 3 (1 point): reading the gate`` (the points are optional on input).
_HEADING = re.compile(r"^(?P<head>#{1,6}[ \t]+Question[ \t]+(?P<n>\d+))(?P<points>[ \t]*\([^)\n]*\bpoints?\))?",
                      re.M)


def _source(cell: Any) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _has_marker(source: str, marker: str) -> bool:
    return any(line.strip() == marker for line in source.split("\n"))


def question_heading(cell: Any) -> int | None:
    """The number N of a markdown cell that holds a ``Question N`` heading, else ``None``."""
    if cell.get("cell_type") != "markdown":
        return None
    m = _HEADING.search(_source(cell))
    return int(m.group("n")) if m else None


def cell_questions(nb: Any) -> list[str | None]:
    """For every cell, the name (``"q3"``) of the question section it is in; ``None`` before the first."""
    out: list[str | None] = []
    current: str | None = None
    for cell in nb.get("cells", []):
        n = question_heading(cell)
        if n is not None:
            current = f"q{n}"
        out.append(current)
    return out


def points_label(points: float) -> str:
    """``"4 points"``, ``"1 point"``, ``"1.5 points"``."""
    return f"{points:g} point" + ("" if float(points) == 1 else "s")


def _json_number(points: float) -> int | float:
    return int(points) if float(points).is_integer() else float(points)


def heading_points(cell: Any) -> float | None:
    """The points a question heading states, ``(4 points)`` -> 4.0; ``None`` when it states none."""
    m = _HEADING.search(_source(cell)) if cell.get("cell_type") == "markdown" else None
    if not m or not m.group("points"):
        return None
    number = re.search(r"\d+(?:\.\d+)?", m.group("points"))
    return float(number.group(0)) if number else None


def nbgrader_points(nb: Any) -> dict[str, float]:
    """Points per question read back from nbgrader's metadata (graded cells summed per section)."""
    total: dict[str, float] = {}
    for cell, q in zip(nb.get("cells", []), cell_questions(nb), strict=True):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and q is not None:
            total[q] = total.get(q, 0.0) + float(meta.get("points", 0))
    return total


def _meta(*, solution: bool, grade: bool, locked: bool, grade_id: str, points: float | None = None) -> dict:
    meta: dict[str, Any] = {"grade": grade, "grade_id": grade_id, "locked": locked}
    if points is not None:
        meta["points"] = _json_number(points)
    meta.update(schema_version=NBGRADER_SCHEMA, solution=solution)
    return meta


def annotate(nb: Any, exercise: Any, where: str = "notebook") -> Any:
    """A copy of the solution notebook ``nb`` with headings and nbgrader metadata derived from ``exercise``.

    ``exercise`` is an :class:`~lstm_course.exercises.Exercise`. Raises ``ValueError`` naming
    the cell and the fix when the notebook's questions do not match the exercise's, or a
    question has no graded cell or more than one hidden-test cell.
    """
    nb = copy.deepcopy(nb)
    questions = {q.name: q for q in exercise.questions}
    sections = cell_questions(nb)
    seen: dict[str, dict[str, list[int]]] = {}
    for k, (cell, qname) in enumerate(zip(nb.cells, sections, strict=True)):
        n = question_heading(cell)
        if n is not None:
            if qname not in questions:
                raise ValueError(f"{where}, cell {k + 1}: the heading says Question {n}, but exercise "
                                 f"{exercise.topic!r} has no question {qname!r} (it has "
                                 f"{', '.join(questions) or 'none'}); fix the heading or the exercise module.")
            if qname in seen:
                raise ValueError(f"{where}, cell {k + 1}: a second heading for Question {n}; number the "
                                 "questions 1, 2, 3, … once each.")
            seen[qname] = {"solution": [], "written": [], "tests": []}
            label = points_label(questions[qname].points)
            cell.source = _HEADING.sub(lambda m, label=label: f"{m.group('head')} ({label})", _source(cell), count=1)
        cell.metadata.pop("nbgrader", None)
        src = _source(cell)
        role = ("tests" if _has_marker(src, BEGIN_HIDDEN) else
                ("written" if cell.cell_type == "markdown" else "solution") if _has_marker(src, BEGIN_SOLUTION)
                else None)
        if role is None:
            continue
        if qname is None:
            raise ValueError(f"{where}, cell {k + 1}: a `{BEGIN_SOLUTION}` or `{BEGIN_HIDDEN}` region before the "
                             "first `## Question N` heading; move it into a question's section.")
        seen[qname][role].append(k)
    missing = [name for name in questions if name not in seen]
    if missing:
        raise ValueError(f"{where}: no `## Question N` heading for {', '.join(missing)} of exercise "
                         f"{exercise.topic!r}; add one heading per question.")
    for qname, roles in seen.items():
        points = float(questions[qname].points)
        if len(roles["tests"]) > 1:
            cells = ", ".join(str(k + 1) for k in roles["tests"])
            raise ValueError(f"{where}: {qname} has hidden tests in cells {cells}; put them in one cell "
                             "(it carries the question's points, all or nothing, as `lstm-course grade` scores).")
        if not roles["tests"] and not roles["written"]:
            raise ValueError(f"{where}: {qname} has no `{BEGIN_HIDDEN}` cell, so nbgrader could not grade it; "
                             f"add a cell `{BEGIN_HIDDEN}` / `assert {qname}.check(...)` / `### END HIDDEN TESTS`.")
        for j, k in enumerate(roles["solution"]):
            nb.cells[k].metadata["nbgrader"] = _meta(
                solution=True, grade=False, locked=False, grade_id=f"{qname}_answer" + (f"_{j + 1}" if j else ""))
        for j, k in enumerate(roles["written"]):
            share = points if not roles["tests"] and j == 0 else 0.0
            nb.cells[k].metadata["nbgrader"] = _meta(
                solution=True, grade=True, locked=False, points=share,
                grade_id=f"{qname}_written" + (f"_{j + 1}" if j else ""))
        for k in roles["tests"]:
            nb.cells[k].metadata["nbgrader"] = _meta(solution=False, grade=True, locked=True, points=points,
                                                     grade_id=f"{qname}_tests")
    return nb
