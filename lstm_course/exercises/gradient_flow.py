"""Exercise: gradient flow through time (chapter 8): the cell path's product of forget gates."""

from __future__ import annotations

import numpy as np
import torch

from .. import gradients
from ._core import ChoiceQuestion, CodeQuestion, Exercise, Mistake

__all__ = ["EXERCISE", "q1", "q2", "q3"]


def _cases(gen: torch.Generator) -> list[tuple]:
    def f(*shape):  # forget gates in (0.5, 1), as with a positive forget bias
        return (0.5 + 0.5 * torch.rand(*shape, generator=gen, dtype=torch.float64)).numpy()

    return [(f(6, 3),), (f(5, 2, 3),)]


def _reverse_cumprod(f: np.ndarray) -> np.ndarray:
    return np.cumprod(f[::-1], axis=0)[::-1].copy()


def _solution_q1(f_t):
    P = np.ones_like(f_t)  # P[T-1] = 1, the empty product
    for k in range(f_t.shape[0] - 2, -1, -1):
        P[k] = f_t[k + 1] * P[k + 1]  # P_k = f_{k+1} · P_{k+1}
    return P


q1 = CodeQuestion(
    "q1", "the cell-path product of forget gates", 4, func_name="cell_path_product", arg_names=("f_t",),
    cases=_cases, reference=lambda f: gradients.forget_path_product(f),
    mistakes=[
        Mistake("product taken forwards in time", "P_k multiplies the gates *after* step k: f_{k+1} … f_{T-1}.",
                output=lambda f: np.cumprod(f, axis=0)),
        Mistake("off by one (f_k included)", "P_k starts at f_{k+1}; P[T-1] is the empty product, 1.",
                output=_reverse_cumprod),
        Mistake("sum instead of product", "Along the cell path the factors multiply: ∂c_{k+1}/∂c_k = diag(f_{k+1}).",
                output=lambda f: np.cumsum(np.concatenate([f[1:], np.zeros_like(f[:1])])[::-1], axis=0)[::-1]),
    ],
    forbidden=("lstm_course.gradients.forget_path_product",),
    hint="Start from P[T-1] = 1 and walk backwards: P[k] = f_t[k+1] * P[k+1]. Return a numpy array shaped like f_t.",
    solution=_solution_q1,
)

q2 = ChoiceQuestion(
    "q2", "which gradient vanishes", 2, variable="q2_answer",
    options={"a": "the LSTM's (forget-gate bias +3)", "b": "the vanilla RNN's", "c": "both", "d": "neither"},
    answer="b",
    why={"a": "with f_t close to 1 the cell path's product stays close to 1 over 50 steps.",
         "c": "the LSTM's cell path keeps it alive when the forget gates stay near 1.",
         "d": "the RNN multiplies by diag(1 - h²) W_h at every step and decays geometrically."},
    hint="Compare a product of 50 factors near 1 with a product of 50 Jacobians diag(1 - h²) W_h of norm below 1.",
    explanation="The RNN's gradient shrinks by orders of magnitude over 50 steps; the LSTM's cell path, with forget "
                "gates near 1, carries it (chapter 8 measures both with lstm_course.gradients).",
)

q3 = ChoiceQuestion(
    "q3", "fifty forget gates at 0.9", 1, variable="q3_answer",
    options={"a": "about 0.9", "b": "about 0.005", "c": "about 0.45", "d": "about 1e-50"},
    answer="b", why={"a": "that is one step.", "c": "0.9 × 50 / 100 is not how products work.",
                     "d": "0.9 is much closer to 1 than that."},
    hint="0.9^50 = exp(50 ln 0.9).",
    explanation="0.9^50 ≈ 0.0052: even gates that keep 90 % per step lose most of the signal over 50 steps.",
)

EXERCISE = Exercise("gradient_flow", "Gradient flow through time", (q1, q2, q3))
