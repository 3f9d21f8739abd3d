"""Exercise: the output gate and the hidden state (chapter 6).

:math:`o_t = \\sigma(W_o [h_{t-1}, x_t] + b_o)`, :math:`h_t = o_t \\odot \\tanh(c_t)`.
"""

from __future__ import annotations

import torch

from .. import cell
from ._core import ChoiceQuestion, CodeQuestion, Exercise, Mistake
from ._gates import CELL_FUNCTIONS, gate_cases, gate_mistakes

__all__ = ["EXERCISE", "q1", "q2", "q3"]


def _solution_q1(h_prev, x_t, W_o, b_o):
    hx = torch.cat([h_prev, x_t], dim=-1)  # (…, H+I)
    return torch.sigmoid(hx @ W_o.T + b_o)  # (…, H)


q1 = CodeQuestion(
    "q1", "the output gate o_t", 3, func_name="output_gate", arg_names=("h_prev", "x_t", "W_o", "b_o"),
    cases=gate_cases, reference=cell.output_gate, mistakes=gate_mistakes(cell.output_gate, "sigmoid"),
    forbidden=CELL_FUNCTIONS,
    hint="Like the other gates: sigmoid(W_o [h_prev, x_t] + b_o), hidden state first.",
    solution=_solution_q1,
)


def _hidden_cases(gen: torch.Generator) -> list[tuple]:
    def one(*shape):
        return (torch.rand(*shape, generator=gen, dtype=torch.float64),
                2 * torch.randn(*shape, generator=gen, dtype=torch.float64))

    return [one(4), one(3, 4)]


def _solution_q2(o_t, c_t):
    return o_t * torch.tanh(c_t)  # (…, H)


q2 = CodeQuestion(
    "q2", "the hidden state h_t", 2, func_name="hidden_state", arg_names=("o_t", "c_t"),
    cases=_hidden_cases, reference=cell.hidden_state,
    mistakes=[
        Mistake("sigmoid where tanh belongs", "Squash c_t with torch.tanh (range (-1, 1)), not torch.sigmoid.",
                output=lambda o, c: cell.hidden_state(o, torch.atanh(torch.sigmoid(c)))),
        Mistake("tanh left out", "h_t = o_t ⊙ tanh(c_t): squash the cell state before gating it.",
                output=lambda o, c: o * c),
        Mistake("tanh of the product", "Gate after squashing: o_t * tanh(c_t), not tanh(o_t * c_t).",
                output=lambda o, c: torch.tanh(o * c)),
    ],
    forbidden=("lstm_course.cell.hidden_state", "lstm_course.cell.lstm_step"),
    hint="One tanh and one element-wise product.",
    solution=_solution_q2,
)

q3 = ChoiceQuestion(
    "q3", "what goes to the next step", 1, variable="q3_answer",
    options={"a": "only h_t", "b": "h_t and c_t", "c": "only c_t", "d": "o_t and c_t"},
    answer="b", why={"a": "the cell state c_t also travels on.", "c": "h_t is also passed on (and is the output).",
                     "d": "o_t is recomputed at every step."},
    hint="Look at the dashed arrows of the cell diagram.",
    explanation="Both states go on: h_t (also the step's output) and c_t (the memory).",
)

EXERCISE = Exercise("output_gate", "The output gate and the hidden state", (q1, q2, q3))
