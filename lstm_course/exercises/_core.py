"""Questions with ``check()``, ``hint()`` and ``solution()``, and the judge both checkers share.

A :class:`CodeQuestion` knows how to draw small test cases, the right answer (from
``lstm_course``, never re-derived here), and a list of :class:`Mistake` s: known wrong
variants, each either a wrong output computed with the reference or a *probe* (the
student's function called on transformed inputs, e.g. a transposed weight, which then
gives the right answer).  :meth:`CodeQuestion.judge` turns the student's outcomes into a
:class:`Verdict` that names the mistake.  The notebook checker (``q1.check(fn)``) runs
the student's function in the notebook; the batch grader runs it in a sandboxed kernel
and calls the same ``judge`` in its own process.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from . import _calls, _guard

__all__ = ["CheckResult", "ChoiceQuestion", "CodeQuestion", "Mistake", "Verdict", "describe"]

#: Tolerances for comparing a student's numbers with the reference (float64 cases).
RTOL, ATOL = 1e-4, 1e-6
#: Library functions a student might call instead of writing the answer.
TORCH_LSTM = ("torch.nn.LSTM", "torch.nn.LSTMCell", "torch.lstm", "torch.lstm_cell", "torch._VF.lstm")


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer. ``output(*args)`` computes it; ``probe(args)`` transforms inputs instead.

    With a probe, the student's function is also called on ``probe(args)``; if that call
    returns the right answer for the original ``args``, this is the mistake.
    """

    name: str
    fix: str
    output: Callable[..., Any] | None = None
    probe: Callable[[tuple], tuple] | None = None


@dataclass
class Call:
    """One call to make: the arguments, and which case/mistake a probe call belongs to."""

    args: tuple
    case: int
    probe: str | None = None


@dataclass
class Verdict:
    """The judgement on one question: ``status`` in correct / wrong / not_attempted / error / forbidden / timeout."""

    status: str
    message: str
    mistake: str | None = None

    @property
    def passed(self) -> bool:
        return self.status == "correct"


@dataclass
class CheckResult:
    """What ``check()`` returns: true when the answer is right. It prints its own feedback."""

    question: str
    verdict: Verdict
    points: float
    max_points: float

    def __bool__(self) -> bool:
        return self.verdict.passed

    def _ipython_display_(self) -> None:  # feedback is already printed; show nothing more
        return None


# ---------------------------------------------------------------------------- comparisons


def _short(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        flat = value.detach().reshape(-1)[:6].tolist()
        vals = ", ".join(f"{v:.4g}" for v in flat) + (", …" if value.numel() > 6 else "")
        return f"tensor of shape {tuple(value.shape)} [{vals}]"
    if isinstance(value, np.ndarray):
        try:
            flat = value.reshape(-1)[:6].astype(float).tolist()
            vals = ", ".join(f"{v:.4g}" for v in flat) + (", …" if value.size > 6 else "")
        except (TypeError, ValueError):
            vals = "…"
        return f"numpy array of shape {value.shape} [{vals}]"
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return f"{type(value).__name__}({', '.join(value._fields)})"
    if isinstance(value, (tuple, list)):
        return f"{type(value).__name__} of {len(value)}"
    text = repr(value)
    return text if len(text) < 80 else text[:80] + "…"


def describe(value: Any) -> str:
    """A short human description of a value (type, shape, first numbers)."""
    return _short(value)


def compare(expected: Any, got: Any, name: str = "the result") -> str | None:
    """``None`` when ``got`` matches ``expected`` (tolerances, shapes, types), else why not."""
    if isinstance(expected, torch.Tensor):
        if isinstance(got, np.ndarray):
            return f"{name} is a numpy array, but a torch.Tensor was expected (numpy returned where torch expected)"
        if not isinstance(got, torch.Tensor):
            return f"{name} should be a torch.Tensor, got {type(got).__name__}"
        if tuple(got.shape) != tuple(expected.shape):
            return f"{name} has the wrong shape: expected {tuple(expected.shape)}, got {tuple(got.shape)}"
        if not got.is_floating_point():
            return f"{name} has dtype {got.dtype}; expected floating point"
        if not torch.allclose(got.double(), expected.double(), rtol=RTOL, atol=ATOL, equal_nan=False):
            return f"{name} has the wrong values: expected {_short(expected)}, got {_short(got)}"
        return None
    if isinstance(expected, np.ndarray):
        if isinstance(got, torch.Tensor):
            return (f"{name} is a torch.Tensor, but a numpy array was expected (torch returned where numpy "
                    "expected: use numpy, or convert with .numpy())")
        if not isinstance(got, np.ndarray):
            return f"{name} should be a numpy array, got {type(got).__name__}"
        if got.shape != expected.shape:
            return f"{name} has the wrong shape: expected {expected.shape}, got {got.shape}"
        try:
            ok = np.allclose(got.astype(float), expected.astype(float), rtol=RTOL, atol=ATOL)
        except (TypeError, ValueError):
            ok = False
        return None if ok else f"{name} has the wrong values: expected {_short(expected)}, got {_short(got)}"
    if isinstance(expected, tuple):
        if not isinstance(got, (tuple, list)):
            return f"{name} should be a tuple of {len(expected)}, got {type(got).__name__}"
        if len(got) != len(expected):
            return f"{name} should have {len(expected)} parts, got {len(got)}"
        names = getattr(expected, "_fields", None) or [f"part {k}" for k in range(len(expected))]
        for k, (e, g) in enumerate(zip(expected, got, strict=True)):
            why = compare(e, g, f"{name}[{k}] ({names[k]})" if not getattr(expected, "_fields", None)
                          else f"`{names[k]}`")
            if why:
                return why
        return None
    if isinstance(expected, float):
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            got = float(got)
        if isinstance(got, np.ndarray) and got.size == 1:
            got = float(got)
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            return f"{name} should be a number, got {_short(got)}"
        if not np.isclose(float(got), expected, rtol=RTOL, atol=ATOL):
            return f"{name} is wrong: expected {expected:.6g}, got {float(got):.6g}"
        return None
    return None if got == expected else f"{name}: expected {expected!r}, got {_short(got)}"


def _changed(before: Any, after: Any) -> bool:
    if isinstance(before, torch.Tensor):
        return not (isinstance(after, torch.Tensor) and after.shape == before.shape and torch.equal(after, before))
    if isinstance(before, np.ndarray):
        return not (isinstance(after, np.ndarray) and after.shape == before.shape and np.array_equal(after, before))
    if isinstance(before, tuple):
        return not isinstance(after, tuple) or any(_changed(b, a) for b, a in zip(before, after, strict=False))
    return False


# ---------------------------------------------------------------------------- questions


def _emit(text: str) -> None:
    print(text)  # noqa: T201 - the in-notebook checker's whole job is to print feedback


class _Question:
    #: "code", "choice", "design", "debug" or "predict" (see :data:`lstm_course.exercises.KINDS`)
    kind: str
    name: str
    title: str
    points: float
    _hint: str
    _solution: str

    def hint(self) -> None:
        """Print a hint."""
        _emit(f"Hint ({self.name}): {self._hint}")

    def solution(self) -> None:
        """Print the solution."""
        _emit(f"Solution ({self.name}):\n{self._solution}")

    #: the result of the latest ``check`` (``None`` before the first); :meth:`Exercise.progress` adds them up
    last: CheckResult | None = None

    def _report(self, verdict: Verdict) -> CheckResult:
        got = self.points if verdict.passed else 0.0
        mark = {"correct": "✔ Correct", "not_attempted": "… Not attempted yet"}.get(verdict.status, "✘ Not yet")
        _emit(f"{mark} — {self.name} ({self.title}), {got:g}/{self.points:g} points.\n{verdict.message}".rstrip())
        self.last = CheckResult(self.name, verdict, got, self.points)
        return self.last


class ChoiceQuestion(_Question):
    """A multiple-choice question; the student writes the letter into ``variable`` and calls ``check``."""

    kind = "choice"

    def __init__(self, name: str, title: str, points: float, *, variable: str, options: dict[str, str],
                 answer: str, why: dict[str, str], hint: str, explanation: str) -> None:
        self.name, self.title, self.points, self.variable = name, title, points, variable
        self.options, self._answer, self._why = dict(options), answer, dict(why)
        self._hint = hint
        self._solution = f'{variable} = "{answer}"  # {options[answer]}\n{explanation}'

    def judge_answer(self, answer: Any) -> Verdict:
        """Judge a submitted answer (a letter)."""
        letters = ", ".join(f'"{k}"' for k in self.options)
        if answer is None or answer is Ellipsis:
            return Verdict("not_attempted", f"Set `{self.variable}` to one of {letters}, then check again.")
        if not isinstance(answer, str) or answer.strip().lower() not in self.options:
            return Verdict("wrong", f"`{self.variable}` must be one of {letters}; got {_short(answer)}.",
                           "not an option")
        letter = answer.strip().lower()
        if letter == self._answer:
            return Verdict("correct", "")
        return Verdict("wrong", f"({letter}) {self.options[letter]}: {self._why.get(letter, 'not quite.')}",
                       f"chose {letter}")

    def check(self, answer: Any = None) -> CheckResult:
        """Check an answer: ``q3.check("b")``."""
        return self._report(self.judge_answer(answer))


class CodeQuestion(_Question):
    """A question whose answer is a function ``func_name(*arg_names)``."""

    kind = "code"

    def __init__(self, name: str, title: str, points: float, *, func_name: str, arg_names: Sequence[str],
                 cases: Callable[[torch.Generator], list[tuple]], reference: Callable[..., Any],
                 mistakes: Sequence[Mistake] = (), forbidden: Sequence[str] = (), hint: str,
                 solution: Callable[..., Any] | str, check_seed: int = 0) -> None:
        self.name, self.title, self.points = name, title, points
        self.func_name, self.arg_names = func_name, tuple(arg_names)
        self._cases, self.reference = cases, reference
        self.mistakes, self.forbidden = tuple(mistakes), tuple(forbidden)
        self._hint = hint
        if not isinstance(solution, str):
            solution = re.sub(r"def \w+", f"def {func_name}", textwrap.dedent(inspect.getsource(solution)), count=1)
        self._solution = solution
        self.check_seed = check_seed

    # -- the plan of calls, shared by the notebook checker and the grader
    def plan(self, seed: int) -> list[Call]:
        """Cases drawn with ``seed``, then one probe call per (probe mistake, case)."""
        gen = torch.Generator().manual_seed(seed)
        cases = self._cases(gen)
        calls = [Call(tuple(args), k) for k, args in enumerate(cases)]
        for m in self.mistakes:
            if m.probe is not None:
                calls += [Call(tuple(m.probe(tuple(args))), k, m.name) for k, args in enumerate(cases)]
        return calls

    def judge(self, calls: Sequence[Call], outcomes: Sequence[dict]) -> Verdict:
        """Turn outcomes (dicts from :func:`~._calls.call_guarded`) into a verdict naming the mistake."""
        cases = [(c, o) for c, o in zip(calls, outcomes, strict=True) if c.probe is None]
        probes = [(c, o) for c, o in zip(calls, outcomes, strict=True) if c.probe is not None]
        for _, o in cases:
            if o["status"] == "forbidden":
                return Verdict("forbidden", f"`{self.func_name}` calls `{o['called']}`, the library's own version of "
                               "what this question asks you to write, so it scores 0. Write it yourself.", "forbidden")
            if o["status"] == "timeout":
                return Verdict("timeout", f"`{self.func_name}` did not finish in time (an infinite loop?).", "timeout")
        if all(o["status"] == "not_attempted" for _, o in cases):
            return Verdict("not_attempted", f"`{self.func_name}` still raises NotImplementedError: write its body, "
                           "then check again.")
        passed_any = False
        for (c, o) in cases:
            expected = self.reference(*c.args)
            if o["status"] == "not_attempted":
                return Verdict("wrong", f"`{self.func_name}` raised NotImplementedError on case {c.case + 1}.")
            if o["status"] == "error":
                why = f"`{self.func_name}{self._sig()}` raised {o['error']} on {self._case_name(c)}."
                return self._diagnose(c, None, why, probes, passed_any)
            for arg_name, before, after in zip(self.arg_names, c.args, o["args_after"] or (), strict=False):
                if _changed(before, after):
                    return Verdict("wrong", f"Inputs modified in place: `{self.func_name}` changed its input "
                                   f"`{arg_name}` (on {self._case_name(c)}). Compute a new tensor instead of "
                                   "writing into an argument (avoid `+=`, `*=`, `[...] =` and `_`-suffixed "
                                   "methods on inputs).",
                                   "inputs modified in place")
            got = o["value"]
            if got is None and expected is not None:
                return Verdict("wrong", f"`{self.func_name}` returned None on {self._case_name(c)}: "
                               "did you forget `return`?", "returned None")
            why = compare(expected, got)
            if why:
                return self._diagnose(c, got, f"On {self._case_name(c)}: {why}.", probes, passed_any)
            passed_any = True
        return Verdict("correct", _all_match(len(cases)))

    def _diagnose(self, call: Call, got: Any, why: str, probes: Sequence[tuple[Call, dict]],
                  passed_any: bool) -> Verdict:
        expected = self.reference(*call.args)
        for m in self.mistakes:
            if m.output is not None and got is not None:
                try:
                    wrong = m.output(*call.args)
                except Exception:  # noqa: BLE001 - a variant that does not apply to this case
                    continue
                if compare(wrong, got) is None:
                    return Verdict("wrong", f"{why}\nLikely mistake: {m.name}. {m.fix}", m.name)
            if m.probe is not None:
                for pc, po in probes:
                    if pc.probe == m.name and pc.case == call.case and po["status"] == "ok" \
                            and compare(expected, po["value"]) is None:
                        return Verdict("wrong", f"{why}\nLikely mistake: {m.name}. {m.fix}", m.name)
        for marker, name in (("numpy array, but a torch.Tensor", "numpy returned where torch expected"),
                             ("torch.Tensor, but a numpy array", "torch returned where numpy expected"),
                             ("wrong shape", "wrong shape")):
            if marker in why:
                return Verdict("wrong", why, name)
        if got is not None and not isinstance(got, (torch.Tensor, np.ndarray, tuple, list, float, int)):
            why += f" It returned {type(got).__name__}."
        if passed_any and call.args and isinstance(call.args[0], torch.Tensor) and call.args[0].dim() == 2:
            why += " The single-example case passed, so check what happens with a batch dimension (use dim=-1)."
        return Verdict("error" if got is None else "wrong", why)

    def _sig(self) -> str:
        return "(" + ", ".join(self.arg_names) + ")"

    def _case_name(self, call: Call) -> str:
        shapes = ", ".join(f"{n}={_shape(a)}" for n, a in zip(self.arg_names, call.args, strict=False))
        return f"case {call.case + 1} ({shapes})"

    # -- the notebook checker
    def check(self, fn: Any = None) -> CheckResult:
        """Run ``fn`` on small cases and print what was expected, what came back, and the likely mistake."""
        if fn is None or fn is Ellipsis:
            return self._report(Verdict("not_attempted", f"Pass your function: `{self.name}.check({self.func_name})`."))
        if not callable(fn):
            return self._report(Verdict("wrong", f"`{self.name}.check` needs your function `{self.func_name}`, "
                                        f"got {type(fn).__name__}.", "not a function"))
        static = self._static_forbidden(fn)
        if static:
            return self._report(Verdict("forbidden", f"`{self.func_name}` uses `{static[0]}`, the library's own "
                                        "version of what this question asks you to write. Write it yourself.",
                                        "forbidden"))
        watch = _calls.resolve_forbidden(self.forbidden)
        calls = self.plan(self.check_seed)
        outcomes = [_calls.call_guarded(fn, c.args, watch) for c in calls]
        return self._report(self.judge(calls, outcomes))

    def _static_forbidden(self, fn: Any) -> list[str]:
        try:
            src = textwrap.dedent(inspect.getsource(fn))
        except (OSError, TypeError):
            return []
        user = getattr(fn, "__globals__", {})
        # names imported in the notebook live in the function's globals: add them as aliases
        extra = [f"import {v.__name__} as {k}" for k, v in user.items()
                 if inspect.ismodule(v) and k.isidentifier()]
        extra += [f"from {v.__module__} import {v.__name__} as {k}" for k, v in user.items()
                  if k.isidentifier() and callable(v) and getattr(v, "__module__", None)
                  and getattr(v, "__name__", "").isidentifier() and v is not fn
                  and str(v.__module__).split(".")[0] in ("lstm_course", "torch")]
        tree = _guard.notebook_source(extra + [src])
        return _guard.forbidden_uses(tree, getattr(fn, "__name__", self.func_name), self.forbidden)


def _all_match(n: int) -> str:
    """"The case matches." / "Both cases match." / "All 3 cases match."."""
    return "The case matches." if n == 1 else "Both cases match." if n == 2 else f"All {n} cases match."


def _shape(a: Any) -> str:
    if isinstance(a, (torch.Tensor, np.ndarray)):
        return str(tuple(a.shape))
    if isinstance(a, tuple) and hasattr(a, "_fields"):
        return type(a).__name__
    return _short(a)


@dataclass(frozen=True)
class Progress:
    """The points of an exercise as its checks last scored them: ``rows`` of ``(question, title, points, max,
    status)`` (status ``None`` for a question not checked yet), their ``total`` and the exercise's ``max_points``."""

    title: str
    rows: tuple
    total: float
    max_points: float

    def __str__(self) -> str:
        width = max(len(title) for _, title, *_ in self.rows)
        lines = [f"Your total so far in “{self.title}”, as each question's latest check scored it:"]
        for name, title, got, most, status in self.rows:
            mark = {"correct": "✔", None: "·"}.get(status, "✘")
            state = {"correct": "correct", None: "not checked yet", "not_attempted": "not attempted"}.get(
                status, "not yet")
            lines.append(f"  {mark} {name:<3} {title:<{width}}  {got:g}/{most:g}  {state}")
        lines.append(f"Total: {self.total:g} of {self.max_points:g} points.")
        lines.append("The grader runs every question again on fresh hidden inputs, all or nothing per question, as "
                     "each check above does; after you change an answer, run its check again, then this cell.")
        return "\n".join(lines)

    def _ipython_display_(self) -> None:  # printed already by Exercise.progress
        return None


@dataclass
class Exercise:
    """One topic's notebook: its questions in order."""

    topic: str
    title: str
    questions: tuple = field(default_factory=tuple)

    @property
    def max_points(self) -> float:
        return float(sum(q.points for q in self.questions))

    def progress(self) -> Progress:
        """Print and return the points each question's latest ``check`` gave, question by question, and the total.

        The points are the checker's own (all or nothing per question, as ``lstm-course grade`` scores); a question
        not checked yet counts 0.
        """
        rows = tuple((q.name, q.title, 0.0 if q.last is None else q.last.points, float(q.points),
                      None if q.last is None else q.last.verdict.status) for q in self.questions)
        out = Progress(self.title, rows, float(sum(r[2] for r in rows)), self.max_points)
        _emit(str(out))
        return out
