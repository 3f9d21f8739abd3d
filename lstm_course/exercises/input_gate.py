"""Exercise: the input gate and the candidate (chapter 4).

:math:`i_t = \\sigma(W_i [h_{t-1}, x_t] + b_i)`, :math:`\\tilde c_t = \\tanh(W_c [h_{t-1}, x_t] + b_c)`.
"""

from __future__ import annotations

import torch

from .. import cell
from ._core import ChoiceQuestion, CodeQuestion, Exercise
from ._gates import CELL_FUNCTIONS, gate_cases, gate_mistakes

__all__ = ["EXERCISE", "q1", "q2", "q3"]


def _solution_q1(h_prev, x_t, W_i, b_i):
    hx = torch.cat([h_prev, x_t], dim=-1)  # (…, H+I)
    return torch.sigmoid(hx @ W_i.T + b_i)  # (…, H)


def _solution_q2(h_prev, x_t, W_c, b_c):
    hx = torch.cat([h_prev, x_t], dim=-1)  # (…, H+I)
    return torch.tanh(hx @ W_c.T + b_c)  # (…, H)


q1 = CodeQuestion(
    "q1", "the input gate i_t", 3, func_name="input_gate", arg_names=("h_prev", "x_t", "W_i", "b_i"),
    cases=gate_cases, reference=cell.input_gate, mistakes=gate_mistakes(cell.input_gate, "sigmoid"),
    forbidden=CELL_FUNCTIONS,
    hint="Same shape of computation as the forget gate: sigmoid(W_i [h_prev, x_t] + b_i), hidden state first.",
    solution=_solution_q1,
)

q2 = CodeQuestion(
    "q2", "the candidate c̃_t", 3, func_name="candidate", arg_names=("h_prev", "x_t", "W_c", "b_c"),
    cases=gate_cases, reference=cell.candidate, mistakes=gate_mistakes(cell.candidate, "tanh"),
    forbidden=CELL_FUNCTIONS,
    hint="The candidate is proposed content, positive or negative: tanh(W_c [h_prev, x_t] + b_c).",
    solution=_solution_q2,
)

q3 = ChoiceQuestion(
    "q3", "why tanh for the candidate", 1, variable="q3_answer",
    options={"a": "tanh is faster to compute than sigmoid",
             "b": "its range (-1, 1) lets a step add to or subtract from the memory",
             "c": "tanh keeps the cell state between 0 and 1"},
    answer="b",
    why={"a": "speed is not the reason; both cost about the same.",
         "c": "tanh outputs can be negative, and c_t is not bounded by the candidate alone."},
    hint="Compare the ranges of sigmoid and tanh.",
    explanation="i_t (a sigmoid, 0..1) says how much to write; c̃_t (a tanh, -1..1) says what, with a sign.",
)

EXERCISE = Exercise("input_gate", "The input gate and the candidate", (q1, q2, q3))
