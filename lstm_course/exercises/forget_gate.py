"""Exercise: the forget gate, :math:`f_t = \\sigma(W_f [h_{t-1}, x_t] + b_f)` (chapter "The forget gate").

Code and multiple choice (q1-q3) and a prediction (q4). The cells designed by hand, which need the input
gate and the candidate as well, are in the exercises of the chapters that teach them: keeping a value in
``input_gate``, wiping it on a marker in ``cell_update``.
"""

from __future__ import annotations

import torch

from .. import cell
from ._core import ChoiceQuestion, CodeQuestion, Exercise, Mistake
from ._gates import CELL_FUNCTIONS, gate_cases, gate_mistakes
from ._predict import PredictQuestion, Slip

__all__ = ["EXERCISE", "q1", "q2", "q3", "q4"]


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


def _f_example(W: list[list[float]], b: float = 1.0) -> float:
    """:math:`f_t` of one unit with :math:`h_{t-1} = 0.2`, :math:`x_t = 1`, from the library."""
    h, x = torch.tensor([0.2], dtype=torch.float64), torch.tensor([1.0], dtype=torch.float64)
    return float(cell.forget_gate(h, x, torch.tensor(W, dtype=torch.float64), torch.tensor([b], dtype=torch.float64)))


def _f_working() -> str:
    f = _f_example([[0.5, -1.0]])
    z = float(torch.logit(torch.tensor(f, dtype=torch.float64)))  # the pre-activation, recovered from f_t
    return (f"z = W_f [h_{{t-1}}, x_t] + b_f = 0.5 · 0.2 + (-1.0) · 1.0 + 1.0 = {z:.3f}\n"
            f"f_t = σ(z) = 1 / (1 + e^(-z)) = {f:.4f}: just over half of c_{{t-1}} is kept.")


q4 = PredictQuestion(
    "q4", "predict f_t", 1, variable="q4_answer", value=lambda: _f_example([[0.5, -1.0]]), tolerance=0.005,
    working=_f_working,
    slips=[Slip("sigmoid left out", lambda: float(torch.logit(torch.tensor(_f_example([[0.5, -1.0]])))),
                "f_t = σ(z): squash the pre-activation into (0, 1)."),
           Slip("bias left out", lambda: _f_example([[0.5, -1.0]], 0.0), "Add b_f after the weighted sum."),
           Slip("[x, h] instead of [h, x]", lambda: _f_example([[-1.0, 0.5]]),
                "W_f's first column multiplies h_{t-1}, the second x_t.")],
    hint="Compute z = W_f [h_{t-1}, x_t] + b_f first (two products and a sum), then σ(z) = 1 / (1 + e^(-z)); "
         "σ(0) = 0.5 and σ is steepest there.",
)

EXERCISE = Exercise("forget_gate", "The forget gate", (q1, q2, q3, q4))
