"""Exercise: the backward pass of one step, in numpy (chapter "Gradient flow through time").

The reference is :mod:`lstm_course.reference` (CS231n layout: ``Wx (I, 4H)``, ``Wh (H, 4H)``,
``b (4H,)``, gate blocks in the order of :mod:`lstm_course.layout`).  q1 is checked on batched and
unbatched random cases and names the usual mistakes: the missing :math:`\\delta h \\to \\delta c`
term, :math:`1 - \\tanh` for :math:`1 - \\tanh^2`, :math:`f_t` left out of :math:`\\delta c_{t-1}`, a
wrong gate order, a sign error.  Multiple choice (q2, q3) and a prediction (q4).
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np
import torch

from .. import cell, layout, reference
from ._core import TORCH_LSTM, ChoiceQuestion, CodeQuestion, Exercise, Mistake
from ._predict import PredictQuestion, Slip

__all__ = ["EXERCISE", "q1", "q2", "q3", "q4"]


class StepGrads(NamedTuple):
    """The six gradients of one step, named so that feedback can say which one is wrong."""

    dx: np.ndarray
    dh_prev: np.ndarray
    dc_prev: np.ndarray
    dWx: np.ndarray
    dWh: np.ndarray
    db: np.ndarray


def _cases(gen: torch.Generator) -> list[tuple]:
    """A batch, one unbatched example, and a batch with larger weights (saturated gates)."""
    I, H = 2, 4

    def r(*s, k=1.0):
        return (torch.randn(*s, generator=gen, dtype=torch.float64) * k).numpy()

    def one(batch: tuple[int, ...], k: float) -> tuple:
        return (r(*batch, H), r(*batch, H), r(*batch, I), r(*batch, H), r(*batch, H),
                r(I, 4 * H, k=k), r(H, 4 * H, k=k), r(4 * H, k=k))

    return [one((3,), 0.5), one((), 0.5), one((2,), 1.5)]


def _reference(dh, dc, x, h_prev, c_prev, Wx, Wh, b) -> StepGrads:
    _, _, cache = reference.lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b)
    return StepGrads(*reference.lstm_step_backward(dh, dc, cache))


def _variant(dh, dc, x, h_prev, c_prev, Wx, Wh, b, *, dh_into_dc: bool = True, dtanh_c=lambda t: 1 - t**2,
             dtanh_g=lambda g: 1 - g**2, f_into_dc_prev: bool = True, negate: frozenset = frozenset(),
             negate_dh_term: bool = False, negate_dc_prev: bool = False,
             negate_outputs: frozenset = frozenset()) -> StepGrads:
    """The backward with the usual mistakes switched on; with the defaults it is the reference's (a test checks it).

    ``negate`` holds gate blocks (``"i"``, ``"f"``, ``"g"``, ``"o"``) whose gradient has the wrong sign,
    ``negate_outputs`` names of returned gradients (``"dx"``, …) with the wrong sign.
    """
    _, _, cache = reference.lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b)  # the forward values, from the library
    i, f, g, o, t = (cache[k] for k in ("i", "f", "g", "o", "tanh_c"))  # each (B, H)
    dh, dc = dh.reshape(i.shape), dc.reshape(i.shape)  # (B, H)
    term = dh * o * dtanh_c(t) * (-1 if negate_dh_term else 1)  # δh → δc through h_t = o_t tanh(c_t)
    dc_total = dc + term if dh_into_dc else dc  # (B, H)
    local = {"i": dc_total * g * i * (1 - i), "f": dc_total * cache["c_prev"] * f * (1 - f),
             "g": dc_total * i * dtanh_g(g), "o": dh * t * o * (1 - o)}
    da = np.concatenate([local[k] * (-1 if k in negate else 1) for k in layout.GATE_ORDER], axis=-1)  # (B, 4H)
    dc_prev = (dc_total * f if f_into_dc_prev else dc_total) * (-1 if negate_dc_prev else 1)  # (B, H)
    dx, dh_prev = da @ Wx.T, da @ Wh.T  # (B, I), (B, H)
    if cache["unbatched"]:
        dx, dh_prev, dc_prev = dx[0], dh_prev[0], dc_prev[0]
    grads = StepGrads(dx, dh_prev, dc_prev, cache["x"].T @ da, cache["h_prev"].T @ da, da.sum(axis=0))
    return StepGrads(*[-v if name in negate_outputs else v for name, v in zip(StepGrads._fields, grads, strict=True)])


def _named(name: str, fix: str, **switches) -> Mistake:
    return Mistake(name, fix, output=lambda *args: _variant(*args, **switches))


def _sign_errors() -> list[Mistake]:
    """Every sign slip: some gate blocks' gradients, the δh → δc term, δc_{t-1}, one returned gradient, or all."""
    fix = ("One of the local derivatives has the wrong sign: σ'(a) = σ(a)(1 - σ(a)) and tanh'(a) = 1 - tanh²(a) are "
           "both positive, and each gradient adds, never subtracts.")
    blocks = [frozenset(c) for n in range(1, 5) for c in itertools.combinations(layout.GATE_ORDER, n)]
    everything = dict(negate=frozenset(layout.GATE_ORDER), negate_dh_term=False, negate_dc_prev=True)
    return [*[_named("sign error", fix, negate=s) for s in blocks], _named("sign error", fix, negate_dh_term=True),
            _named("sign error", fix, negate_dc_prev=True), _named("sign error", fix, **everything),
            *[_named("sign error", fix, negate_outputs=frozenset({name})) for name in StepGrads._fields]]


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
    unbatched = x.ndim == 1
    if unbatched:  # work on a batch of one, and drop that axis again at the end
        dh, dc, x, h_prev, c_prev = dh[None], dc[None], x[None], h_prev[None], c_prev[None]
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
    if unbatched:
        dx, dh_prev, dc_prev = dx[0], dh_prev[0], dc_prev[0]
    return dx, dh_prev, dc_prev, dWx, dWh, db


q1 = CodeQuestion(
    "q1", "lstm_step_backward in numpy", 6, func_name="lstm_step_backward",
    arg_names=("dh", "dc", "x", "h_prev", "c_prev", "Wx", "Wh", "b"), cases=_cases, reference=_reference,
    mistakes=[
        _named("missing δh → δc term", "c_t also reaches the loss through h_t = o_t tanh(c_t): add dh * o * (1 - "
               "tanh(c)²) to dc before using it.", dh_into_dc=False),
        _named("1 − tanh instead of 1 − tanh²", "tanh'(a) = 1 - tanh²(a): square the tanh.", dtanh_c=lambda t: 1 - t),
        _named("1 − tanh instead of 1 − tanh²", "tanh'(a) = 1 - tanh²(a): square the tanh.", dtanh_g=lambda g: 1 - g),
        _named("1 − tanh instead of 1 − tanh²", "tanh'(a) = 1 - tanh²(a): square the tanh.", dtanh_c=lambda t: 1 - t,
               dtanh_g=lambda g: 1 - g),
        _named("f_t left out of δc_{t-1}", "c_{t-1} reaches c_t through f_t ⊙ c_{t-1}: dc_prev = dc_total * f.",
               f_into_dc_prev=False),
        *[_order_mistake(p) for p in itertools.permutations(layout.GATE_ORDER) if p != layout.GATE_ORDER],
        *_sign_errors(),
    ],
    forbidden=("lstm_course.reference.lstm_step_backward", "lstm_course.reference.lstm_backward",
               "lstm_course.reference.gradient_check", *TORCH_LSTM),
    hint="Recompute the forward (a = x Wx + h_prev Wh + b; i, f, g, o from its four column blocks; c; tanh(c)). "
         "dc_total = dc + dh * o * (1 - tanh(c)^2) collects both paths into c_t; from it get d a_i, d a_f, d a_g, "
         "and d a_o from dh; then dx = da Wx^T, dWx = x^T da, db = sum of da over the batch, dc_prev = dc_total * f. "
         "For an unbatched x (I,), add a batch axis of one at the start and remove it at the end.",
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



def _scalar(v: float) -> torch.Tensor:
    return torch.tensor([v], dtype=torch.float64)


def _dc_prev(dh: float = 0.5, dc: float = 1.0, with_tanh_prime: bool = True) -> float:
    """:math:`\\partial L/\\partial c_{t-1}` for :math:`L = dc\\, c_t + dh\\, h_t`, gates held fixed (autograd)."""
    c_prev = _scalar(1.0).requires_grad_()
    c_t = cell.cell_update(_scalar(0.9), c_prev, _scalar(0.5), _scalar(0.2))  # c_t = 0.9 · 1 + 0.5 · 0.2 = 1
    h_t = cell.hidden_state(_scalar(0.8), c_t) if with_tanh_prime else _scalar(0.8) * c_t
    (grad,) = torch.autograd.grad(dc * c_t.sum() + dh * h_t.sum(), c_prev)
    return float(grad)


def _dc_prev_working() -> str:
    t = float(torch.tanh(_scalar(1.0)))
    total = 1.0 + 0.5 * 0.8 * (1 - t**2)
    return (f"c_t = 0.9 · 1 + 0.5 · 0.2 = 1, tanh(c_t) = {t:.4f}\n"
            f"δc_total = δc + δh · o_t · (1 - tanh²(c_t)) = 1 + 0.5 · 0.8 · {1 - t**2:.4f} = {total:.4f}\n"
            f"δc_{{t-1}} = δc_total · f_t = {total:.4f} · 0.9 = {_dc_prev():.4f}")


q4 = PredictQuestion(
    "q4", "predict δc_{t-1}", 1, variable="q4_answer", value=_dc_prev, tolerance=0.005, working=_dc_prev_working,
    slips=[Slip("missing δh → δc term", lambda: _dc_prev(dh=0.0), "h_t = o_t tanh(c_t) also depends on c_t."),
           Slip("f_t left out of δc_{t-1}", lambda: _dc_prev() / 0.9, "Multiply by f_t = 0.9 at the end."),
           Slip("tanh' left out", lambda: _dc_prev(with_tanh_prime=False), "∂h_t/∂c_t = o_t (1 - tanh²(c_t)).")],
    hint="δc_total collects the gradient reaching c_t from the next step (δc) and through h_t (δh · o_t · (1 - "
         "tanh²(c_t))); the cell path then multiplies by f_t.",
)

EXERCISE = Exercise("backward", "The backward pass of one step", (q1, q2, q3, q4))
