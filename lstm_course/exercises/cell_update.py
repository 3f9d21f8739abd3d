"""Exercise: the cell-state update, :math:`c_t = f_t \\odot c_{t-1} + i_t \\odot \\tilde c_t`.

The chapter is "The cell-state update".

Code and multiple choice (q1-q3), two cells to design by hand (q4 counts the ones, q5 wipes its memory on a
marker), two predictions (q6, q7).
"""

from __future__ import annotations

import math

import torch

from .. import cell
from ._behaviours import CountOnes, Wipe
from ._core import ChoiceQuestion, CodeQuestion, Exercise, Mistake
from ._design import WRITE_AND_KEEP, DesignQuestion
from ._predict import PredictQuestion, Slip

__all__ = ["EXERCISE", "q1", "q2", "q3", "q4", "q5", "q6", "q7"]


def _rand(gen: torch.Generator, *shape: int) -> torch.Tensor:
    return torch.rand(*shape, generator=gen, dtype=torch.float64)


def _update_cases(gen: torch.Generator) -> list[tuple]:
    def one(*shape):
        f, i = _rand(gen, *shape), _rand(gen, *shape)
        c = torch.randn(*shape, generator=gen, dtype=torch.float64)
        g = 2 * _rand(gen, *shape) - 1
        return (f, c, i, g)

    return [one(4), one(3, 4)]


def _solution_q1(f_t, c_prev, i_t, c_tilde):
    return f_t * c_prev + i_t * c_tilde  # (…, H)


q1 = CodeQuestion(
    "q1", "the cell update c_t", 3, func_name="cell_update", arg_names=("f_t", "c_prev", "i_t", "c_tilde"),
    cases=_update_cases, reference=cell.cell_update,
    mistakes=[
        Mistake("gates in the wrong order (f_t and i_t swapped)",
                "f_t scales the old memory c_prev; i_t scales the candidate c_tilde.",
                output=lambda f, c, i, g: cell.cell_update(i, c, f, g)),
        Mistake("forget gate left out", "Multiply c_prev by f_t before adding: f_t * c_prev.",
                output=lambda f, c, i, g: cell.cell_update(torch.ones_like(f), c, i, g)),
        Mistake("input gate left out", "Multiply the candidate by i_t: i_t * c_tilde.",
                output=lambda f, c, i, g: cell.cell_update(f, c, torch.ones_like(i), g)),
        Mistake("tanh applied to c_t", "c_t is not squashed: no tanh acts on the cell path, c_t is the sum itself.",
                output=lambda f, c, i, g: torch.tanh(cell.cell_update(f, c, i, g))),
    ],
    forbidden=("lstm_course.cell.cell_update", "lstm_course.cell.lstm_step"),
    hint="Two element-wise products and one sum. Build a new tensor; do not update c_prev with *= or +=.",
    solution=_solution_q1,
)


def _seq_cases(gen: torch.Generator) -> list[tuple]:
    T, H = 5, 3
    return [(_rand(gen, T, H), _rand(gen, T, H), 2 * _rand(gen, T, H) - 1,
             torch.randn(H, generator=gen, dtype=torch.float64))]


def _cells_over_time(f_seq, i_seq, c_tilde_seq, c0):
    """``(T, H)``: every :math:`c_t`, each from the library's ``cell_update`` applied to the previous one."""
    c, out = c0, []
    for f, i, g in zip(f_seq, i_seq, c_tilde_seq, strict=True):
        c = cell.cell_update(f, c, i, g)  # (H,)
        out.append(c)
    return torch.stack(out)  # (T, H)


def _solution_q2(f_seq, i_seq, c_tilde_seq, c0):
    c_t, states = c0, []
    for f_t, i_t, c_tilde in zip(f_seq, i_seq, c_tilde_seq, strict=True):
        c_t = f_t * c_t + i_t * c_tilde  # (H,)
        states.append(c_t)
    return torch.stack(states)  # (T, H)


q2 = CodeQuestion(
    "q2", "the cell state over several steps", 3, func_name="cell_over_time",
    arg_names=("f_seq", "i_seq", "c_tilde_seq", "c0"), cases=_seq_cases, reference=_cells_over_time,
    mistakes=[
        Mistake("c not carried from step to step", "Feed each step's c_t into the next step as c_prev.",
                output=lambda f, i, g, c0: torch.stack([cell.cell_update(f[t], c0, i[t], g[t])
                                                        for t in range(f.shape[0])])),
        Mistake("c_0 included in the output", "Return c_1 … c_T (T rows), not c_0 … c_{T-1}.",
                output=lambda f, i, g, c0: torch.cat([c0[None], _cells_over_time(f, i, g, c0)[:-1]])),
    ],
    forbidden=("lstm_course.cell.cell_update", "lstm_course.cell.lstm_step"),
    hint="Loop over t, update c, append it; torch.stack the list at the end.",
    solution=_solution_q2,
)

q3 = ChoiceQuestion(
    "q3", "the conveyor belt", 1, variable="q3_answer",
    options={"a": "c_10 = c_0", "b": "c_10 = 0", "c": "c_10 = tanh(c_0)", "d": "c_10 = 10 c_0"},
    answer="a", why={"b": "that needs f_t = 0.", "c": "no tanh acts on the cell path.",
                     "d": "the update adds i_t ⊙ c̃_t, which is 0 here."},
    hint="Write c_t with f_t = 1 and i_t = 0.",
    explanation="With f_t = 1 and i_t = 0, c_t = c_{t-1}: the memory travels unchanged.",
)

q4 = DesignQuestion(
    "q4", "design a cell that counts the ones", 3, variable="count_cell", task=CountOnes(),
    solution={"f": (0.0, 0.0, 10.0), "i": (0.0, 0.0, 10.0), "c": (0.0, 10.0, 0.0)},
    gates=WRITE_AND_KEEP,
    explanation="The belt adds and never forgets: f_t = σ(10) ≈ 1 keeps the count, the input gate is open, and the "
                "candidate tanh(10 x_t) is 0 for a 0 and tanh(10) ≈ 1 for a 1, so each 1 adds one to c_t.",
    hint="c_t = f_t c_{t-1} + i_t c̃_t is a running sum when f_t ≈ 1: make each 1 add i_t c̃_t ≈ 1 and each 0 add 0. "
         "A saturated tanh is ±1; tanh(0) = 0.",
)


q5 = DesignQuestion(
    "q5", "design a cell that wipes its memory on a marker", 3, variable="wipe_cell", task=Wipe(),
    solution={"f": (0.0, 0.0, -20.0, 10.0), "i": (0.0, 0.0, 0.0, 10.0), "c": (0.0, 1.0, 0.0, 0.0)},
    gates=WRITE_AND_KEEP,
    explanation="The forget gate reads the marker with a large negative weight: f_t = σ(10) ≈ 1 without a marker "
                "(keep) and σ(10 - 20) ≈ 0.00005 on it (wipe). The input gate stays open and the candidate tanh(value) "
                "writes each value; the marker itself writes nothing because the candidate ignores it.",
    hint="The forget gate must be near 1 on ordinary steps and near 0 when the marker (the second input) is 1: a "
         "positive bias and a larger negative weight on the marker do that. Write each value with an open input gate "
         "and the candidate tanh(value), as in the keep question of the input-gate exercise.",
)


def _t(v: float) -> torch.Tensor:
    return torch.tensor([v], dtype=torch.float64)


def _c_t(f: float = 0.9, c_prev: float = 2.0, i: float = 0.5, c_tilde: float = -0.4) -> float:
    return float(cell.cell_update(_t(f), _t(c_prev), _t(i), _t(c_tilde)))


q6 = PredictQuestion(
    "q6", "predict c_t", 1, variable="q6_answer", value=_c_t, tolerance=0.005,
    working=lambda: f"c_t = f_t c_{{t-1}} + i_t c̃_t = 0.9 · 2.0 + 0.5 · (-0.4) = 1.8 - 0.2 = {_c_t():.4g}",
    slips=[Slip("f_t and i_t swapped", lambda: _c_t(f=0.5, i=0.9), "f_t scales the old memory, i_t the candidate."),
           Slip("forget gate left out", lambda: _c_t(f=1.0), "The old memory is multiplied by f_t = 0.9."),
           Slip("tanh applied to c_t", lambda: float(torch.tanh(torch.tensor(_c_t()))),
                "No tanh acts on the cell path: c_t is the sum itself.")],
    hint="Two products and a sum; the candidate is negative here.",
)


def _steps_to_half(b_f: float = 2.0) -> int:
    """Steps until :math:`c_t < c_0 / 2` with :math:`f_t = \\sigma(b_f)` and nothing written, by running the update."""
    f = torch.sigmoid(_t(b_f))  # (1,)
    c, steps = _t(1.0), 0
    while float(c) >= 0.5:
        c = cell.cell_update(f, c, torch.zeros_like(f), torch.zeros_like(c))  # c_t = f_t c_{t-1}
        steps += 1
    return steps


def _half_working() -> str:
    f = float(torch.sigmoid(torch.tensor(2.0, dtype=torch.float64)))
    k = _steps_to_half()
    return (f"f_t = σ(2) = {f:.4f} at every step, so c_k = {f:.4f}^k · c_0 (i_t = 0 writes nothing).\n"
            f"{f:.4f}^{k - 1} = {f ** (k - 1):.3f} is still above 1/2; {f:.4f}^{k} = {f ** k:.3f} is below: k = {k}. "
            f"(ln 2 / -ln f = {math.log(2) / -math.log(f):.2f}, rounded up.)")


q7 = PredictQuestion(
    "q7", "predict how fast the memory halves", 1, variable="q7_answer", value=_steps_to_half, tolerance=None,
    working=_half_working,
    slips=[Slip("rounded down", lambda: _steps_to_half() - 1,
                "After that many steps the memory is still above half: the first step below half is one later."),
           Slip("b_f read as f_t", lambda: 1, "f_t is σ(b_f), not b_f.")],
    hint="With nothing written, c_k = σ(b_f)^k c_0. σ(2) ≈ 0.88; find the first k with 0.88^k < 0.5.",
)

EXERCISE = Exercise("cell_update", "The cell-state update", (q1, q2, q3, q4, q5, q6, q7))
