"""Find the bug: the learner gets a short LSTM function with one realistic bug and fixes it.

A :class:`DebugQuestion` is a :class:`~._core.CodeQuestion` whose first known mistake is the
bug itself (the unfixed function, run as it is): the fixed function is checked on fresh
inputs, not a text answer.  Partial fixes are further named mistakes, and whatever the
verdict, the feedback lists which parts of the result already match and which still differ
(``h_T`` and ``c_T``, or the gradient of each chunk).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from ._core import Call, CodeQuestion, Mistake, Verdict, compare

__all__ = ["DebugQuestion"]


class DebugQuestion(CodeQuestion):
    """Fix ``buggy``: the answer is the fixed function ``func_name``; ``bug`` names what is wrong in ``buggy``.

    ``parts`` names the parts of the result for "what still differs": the fields of a tuple, or
    (with ``part_axis=0``) the slices of a tensor along its first axis, e.g. ``"chunk {k}"``.
    """

    kind = "debug"

    def __init__(self, name: str, title: str, points: float, *, buggy: Callable[..., Any], bug: str, bug_fix: str,
                 parts: Sequence[str], part_axis: int | None = None, mistakes: Sequence[Mistake] = (),
                 **kwargs: Any) -> None:
        super().__init__(name, title, points, mistakes=[Mistake(bug, bug_fix, output=buggy), *mistakes], **kwargs)
        self.buggy, self.bug, self.bug_fix = buggy, bug, bug_fix
        self.parts, self.part_axis = tuple(parts), part_axis
        self._solution += f"\n# The bug: {bug}. {bug_fix}"

    def _split(self, value: Any) -> list | None:
        if self.part_axis is not None and isinstance(value, torch.Tensor) and value.dim() > self.part_axis:
            return list(value.unbind(self.part_axis))
        if isinstance(value, (tuple, list)):
            return list(value)
        return None

    def _name(self, k: int) -> str:
        return self.parts[k].format(k=k + 1) if k < len(self.parts) else self.parts[-1].format(k=k + 1)

    def still_differs(self, expected: Any, got: Any) -> str:
        """``"Still differs: c_T. Already right: h_T."``, or ``""`` when the parts cannot be compared."""
        want, have = self._split(expected), self._split(got)
        if want is None or have is None or len(want) != len(have):
            return ""
        wrong = [self._name(k) for k, (e, g) in enumerate(zip(want, have, strict=True)) if compare(e, g) is not None]
        right = [self._name(k) for k, (e, g) in enumerate(zip(want, have, strict=True)) if compare(e, g) is None]
        text = f"Still differs: {', '.join(wrong)}." if wrong else ""
        return text + (f" Already right: {', '.join(right)}." if right and wrong else "")

    def _diagnose(self, call: Call, got: Any, why: str, probes: Sequence[tuple[Call, dict]],
                  passed_any: bool) -> Verdict:
        verdict = super()._diagnose(call, got, why, probes, passed_any)
        lines = [verdict.message]
        if verdict.mistake == self.bug:
            lines.insert(0, f"The bug is still there: {self.bug}.")
        if got is not None:
            differs = self.still_differs(self.reference(*call.args), got)
            if differs:
                lines.append(differs)
        return Verdict(verdict.status, "\n".join(lines), verdict.mistake)
