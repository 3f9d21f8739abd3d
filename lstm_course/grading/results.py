"""Gradescope's ``results.json`` for graded submissions (the format only; grading is :mod:`.grader`).

``results.json`` follows Gradescope's autograder specification: top-level ``score``,
``execution_time`` (seconds), ``output`` in Markdown (``output_format: "md"``) and ``tests``.
Each question is one test, visible at once, with ``name``, ``number``, ``score``,
``max_score``, ``status`` and an ``output`` that names the mistake and gives the hint, with
the values computed on the hidden inputs left out. When the verdict quotes such values (what
was expected, what came back), a second test without points carries the whole verdict with
``visibility: "after_published"``: students see it once the instructor publishes the grades.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..notebook_cells import points_label
from .records import SubmissionGrade

__all__ = ["DETAILS_VISIBILITY", "public_message", "results_json"]

#: Gradescope's visibility for the verdicts that quote values computed on hidden inputs.
DETAILS_VISIBILITY = "after_published"
_HIDDEN_NOTE = "expected and returned values on the hidden inputs are shown once grades are published"
_VALUES = re.compile(r"expected (?P<expected>.+?), got (?P<got>.+?)(?=\.(?:\s|$)|$)", re.M)
_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?|nan|-?inf", re.I)


def _is_value(text: str) -> bool:
    text = text.strip()
    return text.startswith(("tensor of shape", "numpy array of shape")) or bool(_NUMBER.fullmatch(text))


def public_message(message: str) -> str:
    """``message`` with the values computed on hidden inputs left out (shapes, mistakes and hints stay)."""

    def hide(m: re.Match) -> str:
        return _HIDDEN_NOTE if _is_value(m.group("expected")) or _is_value(m.group("got")) else m.group(0)

    return _VALUES.sub(hide, message)


def _hint(exercise: str | None, name: str) -> str:
    if not exercise:
        return ""
    from ..exercises import get_exercise

    try:
        q = next(q for q in get_exercise(exercise).questions if q.name == name)
    except (ValueError, StopIteration):
        return ""
    return str(getattr(q, "_hint", "") or "")


def _number_of(name: str, k: int) -> str:
    return name[1:] if re.fullmatch(r"q\d+", name) else str(k + 1)


def results_json(grades: Sequence[SubmissionGrade], execution_time: float | None = None,
                 notes: Sequence[str] = ()) -> dict:
    """Gradescope's ``results.json`` for the grades of one student (one notebook per exercise)."""
    many = len(grades) > 1
    tests: list[dict[str, Any]] = []
    general: list[str] = list(notes)
    for e, g in enumerate(grades):
        head = f"{g.exercise}, " if many else ""
        base = f"{e + 1}." if many else ""
        if g.problem:
            general.append(f"**{g.exercise or Path(g.file).name}: not graded.** {g.problem}.")
        if g.notes:
            where = f" ({Path(g.file).name})" if g.file else ""
            general += [f"**Notes on running your notebook{where}** (cells are counted from the top, markdown "
                        "cells included):"] + [f"- {n}" for n in g.notes]
        for k, q in enumerate(g.questions):
            number = base + _number_of(q.name, k)
            passed = q.max_points > 0 and q.points >= q.max_points
            public = public_message(q.message)
            lines = [("**✔ Correct.**" if passed else "**✘ Not yet.**") + (f" {public}" if public else "")]
            hint = _hint(g.exercise, q.name) if not passed else ""
            if hint:
                lines.append(f"**Hint:** {hint}")
            if public != q.message:
                lines.append(f"(Test {number}.1 shows the values on the hidden inputs once grades are published.)")
            tests.append({"name": f"{head}Question {number.split('.')[-1]} ({points_label(q.max_points)}): "
                                  f"{q.title}",
                          "number": number, "score": q.points, "max_score": q.max_points,
                          "status": "passed" if passed else "failed", "output": "\n\n".join(lines),
                          "output_format": "md", "visibility": "visible"})
            if public != q.message:
                tests.append({"name": f"{head}Question {number.split('.')[-1]}: the verdict on the hidden inputs, "
                                      "with the values", "number": f"{number}.1", "output": q.message,
                              "output_format": "md", "visibility": DETAILS_VISIBILITY})
    total = float(sum(g.score for g in grades))
    maximum = float(sum(g.max_points for g in grades))
    summary = ", ".join(f"{g.exercise or Path(g.file).name} {g.score:g}/{g.max_points:g}" for g in grades)
    out: dict[str, Any] = {"score": total, "output": "\n\n".join([f"Score: {total:g} / {maximum:g} ({summary}).",
                                                                 *general]),
                           "output_format": "md", "visibility": "visible", "tests": tests}
    if execution_time is not None:
        out["execution_time"] = max(1, math.ceil(execution_time))
    return out
