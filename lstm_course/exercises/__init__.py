"""Graded exercises: one module per topic, each with questions ``q1``, ``q2``, … .

In a notebook::

    from lstm_course.exercises.forget_gate import q1, q2, q3
    q1.check(forget_gate)   # runs your function on small cases, names the mistake
    q1.hint()
    q1.solution()
    q3.check("b")           # multiple choice

Question kinds (``q.kind``): ``"code"`` (write a function), ``"choice"`` (a letter), ``"design"`` (set a
small cell's weights by hand, :class:`DesignQuestion`), ``"debug"`` (fix a function with one bug,
:class:`DebugQuestion`) and ``"predict"`` (a number before you compute it, :class:`PredictQuestion`).
:func:`try_cell` and :func:`explore` are the design questions' sandbox.

:func:`get_exercise` is the registry the batch grader (:mod:`lstm_course.grading`) uses.
"""

from __future__ import annotations

import importlib

from ._core import CheckResult, ChoiceQuestion, CodeQuestion, Exercise, Mistake, Verdict
from ._debug import DebugQuestion
from ._design import DesignQuestion, design_weights, explore, try_cell
from ._predict import PredictQuestion, Slip

__all__ = ["KINDS", "TOPICS", "CheckResult", "ChoiceQuestion", "CodeQuestion", "DebugQuestion", "DesignQuestion",
           "Exercise", "Mistake", "PredictQuestion", "Slip", "Verdict", "design_weights", "explore", "get_exercise",
           "try_cell"]

#: The kinds of question, each a class with that ``kind`` attribute.
KINDS: tuple[str, ...] = ("code", "choice", "design", "debug", "predict")

#: Exercise topics, in the order of the chapters.
TOPICS: tuple[str, ...] = ("forget_gate", "input_gate", "cell_update", "output_gate", "whole_cell",
                           "backward", "gradient_flow", "training", "variants", "practice", "reading_code")


def get_exercise(topic: str) -> Exercise:
    """The :class:`Exercise` of ``topic`` (one of :data:`TOPICS`)."""
    if topic not in TOPICS:
        raise ValueError(f"`topic` must be one of {', '.join(TOPICS)}; got {topic!r}.")
    return importlib.import_module(f"{__name__}.{topic}").EXERCISE
