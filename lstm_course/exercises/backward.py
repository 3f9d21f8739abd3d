"""Exercise: the backward pass of one step, in numpy, checked by a gradient check (chapter 8).

The reference is :mod:`lstm_course.reference` (CS231n layout: ``Wx (I, 4H)``, ``Wh (H, 4H)``,
``b (4H,)``, gate blocks in the order of :mod:`lstm_course.layout`).
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np
import torch

from .. import layout, reference
from ._core import TORCH_LSTM, ChoiceQuestion, CodeQuestion, Exercise, Mistake

__all__ = ["EXERCISE", "q1", "q2", "q3"]


class StepGrads(NamedTuple):
    """The six gradients of one step, named so that feedback can say which one is wrong."""

    dx: np.ndarray
    dh_prev: np.ndarray
    dc_prev: np.ndarray
    dWx: np.ndarray
    dWh: np.ndarray
    db: np.ndarray


def _cases(gen: torch.Generator) -> list[tuple]:
    B, I, H = 3, 2, 4
    r = lambda *s, k=1.0: (torch.randn(*s, generator=gen, dtype=torch.float64) * k).numpy()  # noqa: E731
    return [(r(B, H), r(B, H), r(B, I), r(B, H), r(B, H), r(I, 4 * H, k=0.5), r(H, 4 * H, k=0.5), r(4 * H, k=0.5))]


def _reference(dh, dc, x, h_prev, c_prev, Wx, Wh, b) -> StepGrads:
    _, _, cache = reference.lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b)
    return StepGrads(*reference.lstm_step_backward(dh, dc, cache))


def _blocks(a: np.ndarray) -> list[np.ndarray]:
    H = a.shape[-1] // 4
    return [a[..., layout.gate_slice(g, H)] for g in layout.GATE_ORDER]


def _assume_order(a: np.ndarray, assumed: tuple[str, ...]) -> np.ndarray:
    """Columns as seen by a student who believes the blocks are in order ``assumed``."""
    blocks = _blocks(a)
    return np.concatenate([blocks[assumed.index(g)] for g in layout.GATE_ORDER], axis=-1)


def _back_to_order(a: np.ndarray, assumed: tuple[str, ...]) -> np.ndarray:
    blocks = _blocks(a)  # in GATE_ORDER; the student writes gate g's gradient into block assumed.index(g)
    return np.concatenate([blocks[layout.GATE_ORDER.index(g)] for g in assumed], axis=-1)


def _order_mistake(assumed: tuple[str, ...]) -> Mistake:
    def output(dh, dc, x, h, c, Wx, Wh, b):
        g = _reference(dh, dc, x, h, c, *(_assume_order(w, assumed) for w in (Wx, Wh, b)))
        return StepGrads(g.dx, g.dh_prev, g.dc_prev, *(_back_to_order(w, assumed) for w in (g.dWx, g.dWh, g.db)))

    return Mistake(f"gates in the wrong order ({', '.join(assumed)} instead of i, f, g, o)",
                   "The column blocks of Wx, Wh and b are i, f, g, o (g is the candidate).", output=output)


def _solution_q1(dh, dc, x, h_prev, c_prev, Wx, Wh, b):
    H = h_prev.shape[-1]
    a = x @ Wx + h_prev @ Wh + b  # (B, 4H), blocks i, f, g, o
    i = 1 / (1 + np.exp(-a[:, :H]))
    f = 1 / (1 + np.exp(-a[:, H:2 * H]))
    g = np.tanh(a[:, 2 * H:3 * H])
    o = 1 / (1 + np.exp(-a[:, 3 * H:]))
    c = f * c_prev + i * g  # (B, H)
    tanh_c = np.tanh(c)
    dc_total = dc + dh * o * (1 - tanh_c**2)  # (B, H): from h_t and from the next step
    da = np.concatenate([
        dc_total * g * i * (1 - i),  # d a_i
        dc_total * c_prev * f * (1 - f),  # d a_f
        dc_total * i * (1 - g**2),  # d a_g
        dh * tanh_c * o * (1 - o),  # d a_o
    ], axis=1)  # (B, 4H)
    dx = da @ Wx.T  # (B, I)
    dh_prev = da @ Wh.T  # (B, H)
    dc_prev = dc_total * f  # (B, H)
    dWx = x.T @ da  # (I, 4H)
    dWh = h_prev.T @ da  # (H, 4H)
    db = da.sum(axis=0)  # (4H,)
    return dx, dh_prev, dc_prev, dWx, dWh, db


q1 = CodeQuestion(
    "q1", "lstm_step_backward in numpy", 6, func_name="lstm_step_backward",
    arg_names=("dh", "dc", "x", "h_prev", "c_prev", "Wx", "Wh", "b"), cases=_cases, reference=_reference,
    mistakes=[
        *[_order_mistake(p) for p in itertools.permutations(layout.GATE_ORDER) if p != layout.GATE_ORDER],
    ],
    forbidden=("lstm_course.reference.lstm_step_backward", "lstm_course.reference.lstm_backward",
               "lstm_course.reference.gradient_check", *TORCH_LSTM),
    hint="Recompute the forward (a = x Wx + h_prev Wh + b; i, f, g, o from its four column blocks; c; tanh(c)). "
         "dc_total = dc + dh * o * (1 - tanh(c)^2) collects both paths into c_t; from it get d a_i, d a_f, d a_g, "
         "and d a_o from dh; then dx = da Wx^T, dWx = x^T da, db = sum of da over the batch, dc_prev = dc_total * f.",
    solution=_solution_q1,
)

q2 = ChoiceQuestion(
    "q2", "reading a gradient check", 1, variable="q2_answer",
    options={"a": "1e-2", "b": "1e-9", "c": "0.5"},
    answer="b", why={"a": "in float64 a correct backward agrees far better than that: 1e-2 means a bug.",
                     "c": "that means the analytic and numerical gradients disagree completely."},
    hint="float64 has about 16 significant digits; central differences lose some of them.",
    explanation="In float64 a correct backward gives a relative error around 1e-8 or below; 1e-2 signals a bug.",
)

q3 = ChoiceQuestion(
    "q3", "the cell path backwards", 1, variable="q3_answer",
    options={"a": "dc_t ⊙ f_t", "b": "dc_t ⊙ i_t", "c": "dc_t ⊙ o_t", "d": "dc_t"},
    answer="a", why={"b": "i_t scales the candidate, not c_{t-1}.", "c": "o_t acts on h_t, not on the cell path.",
                     "d": "c_{t-1} reaches c_t through a multiplication by f_t."},
    hint="c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t: differentiate with respect to c_{t-1}, holding the gates fixed.",
    explanation="∂c_t/∂c_{t-1} = diag(f_t) along the cell path, so dc_{t-1} = dc_t ⊙ f_t (when dh_t = 0).",
)

EXERCISE = Exercise("backward", "The backward pass of one step", (q1, q2, q3))
