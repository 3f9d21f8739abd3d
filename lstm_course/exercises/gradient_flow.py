"""Exercise: gradient flow through time (chapter "Gradient flow through time"): the cell path's product of forget gates.

Code and multiple choice (q1-q3) and a prediction (q4). The numbers q2 quotes are those
:mod:`lstm_course.gradients` measures (a test recomputes them).
"""

from __future__ import annotations

import numpy as np
import torch

from .. import gradients
from ._core import ChoiceQuestion, CodeQuestion, Exercise, Mistake
from ._predict import PredictQuestion, Slip

__all__ = ["EXERCISE", "q1", "q2", "q3", "q4"]


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
    why={"a": "with b_f = +3 the LSTM's gradient decays but does not vanish: after 49 steps about 0.07 of it is left "
              "at h_t, and the cell path's product of forget gates is about 0.09 (σ(3)^49).",
         "c": "the LSTM's gradient decays (about 0.07 is left after 49 steps with b_f = +3) but stays many orders of "
              "magnitude above the RNN's.",
         "d": "the RNN multiplies by diag(1 - h²) W_h at every step: after 49 steps about 5e-14 of its gradient is "
              "left."},
    hint="Compare a product of 49 factors near σ(3) ≈ 0.95 with a product of 49 Jacobians diag(1 - h²) W_h of norm "
         "below 1.",
    explanation="After 49 steps the RNN keeps about 5e-14 of the last step's gradient; the LSTM with b_f = +3 keeps "
                "about 0.07 at h_t, and its cell path about 0.09. The LSTM's gradient decays too, but it does not "
                "vanish (the chapter \"Gradient flow through time\" measures both with lstm_course.gradients).",
)

q3 = ChoiceQuestion(
    "q3", "fifty forget gates at 0.9", 1, variable="q3_answer",
    options={"a": "about 0.9", "b": "about 0.005", "c": "about 0.45", "d": "about 1e-50"},
    answer="b", why={"a": "that is one step.", "c": "0.9 × 50 / 100 is not how products work.",
                     "d": "0.9 is much closer to 1 than that."},
    hint="0.9^50 = exp(50 ln 0.9).",
    explanation="0.9^50 ≈ 0.0052: even gates that keep 90 % per step lose most of the signal over 50 steps.",
)



def _path(b_f: float = 3.0, steps: int = 49) -> float:
    """The cell path's product over ``steps`` steps with every forget gate at :math:`\\sigma(b_f)`."""
    f = float(torch.sigmoid(torch.tensor(b_f, dtype=torch.float64)))
    return float(gradients.forget_path_product(np.full((steps + 1, 1), f))[0, 0])  # (T, H) -> P_1


q4 = PredictQuestion(
    "q4", "predict the cell path's product", 1, variable="q4_answer", value=_path, tolerance=0.002,
    working=lambda: (f"f_t = σ(3) = {_path(steps=1):.4f} at every step (all weights 0), and the cell path multiplies "
                     f"49 of them: {_path(steps=1):.4f}^49 = {_path():.4f}."),
    slips=[Slip("one factor too many", lambda: _path(steps=50), "Between step 1 and step 50 there are 49 factors."),
           Slip("σ(3) taken as the product", lambda: _path(steps=1), "The factor repeats at every step: raise it to "
                "the 49th power."),
           Slip("b_f = 3 read as f_t = 0.3", lambda: 0.3**49, "f_t = σ(b_f), not b_f / 10.")],
    hint="With zero weights every forget gate is σ(b_f); the cell path's factor over k steps is σ(b_f)^k.",
)

EXERCISE = Exercise("gradient_flow", "Gradient flow through time", (q1, q2, q3, q4))
