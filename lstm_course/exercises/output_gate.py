"""Exercise: the output gate and the hidden state (chapter "The output gate and the hidden state").

:math:`o_t = \\sigma(W_o [h_{t-1}, x_t] + b_o)`, :math:`h_t = o_t \\odot \\tanh(c_t)`.
Code and multiple choice (q1-q3), a cell to design that shows its memory only at a cue (q4), a bug
to find (q5: h and c swapped in a loop), a prediction (q6).
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from .. import cell, layout
from ..cell import lstm_step
from ._behaviours import ExposeAtCue
from ._core import TORCH_LSTM, ChoiceQuestion, CodeQuestion, Exercise, Mistake
from ._debug import DebugQuestion
from ._design import DesignQuestion
from ._gates import CELL_FUNCTIONS, gate_cases, gate_mistakes
from ._predict import PredictQuestion, Slip

__all__ = ["EXERCISE", "final_state_buggy", "q1", "q2", "q3", "q4", "q5", "q6"]


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

q4 = DesignQuestion(
    "q4", "design a cell that shows its memory only at a cue", 3, variable="cue_cell", task=ExposeAtCue(),
    solution={"f": (0.0, 0.0, 0.0, 10.0), "i": (0.0, 0.0, 0.0, 10.0), "c": (0.0, 1.0, 0.0, 0.0),
              "o": (0.0, 0.0, 20.0, -10.0)},
    explanation="The output gate reads the cue: o_t = σ(20 cue - 10) is σ(-10) ≈ 0.00005 without a cue (h_t ≈ 0, the "
                "memory hidden) and σ(10) ≈ 1 at a cue (h_t = tanh(c_t)). The forget and input gates stay open and the "
                "candidate tanh(value) writes x_1 at step 1 and nothing after.",
    hint="Only the output gate decides what h_t shows: make it near 0 when the cue (the second input) is 0 and near 1 "
         "when it is 1, with a negative bias and a larger positive weight on the cue. Keep the memory as in the keep "
         "question of the input-gate exercise.",
)


def final_state_buggy(x, h0, c0, weights):
    """Run the cell over x (T, B, I) from (h0, c0) and return the last state (h_T, c_T). It has a bug."""
    h_t, c_t = h0, c0
    for x_t in x.unbind(0):
        c_t, h_t = lstm_step(x_t, h_t, c_t, weights)
    return h_t, c_t


class FinalState(NamedTuple):
    """The last state of a run, named so that feedback can say which one differs."""

    h_T: torch.Tensor
    c_T: torch.Tensor


def _final_state(x, h0, c0, weights, *, swap_in_loop: bool = False, swap_return: bool = False):
    """The last state over ``x`` (T, B, I) with :func:`lstm_course.cell.lstm_step`; the flags make the known bugs."""
    h_t, c_t = h0, c0
    for x_t in x.unbind(0):
        h_t, c_t = cell.lstm_step(x_t, h_t, c_t, weights)  # (B, H), (B, H)
        if swap_in_loop:
            h_t, c_t = c_t, h_t
    return FinalState(c_t, h_t) if swap_return else FinalState(h_t, c_t)


def _seq_weights(gen: torch.Generator, H: int, I: int) -> layout.CellWeights:
    def r(*s, k):
        return torch.randn(*s, generator=gen, dtype=torch.float64) * k

    return layout.CellWeights(*[t for _ in range(4) for t in (r(H, H + I, k=0.6), r(H, k=0.5))])


def _state_cases(gen: torch.Generator) -> list[tuple]:
    def one(T, B, H, I):
        return (torch.randn(T, B, I, generator=gen, dtype=torch.float64),
                torch.randn(B, H, generator=gen, dtype=torch.float64) * 0.5,
                torch.randn(B, H, generator=gen, dtype=torch.float64), _seq_weights(gen, H, I))

    return [one(4, 2, 3, 2), one(1, 3, 2, 2)]


def _solution_q5(x, h0, c0, weights):
    h_t, c_t = h0, c0
    for x_t in x.unbind(0):
        h_t, c_t = lstm_step(x_t, h_t, c_t, weights)  # lstm_step returns (h_t, c_t), in that order
    return h_t, c_t


q5 = DebugQuestion(
    "q5", "find the bug: h and c swapped", 3, func_name="final_state", arg_names=("x", "h0", "c0", "weights"),
    cases=_state_cases, reference=_final_state,
    buggy=final_state_buggy,
    bug="h and c swapped when unpacking lstm_step",
    bug_fix="lstm_step returns (h_t, c_t); the loop unpacks them the other way round, so the next step's gates read "
            "the memory c_t as if it were h_t.",
    parts=("h_T", "c_T"),
    mistakes=[Mistake("(c_T, h_T) returned instead of (h_T, c_T)", "The loop is right now; return h_T first.",
                      output=lambda x, h0, c0, w: _final_state(x, h0, c0, w, swap_return=True)),
              Mistake("h and c still swapped in the loop (only the return was changed)",
                      "Swapping the returned pair does not undo the swap inside the loop: fix the unpacking.",
                      output=lambda x, h0, c0, w: _final_state(x, h0, c0, w, swap_in_loop=True, swap_return=True))],
    forbidden=("lstm_course.layer.LSTM", "lstm_course.reference.lstm_forward",
               "lstm_course.exercises.output_gate._final_state", *TORCH_LSTM),
    hint="Read lstm_step's docstring: what does it return, and in which order? Run final_state_buggy on one step "
         "(T = 1): which of h_T and c_T can be larger than 1 in magnitude?",
    solution=_solution_q5,
)


def _h(o: float = 0.5, c: float = 3.0) -> float:
    return float(cell.hidden_state(torch.tensor([o], dtype=torch.float64), torch.tensor([c], dtype=torch.float64)))


q6 = PredictQuestion(
    "q6", "predict h_t", 1, variable="q6_answer", value=_h, tolerance=0.005,
    working=lambda: (f"h_t = o_t tanh(c_t) = 0.5 · tanh(3) = 0.5 · {_h(1.0):.4f} = {_h():.4f}: tanh squashes the "
                     "memory into (-1, 1) before the gate scales it."),
    slips=[Slip("tanh left out", lambda: 0.5 * 3.0, "h_t = o_t tanh(c_t): squash c_t first."),
           Slip("tanh of the product", lambda: float(torch.tanh(torch.tensor(0.5 * 3.0))),
                "Gate after squashing: o_t tanh(c_t), not tanh(o_t c_t)."),
           Slip("sigmoid for tanh", lambda: 0.5 * float(torch.sigmoid(torch.tensor(3.0, dtype=torch.float64))),
                "The memory is squashed with tanh, into (-1, 1).")],
    hint="tanh(3) is close to 1 (tanh saturates); the gate then halves it.",
)

EXERCISE = Exercise("output_gate", "The output gate and the hidden state", (q1, q2, q3, q4, q5, q6))
