"""Exercise: the forget gate, :math:`f_t = \\sigma(W_f [h_{t-1}, x_t] + b_f)` (chapter 3)."""

from __future__ import annotations

import torch

from .. import cell
from ._core import ChoiceQuestion, CodeQuestion, Exercise, Mistake
from ._gates import CELL_FUNCTIONS, gate_cases, gate_mistakes

__all__ = ["EXERCISE", "q1", "q2", "q3"]


def _solution_q1(h_prev, x_t, W_f, b_f):
    hx = torch.cat([h_prev, x_t], dim=-1)  # (…, H+I)
    return torch.sigmoid(hx @ W_f.T + b_f)  # (…, H)


q1 = CodeQuestion(
    "q1", "the forget gate f_t", 4, func_name="forget_gate", arg_names=("h_prev", "x_t", "W_f", "b_f"),
    cases=gate_cases, reference=cell.forget_gate, mistakes=gate_mistakes(cell.forget_gate, "sigmoid"),
    forbidden=CELL_FUNCTIONS,
    hint="Concatenate [h_prev, x_t] along the last dimension, multiply by W_f transposed, add b_f, "
         "then squash with torch.sigmoid.",
    solution=_solution_q1,
)


def _kept_cases(gen: torch.Generator) -> list[tuple]:
    f1 = torch.rand(3, generator=gen, dtype=torch.float64)
    c1 = torch.randn(3, generator=gen, dtype=torch.float64)
    f2 = torch.rand(4, 3, generator=gen, dtype=torch.float64)
    c2 = torch.randn(4, 3, generator=gen, dtype=torch.float64)
    return [(f1, c1), (f2, c2)]


def _kept(f_t, c_prev):
    """:math:`f_t \\odot c_{t-1}`: the cell update with nothing written (i_t = 0)."""
    return cell.cell_update(f_t, c_prev, torch.zeros_like(f_t), torch.zeros_like(c_prev))


def _solution_q2(f_t, c_prev):
    return f_t * c_prev  # (…, H), element-wise


q2 = CodeQuestion(
    "q2", "what the forget gate keeps, f_t ⊙ c_{t-1}", 2, func_name="kept_memory", arg_names=("f_t", "c_prev"),
    cases=_kept_cases, reference=_kept,
    mistakes=[
        Mistake("(1 - f_t) instead of f_t", "f_t = 1 means keep: multiply c_prev by f_t itself.",
                output=lambda f, c: _kept(1 - f, c)),
        Mistake("matrix product instead of element-wise", "⊙ is element-wise: use f_t * c_prev, not @.",
                output=lambda f, c: (f @ c) if f.dim() == 1 else f @ c.T),
    ],
    forbidden=("lstm_course.cell.cell_update",),
    hint="⊙ is the element-wise product: in torch that is `*`. Do not write into c_prev.",
    solution=_solution_q2,
)

q3 = ChoiceQuestion(
    "q3", "reading the forget gate", 1, variable="q3_answer",
    options={"a": "c_{t-1} is kept unchanged", "b": "c_{t-1} is erased", "c": "c_{t-1} is doubled"},
    answer="b", why={"a": "that is f_t = 1.", "c": "f_t is a sigmoid output, never above 1."},
    hint="f_t multiplies c_{t-1} element by element.",
    explanation="f_t = 0 multiplies the old memory by zero: it is discarded.",
)

EXERCISE = Exercise("forget_gate", "The forget gate", (q1, q2, q3))
