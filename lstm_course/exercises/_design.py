"""Design a cell by hand: the learner sets a small cell's weights so that it *behaves* a certain way.

The answer is plain numbers, one row per gate, ``(weight on h_{t-1}, weight(s) on x_t, bias)``::

    keep_cell = {"f": (0.0, 0.0, 10.0), "i": (...), "c": (...), "o": (...)}   # one unit
    sign_cell = {"f": [(w_h1, w_h2, w_x, b), (...)], ...}                     # two units: one row per unit

or a :class:`~lstm_course.layout.CellWeights`.  A :class:`Task` draws hidden sequences from a
seed (fresh at each ``check`` in the notebook; the grader's seed under ``lstm-course grade``,
so a regrade is reproducible), always including its edge cases, and runs the cell through
:func:`lstm_course.cell.lstm_step`.  The verdict says which sequence failed, at which step,
and which gate misbehaved ("at step 7 the forget gate was 0.31 on the marker; to wipe the
memory it must be at most 0.05").  Usual mistakes are found by probing: if the answer passes
once one change is made (a bias's sign flipped, a gate turned inside out, a weight moved
from ``h_{t-1}`` to ``x_t``, a gate pushed further into saturation), that change names it.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import torch

from .. import cell
from ..layout import CellWeights
from ._core import CheckResult, Verdict, _emit, _Question, _short

__all__ = ["WRITE_AND_KEEP", "DesignQuestion", "Failure", "Rule", "Task", "Trial", "design_weights", "explore",
           "try_cell"]

#: Gate keys of an answer, their names in feedback, and the matching CellWeights fields.
GATES = ("f", "i", "c", "o")
GATE_NAMES = {"f": "forget gate", "i": "input gate", "c": "candidate", "o": "output gate",
              "w": "write i_t·c̃_t"}


class Trial(NamedTuple):
    """One hidden sequence: ``x`` ``(T, I)`` float64, and how feedback describes it."""

    label: str
    x: torch.Tensor
    meta: dict


class Trace(NamedTuple):
    """What the cell did on one sequence, each ``(T, H)``: gates, the write, the states."""

    f: torch.Tensor
    i: torch.Tensor
    c_tilde: torch.Tensor
    o: torch.Tensor
    c: torch.Tensor
    h: torch.Tensor

    def gate(self, key: str) -> torch.Tensor:
        """``(T, H)`` values of gate ``key`` (``"w"`` is the write :math:`i_t \\odot \\tilde c_t`)."""
        return {"f": self.f, "i": self.i, "c": self.c_tilde, "o": self.o, "w": self.i * self.c_tilde}[key]


@dataclass(frozen=True)
class Rule:
    """What a gate should do at a step, used to say which gate misbehaved: ``lo <= value <= hi``."""

    gate: str  # "f", "i", "c", "o" or "w" (the write i_t·c̃_t)
    lo: float
    hi: float
    why: str  # "to wipe the memory on the marker"
    unit: int = 0


@dataclass(frozen=True)
class Failure:
    """The first step at which the behaviour is wrong (1-based, as in the book) and what was wrong."""

    step: int
    what: str


class Task:
    """A behaviour a designed cell must have. Subclasses set the sizes and override the three methods."""

    hidden_size: int = 1
    input_size: int = 1
    #: how many of :meth:`trials` (the first ones) are fixed edge cases, the same for every seed
    edges: int = 5
    #: what each x_t entry means, for messages ("the value", "the marker")
    inputs: tuple[str, ...] = ("x_t",)

    def trials(self, gen: torch.Generator) -> list[Trial]:
        """The edge cases, then random sequences drawn from ``gen``."""
        raise NotImplementedError

    def failure(self, trial: Trial, trace: Trace) -> Failure | None:
        """``None`` when the cell behaved on ``trial``, else its first wrong step."""
        raise NotImplementedError

    def rules(self, trial: Trial, step: int) -> list[Rule]:
        """What each gate should do at ``step`` (1-based) of ``trial``; for the feedback only."""
        return []


# ---------------------------------------------------------------------------- answers


def _rows(value: Any, key: str, variable: str, H: int, width: int) -> torch.Tensor:
    """One gate's rows as an ``(H, width)`` float64 tensor, or ValueError saying what is wrong."""
    what = f"`{variable}[{key!r}]` ({GATE_NAMES[key]})"
    I = width - H - 1
    layout = (f"({'the weight' if H == 1 else f'{H} weights'} on h_{{t-1}}, "
              f"{'the weight' if I == 1 else f'{I} weights'} on x_t, then the bias)")
    try:
        t = torch.as_tensor(value, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise ValueError(f"{what} must be numbers {layout}, got {_short(value)}.") from exc
    if t.dim() == 1:
        t = t[None]
    if t.dim() != 2 or t.shape != (H, width):
        rows = "one row" if H == 1 else f"{H} rows, one per unit,"
        raise ValueError(f"{what} must be {rows} of {width} numbers {layout}; got shape {tuple(t.shape)}.")
    if not torch.isfinite(t).all():
        raise ValueError(f"{what} holds NaN or infinity; use finite numbers.")
    return t


#: The gates of a cell designed before the output gate is taught: its row is all zeros (o_t = σ(0) = 0.5).
WRITE_AND_KEEP = ("f", "i", "c")


def design_weights(answer: Any, hidden_size: int, input_size: int, variable: str = "answer",
                   gates: Sequence[str] | None = None) -> CellWeights:
    """The :class:`~lstm_course.layout.CellWeights` of an answer (rows of numbers, or CellWeights).

    Rows: ``{"f": (w_h…, w_x…, b), "i": …, "c": …, "o": …}``, each ``(H, H+I+1)`` (or one row when
    ``H = 1``). ``gates``: the keys the answer must have (:data:`GATES`, or :data:`WRITE_AND_KEEP` for a
    question asked before the output gate is taught: then the output gate's row is zeros); ``None``
    accepts either. Raises ``ValueError`` naming what is wrong.
    """
    H, I = hidden_size, input_size
    if isinstance(answer, CellWeights) or (isinstance(answer, tuple) and getattr(answer, "_fields", None)
                                           == CellWeights._fields):
        parts = []
        for name, t in zip(CellWeights._fields, answer, strict=True):
            want = (H, H + I) if name.startswith("W") else (H,)
            if not isinstance(t, torch.Tensor) or tuple(t.shape) != want:
                raise ValueError(f"`{variable}.{name}` must be a tensor of shape {want}, got {_short(t)}.")
            t = t.detach().to(torch.float64).cpu().clone()
            if not torch.isfinite(t).all():
                raise ValueError(f"`{variable}.{name}` holds NaN or infinity; use finite numbers.")
            parts.append(t)
        return CellWeights(*parts)
    if not isinstance(answer, dict):
        raise ValueError(f"`{variable}` must be a dict of rows {{'f': …, 'i': …, 'c': …, 'o': …}} or a CellWeights, "
                         f"got {_short(answer)}.")
    allowed = [tuple(gates)] if gates is not None else [GATES, WRITE_AND_KEEP]
    if set(answer) not in [set(g) for g in allowed]:
        keys = ", ".join(repr(k) for k in allowed[0])
        raise ValueError(f"`{variable}` must have exactly the keys {keys} (one per gate); got "
                         f"{sorted(map(str, answer))}.")
    parts = []
    for key in GATES:
        if key in answer:
            rows = _rows(answer[key], key, variable, H, H + I + 1)
        else:
            rows = torch.zeros(H, H + I + 1, dtype=torch.float64)  # a gate the question leaves out: all zeros
        parts += [rows[:, : H + I].clone(), rows[:, H + I].clone()]  # W (H, H+I), b (H,)
    return CellWeights(*parts)


def _rows_of(weights: CellWeights) -> dict:
    """The answer form of ``weights``: ``{gate: rows}`` of plain floats (one tuple per unit)."""
    out = {}
    for key in GATES:
        W, b = getattr(weights, f"W_{key}"), getattr(weights, f"b_{key}")
        rows = [tuple(float(v) for v in torch.cat([W[u], b[u:u + 1]])) for u in range(W.shape[0])]
        out[key] = rows[0] if len(rows) == 1 else rows
    return out


# ---------------------------------------------------------------------------- running a cell


def run(weights: CellWeights, x: torch.Tensor) -> Trace:
    """Run the cell from :math:`h_0 = c_0 = 0` over ``x`` ``(T, B, I)`` or ``(T, I)``; every step's values.

    Each step is :func:`lstm_course.cell.lstm_step`. Returns a :class:`Trace` of ``(T, B, H)`` (or ``(T, H)``).
    """
    H = weights.hidden_size
    h_t = x.new_zeros(*x.shape[1:-1], H)  # (…, H)
    c_t = torch.zeros_like(h_t)  # (…, H)
    rows: list[tuple] = []
    for x_t in x.unbind(0):
        h_t, c_t, g = cell.lstm_step(x_t, h_t, c_t, weights, return_gates=True)  # (…, H) each
        rows.append((g.f_t, g.i_t, g.c_tilde, g.o_t, c_t, h_t))
    return Trace(*(torch.stack(col) for col in zip(*rows, strict=True)))  # each (T, …, H)


def _traces(weights: CellWeights, trials: Sequence[Trial]) -> list[Trace]:
    """One :class:`Trace` per trial; trials of one length run together as a batch."""
    out: list[Trace | None] = [None] * len(trials)
    by_len: dict[int, list[int]] = {}
    for k, t in enumerate(trials):
        by_len.setdefault(t.x.shape[0], []).append(k)
    for idx in by_len.values():
        batch = run(weights, torch.stack([trials[k].x for k in idx], dim=1))  # each (T, B, H)
        for j, k in enumerate(idx):
            out[k] = Trace(*(v[:, j] for v in batch))  # each (T, H)
    return out  # type: ignore[return-value]


def try_cell(answer: Any, x: Sequence, *, hidden_size: int | None = None) -> None:
    """Print what a designed cell does on a sequence ``x`` of your own: every gate and state at every step.

    ``answer`` is rows of numbers (as in the design questions) or a CellWeights; ``x`` is a list of numbers
    (one input) or of tuples (several inputs). Runs from :math:`h_0 = c_0 = 0` with :func:`lstm_course.cell.lstm_step`.
    """
    if answer is None or answer is Ellipsis:
        _emit("Fill in your cell's numbers first; then try_cell shows every gate at every step.")
        return
    xs = torch.as_tensor(x, dtype=torch.float64)
    if xs.dim() == 1:
        xs = xs[:, None]  # (T, 1)
    if hidden_size is None and isinstance(answer, dict):
        first = torch.as_tensor(answer.get("f", ()), dtype=torch.float64)
        hidden_size = first.shape[0] if first.dim() == 2 else 1
    H = hidden_size or getattr(answer, "hidden_size", 1)
    weights = design_weights(answer, H, xs.shape[-1], "answer")
    tr = run(weights, xs)
    no_output = isinstance(answer, dict) and "o" not in answer  # write and keep only: no o_t, h_t columns
    names = ("x_t", "f_t", "i_t", "c̃_t", "c_t") if no_output else ("x_t", "f_t", "i_t", "c̃_t", "o_t", "c_t", "h_t")
    lines = [f"{'t':>3} " + " ".join(f"{n:>14}" for n in names)]
    for t in range(xs.shape[0]):
        cols = ([xs[t], tr.f[t], tr.i[t], tr.c_tilde[t], tr.c[t]] if no_output else
                [xs[t], tr.f[t], tr.i[t], tr.c_tilde[t], tr.o[t], tr.c[t], tr.h[t]])
        lines.append(f"{t + 1:>3} " + " ".join(f"{', '.join(f'{v:.3f}' for v in col.tolist()):>14}" for col in cols))
    _emit("\n".join(lines))


def explore(answer: Any, xs: Sequence[float]) -> Any:
    """The sandbox of the design questions: a one-unit, one-input cell in the live cell explorer.

    Opens :func:`lstm_course.cell_explorer` in sequence mode on ``xs`` with the designed cell's weights
    (its own defaults while the answer is not filled in); drag any weight and watch every step change.
    The explorer's weight and bias controls reach ±10 (:data:`~lstm_course.live_cell.RANGES`); a cell with
    larger numbers (a bias of 20, a weight of 50) gets controls that reach a little past its largest number,
    and a printed line says so. A cell the explorer cannot show (two inputs, say) is printed as a table
    (:func:`try_cell`) with the reason.
    """
    from ..live_cell import RANGES, cell_explorer  # the explorer's HTML and scripts, only when asked for

    weights, reach = None, None
    if answer is not None and answer is not Ellipsis:
        try:
            weights = design_weights(answer, 1, 1, "answer")
        except ValueError as exc:
            _emit(f"The live explorer shows a one-unit cell with one input; {exc} Here is every step as a table:")
            try_cell(answer, xs)
            return None
        largest = max(float(t.abs().max()) for t in weights)
        default = RANGES["W"][1]
        if largest > default:
            reach = float(10 * math.ceil(largest / 10))  # the next multiple of 10 at or above the largest number
            _emit(f"Your cell's largest number is {largest:g}, beyond the explorer's usual ±{default:g}: its weight "
                  f"and bias controls reach ±{reach:g} here.")
    try:
        return cell_explorer(weights=weights, xs=list(xs), title="Your cell", weight_range=reach)
    except ValueError as exc:
        _emit(f"The live explorer cannot show this cell ({exc}); here is every step as a table:")
        try_cell(answer, xs)
        return None


# ---------------------------------------------------------------------------- probing for mistakes


def _changed(weights: CellWeights, key: str, unit: int, row: torch.Tensor, bias: torch.Tensor) -> CellWeights:
    """``weights`` with unit ``unit`` of gate ``key`` given a new weight row ``(H+I,)`` and bias ``()``."""
    W, b = getattr(weights, f"W_{key}").clone(), getattr(weights, f"b_{key}").clone()
    W[unit], b[unit] = row, bias
    return weights._replace(**{f"W_{key}": W, f"b_{key}": b})


def _probes(weights: CellWeights) -> list[tuple[str, str, CellWeights]]:
    r"""``(mistake name, fix, changed weights)``: each usual mistake, undone on one unit of one gate.

    In order: a bias with the wrong sign; a gate turned inside out (:math:`\sigma(-z) = 1 - \sigma(z)`);
    a weight on :math:`h_{t-1}` that belongs on :math:`x_t`; a gate that goes the right way but not far
    enough into saturation (weights and bias 3 or 10 times larger).
    """
    H, I = weights.hidden_size, weights.input_size
    units = [(key, u) for key in GATES for u in range(H)]

    def where(key: str, u: int) -> str:
        return GATE_NAMES[key] + (f" (unit {u + 1})" if H > 1 else "")

    def row(key: str, u: int) -> tuple[torch.Tensor, torch.Tensor]:
        return getattr(weights, f"W_{key}")[u], getattr(weights, f"b_{key}")[u]

    out = []
    for key, u in units:
        W, b = row(key, u)
        if b != 0:
            out.append((f"wrong sign of b_{key}" + (f" (unit {u + 1})" if H > 1 else ""),
                        f"Flip the sign of b_{key}, the bias of the {where(key, u)}.",
                        _changed(weights, key, u, W, -b)))
    for key, u in units:
        W, b = row(key, u)
        if W.abs().max() > 0:
            if key == "c":
                name = f"{where(key, u)} with the wrong sign"
                fix = "Flip the signs of the candidate's weights and bias."
            else:
                name = f"{where(key, u)} saturated the wrong way"
                fix = (f"The {where(key, u)} is open where it should be closed and closed where it should be open: "
                       "flip the signs of its weights and of its bias.")
            out.append((name, fix, _changed(weights, key, u, -W, -b)))
    for key, u in units:
        W, b = row(key, u)
        for a in range(H):
            for j in range(I):
                if W[a] != 0:
                    swapped = W.clone()
                    swapped[[a, H + j]] = W[[H + j, a]]
                    h_col = "h_{t-1}" if H == 1 else f"h_{{t-1}}[{a + 1}]"
                    x_col = "x_t" if I == 1 else f"x_t[{j + 1}]"
                    out.append((f"weight on h instead of x in the {where(key, u)}",
                                f"The {where(key, u)} should read the input, not the previous hidden state: move its "
                                f"weight from the {h_col} column to the {x_col} column.",
                                _changed(weights, key, u, swapped, b)))
    for key, u in units:
        W, b = row(key, u)
        for k in (3.0, 10.0):
            out.append((f"{where(key, u)} not saturated",
                        f"The {where(key, u)} goes the right way but not far enough: make its weights and bias "
                        "larger in magnitude (σ(z) is within 1 % of 0 or 1 only for |z| > 4.6; tanh(z) within 1 % of "
                        "±1 only for |z| > 2.6).",
                        _changed(weights, key, u, k * W, k * b)))
    return out


# ---------------------------------------------------------------------------- the question


class DesignQuestion(_Question):
    """Set a small cell's weights by hand so that it has ``task``'s behaviour; the answer goes in ``variable``."""

    kind = "design"

    def __init__(self, name: str, title: str, points: float, *, variable: str, task: Task,
                 solution: dict, explanation: str, hint: str, check_seed: int | None = None,
                 gates: Sequence[str] = GATES) -> None:
        self.name, self.title, self.points, self.variable, self.task = name, title, points, variable, task
        #: the rows the answer has: all four gates, or :data:`WRITE_AND_KEEP` before the output gate is taught
        self.gates = tuple(gates)
        self._hint = hint
        self.answer = solution
        self.explanation = explanation
        self.check_seed = check_seed
        lines = [f"{variable} = {{"] + [f"    {k!r}: {solution[k]!r},  # {GATE_NAMES[k]}" for k in self.gates] + ["}"]
        self._solution = "\n".join(lines) + f"\n{explanation}"

    @property
    def size(self) -> tuple[int, int]:
        """``(H, I)`` of the cell to design."""
        return self.task.hidden_size, self.task.input_size

    def plan(self, seed: int) -> list[Trial]:
        """The hidden sequences for ``seed``: edge cases first, then random ones (the grader's hidden inputs)."""
        return self.task.trials(torch.Generator().manual_seed(seed))

    def _first_failure(self, weights: CellWeights, trials: Sequence[Trial]) -> tuple[int, Failure, Trace] | None:
        for k, (trial, trace) in enumerate(zip(trials, _traces(weights, trials), strict=True)):
            fail = self.task.failure(trial, trace)
            if fail is not None:
                return k, fail, trace
        return None

    def _blame(self, trial: Trial, trace: Trace, step: int) -> str:
        """The gate that did not do what the behaviour needs: at ``step`` first, else the earliest before it."""
        for t in (step, *range(1, step)):
            for rule in self.task.rules(trial, t):
                v = float(trace.gate(rule.gate)[t - 1, rule.unit])
                if not rule.lo <= v <= rule.hi:
                    unit = f" (unit {rule.unit + 1})" if self.task.hidden_size > 1 else ""
                    if math.isfinite(rule.lo) and math.isfinite(rule.hi) and rule.gate in ("c", "w"):
                        bound = f"between {rule.lo:.4g} and {rule.hi:.4g}"
                    else:
                        bound = f"at least {rule.lo:.4g}" if v < rule.lo else f"at most {rule.hi:.4g}"
                    gate = GATE_NAMES[rule.gate] + unit
                    return f"At step {t} the {gate} was {v:.3g}; {rule.why} it should be {bound}."
        return ""

    def judge_answer(self, answer: Any, seed: int | None = None, *, plan: Sequence[Trial] | None = None) -> Verdict:
        """Judge a designed cell on the hidden sequences ``plan``, else those of ``seed`` (fresh when ``None``)."""
        if answer is None or answer is Ellipsis:
            return Verdict("not_attempted", f"Fill in `{self.variable}` (a number for every weight and bias), "
                           "then check again.")
        H, I = self.size
        try:
            weights = design_weights(answer, H, I, self.variable, self.gates)
        except ValueError as exc:
            return Verdict("wrong", f"Malformed answer: {exc}", "malformed answer")
        if plan is None:
            plan = self.plan(secrets.randbits(31) if seed is None else seed)
        trials = list(plan)
        found = self._first_failure(weights, trials)
        if found is None:
            return Verdict("correct", f"Your cell behaves on all {len(trials)} hidden sequences, edge cases "
                           "included.")
        k, fail, trace = found
        trial = trials[k]
        lines = [f"On hidden sequence {k + 1} of {len(trials)} ({trial.label}), at step {fail.step}: {fail.what}."]
        blame = self._blame(trial, trace, fail.step)
        if blame:
            lines.append(blame)
        mistake = None
        for name, fix, changed in _probes(weights):
            if self._first_failure(changed, trials) is None:
                lines.append(f"Likely mistake: {name}. {fix}")
                mistake = name
                break
        lines.append("Try your cell on that sequence with `try_cell(...)` to see every gate at every step.")
        return Verdict("wrong", "\n".join(lines), mistake)

    def check(self, answer: Any = None, *, seed: int | None = None) -> CheckResult:
        """Check a designed cell on freshly drawn hidden sequences: ``q4.check(keep_cell)``."""
        return self._report(self.judge_answer(answer, self.check_seed if seed is None else seed))


# ---------------------------------------------------------------------------- helpers for tasks


def uniform(gen: torch.Generator, lo: float, hi: float) -> float:
    """One number drawn uniformly from ``[lo, hi)``."""
    return lo + (hi - lo) * float(torch.rand((), generator=gen, dtype=torch.float64))


def signed(gen: torch.Generator, lo: float, hi: float) -> float:
    """A magnitude in ``[lo, hi)`` with a random sign."""
    sign = 1.0 if float(torch.rand((), generator=gen)) < 0.5 else -1.0
    return sign * uniform(gen, lo, hi)


def steps_text(values: Sequence[float], limit: int = 8) -> str:
    """``"0.21, 0, 0, …"``: a short description of a sequence for feedback."""
    shown = ", ".join(f"{v:.3g}" for v in values[:limit])
    return shown + (f", … ({len(values)} steps)" if len(values) > limit else "")


def within(value: float, target: float, rel: float) -> bool:
    """``|value - target| <= rel |target|``."""
    return math.fabs(value - target) <= rel * math.fabs(target)


Check = Callable[[Trial, Trace], Failure | None]
