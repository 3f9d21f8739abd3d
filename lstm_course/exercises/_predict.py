"""Predict before you run: the learner writes down a number (or a shape) before computing it.

The value is computed by the library when the answer is judged, never typed in. An answer
counts when it is within the stated ``tolerance`` (exactly, when ``tolerance`` is ``None``).
A wrong answer gets the computation spelled out after the attempt, and the usual slips
(a sigmoid left out, a factor counted once too often), each also computed by the library,
are recognised by name.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
import torch

from ._core import CheckResult, Verdict, _emit, _Question, _short

__all__ = ["PredictQuestion", "Slip"]


class Slip(NamedTuple):
    """A usual wrong prediction: its ``name``, the ``value`` it gives (computed by the library), and a ``fix``."""

    name: str
    value: Callable[[], Any]
    fix: str


def _as_number(answer: Any) -> float | None:
    if isinstance(answer, bool):
        return None
    if isinstance(answer, torch.Tensor) and answer.numel() == 1:
        return float(answer)
    if isinstance(answer, np.ndarray) and answer.size == 1:
        return float(answer.reshape(()))
    if isinstance(answer, numbers.Real):
        return float(answer)
    return None


def _as_shape(answer: Any) -> tuple[int, ...] | None:
    if not isinstance(answer, (tuple, list)):
        return None
    if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in answer):
        return None
    return tuple(int(n) for n in answer)


class PredictQuestion(_Question):
    """Write a prediction into ``variable``; ``value()`` computes the truth with the library."""

    kind = "predict"

    def __init__(self, name: str, title: str, points: float, *, variable: str, value: Callable[[], Any],
                 tolerance: float | None, working: Callable[[], str], slips: Sequence[Slip] = (), hint: str,
                 digits: int = 4) -> None:
        self.name, self.title, self.points, self.variable = name, title, points, variable
        self.value, self.tolerance, self.working, self.slips = value, tolerance, working, tuple(slips)
        self._hint, self.digits = hint, digits

    @property
    def tolerance_text(self) -> str:
        """How the answer is judged, as the question states it: ``"±0.005"`` or ``"exactly"``."""
        return "exactly" if self.tolerance is None else f"±{self.tolerance:g}"

    def _show(self, value: Any) -> str:
        if isinstance(value, tuple):
            return repr(value)
        if isinstance(value, numbers.Integral):
            return str(value)
        return f"{value:.{self.digits}g}"

    def _matches(self, got: Any, want: Any) -> bool:
        if isinstance(want, tuple):
            return _as_shape(got) == want
        number = _as_number(got)
        if number is None:
            return False
        return number == want if self.tolerance is None else abs(number - want) <= self.tolerance + 1e-12

    def judge_answer(self, answer: Any) -> Verdict:
        """Judge a prediction: the library's value, the tolerance, and the computation when it is wrong."""
        if answer is None or answer is Ellipsis:
            return Verdict("not_attempted", f"Write your prediction into `{self.variable}`, then check again. "
                           "Predict first: the computation is shown after your attempt.")
        want = self.value()
        if isinstance(want, tuple) and _as_shape(answer) is None:
            return Verdict("wrong", f"`{self.variable}` should be a shape, a tuple of whole numbers such as (2, 3); "
                           f"got {_short(answer)}.", "not a shape")
        if not isinstance(want, tuple) and _as_number(answer) is None:
            return Verdict("wrong", f"`{self.variable}` should be a number; got {_short(answer)}.", "not a number")
        judged = "exactly" if self.tolerance is None else f"within {self.tolerance_text}"
        shown = repr(_as_shape(answer)) if isinstance(want, tuple) else self._show(_as_number(answer))
        if self._matches(answer, want):
            return Verdict("correct", f"{shown}: right ({self._show(want)}, judged {judged}).")
        lines = [f"You predicted {shown}; the value is {self._show(want)} (judged {judged}).",
                 "How it is computed:", self.working()]
        mistake = None
        for slip in self.slips:
            if self._matches(answer, slip.value()):
                lines.append(f"Likely slip: {slip.name}. {slip.fix}")
                mistake = slip.name
                break
        return Verdict("wrong", "\n".join(lines), mistake)

    def check(self, answer: Any = None) -> CheckResult:
        """Check a prediction: ``q6.check(q6_answer)``."""
        return self._report(self.judge_answer(answer))

    def solution(self) -> None:
        """Print the value and how it is computed."""
        _emit(f"Solution ({self.name}):\n{self.variable} = {self._show(self.value())}\n{self.working()}")
