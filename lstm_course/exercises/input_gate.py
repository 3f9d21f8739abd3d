"""Exercise: the input gate and the candidate (chapter "The input gate and the candidate").

:math:`i_t = \\sigma(W_i [h_{t-1}, x_t] + b_i)`, :math:`\\tilde c_t = \\tanh(W_c [h_{t-1}, x_t] + b_c)`.
Code and multiple choice (q1-q3), two cells to design by hand (q4 writes x_1 and keeps it, q5 writes only
positive inputs), a prediction (q6).
"""

from __future__ import annotations

import torch

from .. import cell
from ._behaviours import Keep, WritePositive
from ._core import ChoiceQuestion, CodeQuestion, Exercise
from ._design import WRITE_AND_KEEP, DesignQuestion
from ._gates import CELL_FUNCTIONS, gate_cases, gate_mistakes
from ._predict import PredictQuestion, Slip

__all__ = ["EXERCISE", "KEEP_B_F", "q1", "q2", "q3", "q4", "q5", "q6"]


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

#: The smallest forget bias, in steps of 0.5, with which the keep question's solution passes (b_i = 10, the
#: candidate tanh(x_t)); a test checks that it passes and that 0.5 less fails.
KEEP_B_F = 7.0

q4 = DesignQuestion(
    "q4", "design a cell that keeps x_1 for 20 steps", 3, variable="keep_cell", task=Keep(),
    solution={"f": (0.0, 0.0, 10.0), "i": (0.0, 0.0, 10.0), "c": (0.0, 1.0, 0.0)},
    gates=WRITE_AND_KEEP,
    explanation="b_f = 10 keeps f_t = σ(10) ≈ 0.99995 at every step, so 19 steps keep 99.9 % of c_1; b_i = 10 opens "
                "the input gate and the candidate tanh(x_t) ≈ x_t proposes x_1 itself at step 1 and 0 afterwards "
                "(x_t = 0, b_c = 0). The candidate already writes a little less than x_1: tanh(0.3) = 0.2913, 2.9 % "
                "short of 0.3. So the 19 steps may lose only about 2.2 % more, σ(b_f)^19 ≥ 0.978, and with these "
                f"rows b_f = {KEEP_B_F:g} or more works while b_f = {KEEP_B_F - 0.5:g} does not (with x_1 = 0.3, c_t "
                "falls to 0.2848 at step 16, below 0.285). A candidate weight a little above 1 (tanh(1.03 · 0.3) ≈ "
                "0.3) leaves more room.",
    hint="c_t must stay within 5 % of x_1 at every step. Step 1 writes i_1 tanh(w x_1) and each later step multiplies "
         "the memory by f_t, so c_20 = i_1 tanh(w x_1) f_t^19. Open the input gate fully (a large b_i) and use the "
         "candidate tanh(w x_t) ≈ x_t for small x_t. With w = 1, tanh(0.3) is already 2.9 % below 0.3, so f_t^19 may "
         "lose only about 2 % more: f_t ≥ 0.9989. What bias b_f gives σ(b_f) that large?",
)

q5 = DesignQuestion(
    "q5", "design a cell that writes only positive inputs", 3, variable="positive_cell", task=WritePositive(),
    solution={"f": (0.0, 0.0, 10.0), "i": (0.0, 50.0, 0.0), "c": (0.0, 1.0, 0.0)},
    gates=WRITE_AND_KEEP,
    explanation="A steep input gate on x_t, i_t = σ(50 x_t), is open (σ(5) ≈ 0.993) for x_t ≥ 0.1 and shut "
                "(σ(-5) ≈ 0.007) for x_t ≤ -0.1; the candidate tanh(x_t) ≈ x_t proposes the input itself and b_f = 10 "
                "keeps what was written.",
    hint="The input gate decides whether to write: it must be near 1 for x_t ≥ 0.1 and near 0 for x_t ≤ -0.1. "
         "σ(w x_t + b) does that with a large positive w and b = 0. The candidate proposes x_t and the forget gate "
         "keeps, as in question 4.",
)

_H0, _X = torch.zeros(1, dtype=torch.float64), torch.tensor([2.0], dtype=torch.float64)
_W_I, _B_I = torch.tensor([[0.0, 1.5]], dtype=torch.float64), torch.tensor([-1.0], dtype=torch.float64)
_W_C, _B_C = torch.tensor([[0.0, -0.5]], dtype=torch.float64), torch.tensor([0.0], dtype=torch.float64)


def _i_t() -> float:
    return float(cell.input_gate(_H0, _X, _W_I, _B_I))


def _c_tilde() -> float:
    return float(cell.candidate(_H0, _X, _W_C, _B_C))


def _write_working() -> str:
    return (f"i_t = σ(1.5 · 2 - 1) = σ(2) = {_i_t():.4f}\n"
            f"c̃_t = tanh(-0.5 · 2 + 0) = tanh(-1) = {_c_tilde():.4f}\n"
            f"i_t · c̃_t = {_i_t() * _c_tilde():.4f}: most of the (negative) candidate is written.")


q6 = PredictQuestion(
    "q6", "predict what is written, i_t ⊙ c̃_t", 1, variable="q6_answer", value=lambda: _i_t() * _c_tilde(),
    tolerance=0.005, working=_write_working,
    slips=[Slip("sigmoid for the candidate", lambda: _i_t() * float(torch.sigmoid(torch.atanh(
                torch.tensor(_c_tilde())))), "The candidate is a tanh: it can be negative."),
           Slip("input gate left out", _c_tilde, "The input gate scales the candidate: multiply by i_t."),
           Slip("tanh for the input gate", lambda: float(torch.tanh(torch.logit(torch.tensor(_i_t())))) * _c_tilde(),
                "The input gate is a sigmoid, in (0, 1).")],
    hint="Two pre-activations (h_{t-1} = 0, so only the x_t column counts), a sigmoid for i_t, a tanh for c̃_t, then "
         "their product. tanh(1) ≈ 0.76.",
)

EXERCISE = Exercise("input_gate", "The input gate and the candidate", (q1, q2, q3, q4, q5, q6))
