"""Exercise: the whole cell, its weights from ``torch.nn.LSTM``, and a sequence loop.

The chapter is "The whole cell over a sequence".

Code and multiple choice (q1-q4), a two-unit cell to design that remembers the sign of its first
input (q5), a bug to find (q6: the gate order mixed up when reading ``nn.LSTM``'s parameters), two
predictions (q7 a parameter count, q8 a shape).
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import torch
from torch import nn

from .. import cell, layout
from ..layer import LSTM
from ._behaviours import SignOfFirst
from ._core import TORCH_LSTM, ChoiceQuestion, CodeQuestion, Exercise, Mistake
from ._debug import DebugQuestion
from ._design import DesignQuestion
from ._gates import CELL_FUNCTIONS, swap_hx_columns
from ._predict import PredictQuestion, Slip

__all__ = ["EXERCISE", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "step_from_torch_buggy"]

_FIELDS = ("f", "i", "c", "o")  # CellWeights order: (W_f, b_f, W_i, b_i, W_c, b_c, W_o, b_o)
LIBRARY = (*CELL_FUNCTIONS, "lstm_course.cell.cell_update", "lstm_course.cell.hidden_state",
           "lstm_course.layer.LSTM", "lstm_course.reference.lstm_step_forward", "lstm_course.reference.lstm_forward",
           *TORCH_LSTM)


def _weights(gen: torch.Generator, H: int, I: int) -> layout.CellWeights:
    parts = []
    for _ in _FIELDS:
        parts += [torch.randn(H, H + I, generator=gen, dtype=torch.float64) * 0.6,
                  torch.randn(H, generator=gen, dtype=torch.float64) * 0.5]
    return layout.CellWeights(*parts)


def _permuted(w: layout.CellWeights, perm: tuple[str, ...]) -> layout.CellWeights:
    """Weights where gate ``_FIELDS[k]`` gets the parameters of gate ``perm[k]``."""
    by = {g: (getattr(w, f"W_{g}"), getattr(w, f"b_{g}")) for g in _FIELDS}
    return layout.CellWeights(*[t for g in perm for t in by[g]])


def _step_cases(gen: torch.Generator) -> list[tuple]:
    H, I = 3, 2
    w1, w2 = _weights(gen, H, I), _weights(gen, H, I)
    r = lambda *s: torch.randn(*s, generator=gen, dtype=torch.float64)  # noqa: E731
    return [(r(I), r(H), r(H), w1), (r(4, I), r(4, H), r(4, H), w2)]


def _order_mistakes() -> list[Mistake]:
    out = []
    for perm in itertools.permutations(_FIELDS):
        if perm == _FIELDS:
            continue
        wrong = ", ".join(f"W_{p} for {g}" for g, p in zip(_FIELDS, perm, strict=True) if g != p)
        out.append(Mistake(f"gates in the wrong order ({wrong})",
                           "Each gate has its own weights: f_t uses W_f, b_f; i_t uses W_i, b_i; c̃_t uses W_c, b_c; "
                           "o_t uses W_o, b_o.",
                           output=lambda x, h, c, w, perm=perm: cell.lstm_step(x, h, c, _permuted(w, perm))))
    return out


def _no_bias(w: layout.CellWeights) -> layout.CellWeights:
    return layout.CellWeights(*[t if k % 2 == 0 else torch.zeros_like(t) for k, t in enumerate(w)])


def _swap_hx(w: layout.CellWeights, H: int) -> layout.CellWeights:
    return layout.CellWeights(*[swap_hx_columns(t, H) if k % 2 == 0 else t for k, t in enumerate(w)])


def _h_without_tanh(x, h, c, w):
    _, c_t, gates = cell.lstm_step(x, h, c, w, return_gates=True)
    return gates.o_t * c_t, c_t  # the mistake: h_t = o_t ⊙ c_t


def _solution_q1(x_t, h_prev, c_prev, weights):
    hx = torch.cat([h_prev, x_t], dim=-1)  # (…, H+I)
    f_t = torch.sigmoid(hx @ weights.W_f.T + weights.b_f)  # (…, H)
    i_t = torch.sigmoid(hx @ weights.W_i.T + weights.b_i)  # (…, H)
    c_tilde = torch.tanh(hx @ weights.W_c.T + weights.b_c)  # (…, H)
    o_t = torch.sigmoid(hx @ weights.W_o.T + weights.b_o)  # (…, H)
    c_t = f_t * c_prev + i_t * c_tilde  # (…, H)
    h_t = o_t * torch.tanh(c_t)  # (…, H)
    return h_t, c_t


q1 = CodeQuestion(
    "q1", "one whole step, lstm_step", 4, func_name="lstm_step", arg_names=("x_t", "h_prev", "c_prev", "weights"),
    cases=_step_cases, reference=cell.lstm_step,
    mistakes=[
        *_order_mistakes(),
        Mistake("[x, h] concatenated instead of [h, x]", "Concatenate the previous hidden state first.",
                output=lambda x, h, c, w: cell.lstm_step(x, h, c, _swap_hx(w, h.shape[-1]))),
        Mistake("missing bias", "Add each gate's bias b_* after its matrix product.",
                output=lambda x, h, c, w: cell.lstm_step(x, h, c, _no_bias(w))),
        Mistake("(c_t, h_t) returned instead of (h_t, c_t)", "Return h_t first, then c_t.",
                output=lambda x, h, c, w: cell.lstm_step(x, h, c, w)[::-1]),
        Mistake("tanh left out of h_t", "h_t = o_t ⊙ tanh(c_t).", output=_h_without_tanh),
    ],
    forbidden=LIBRARY,
    hint="Compute hx = [h_prev, x_t] once, then f_t, i_t, c̃_t, o_t from weights.W_f, weights.b_f, …, then c_t and "
         "h_t. Return (h_t, c_t).",
    solution=_solution_q1,
)

_TORCH_ORDERS = [p for p in itertools.permutations(layout.GATE_ORDER) if p != layout.GATE_ORDER]


def _torch_cases(gen: torch.Generator) -> list[tuple]:
    H, I = 3, 2
    r = lambda *s: torch.randn(*s, generator=gen, dtype=torch.float64)  # noqa: E731
    return [(r(4 * H, I), r(4 * H, H), r(4 * H), r(4 * H))]


def _reorder_rows(t: torch.Tensor, assumed: tuple[str, ...]) -> torch.Tensor:
    """Rows as a student who believes the stack is in order ``assumed`` would read them."""
    H = t.shape[0] // 4
    # the student reads block k as gate assumed[k]; the true block k is gate GATE_ORDER[k]
    true_blocks = [t[layout.gate_slice(g, H)] for g in layout.GATE_ORDER]
    return torch.cat([true_blocks[assumed.index(g)] for g in layout.GATE_ORDER], dim=0)


def _order_mistakes_torch() -> list[Mistake]:
    out = []
    for assumed in _TORCH_ORDERS:
        out.append(Mistake(f"gates in the wrong order ({', '.join(assumed)} instead of i, f, g, o)",
                           "nn.LSTM stacks the rows as i, f, g, o (g is the candidate c̃_t).",
                           output=lambda wi, wh, bi, bh, a=assumed: layout.from_torch_layout(
                               *(_reorder_rows(t, a) for t in (wi, wh, bi, bh)))))
    return out


def _solution_q2(weight_ih, weight_hh, bias_ih, bias_hh):
    from lstm_course.layout import CellWeights

    W = torch.cat([weight_hh, weight_ih], dim=1)  # (4H, H+I): [h, x] order
    b = bias_ih + bias_hh  # (4H,)
    W_i, W_f, W_c, W_o = W.chunk(4, dim=0)  # nn.LSTM's row order: i, f, g, o
    b_i, b_f, b_c, b_o = b.chunk(4)
    return CellWeights(W_f, b_f, W_i, b_i, W_c, b_c, W_o, b_o)


q2 = CodeQuestion(
    "q2", "nn.LSTM's weights in the book's layout", 3, func_name="weights_from_torch",
    arg_names=("weight_ih", "weight_hh", "bias_ih", "bias_hh"), cases=_torch_cases,
    reference=layout.from_torch_layout,
    mistakes=[
        *_order_mistakes_torch(),
        Mistake("bias_hh left out", "nn.LSTM adds two biases: b = bias_ih + bias_hh.",
                output=lambda wi, wh, bi, bh: layout.from_torch_layout(wi, wh, bi, torch.zeros_like(bh))),
        Mistake("[x, h] concatenated instead of [h, x]",
                "The book's W acts on [h, x]: put weight_hh's columns first, then weight_ih's.",
                output=lambda wi, wh, bi, bh: layout.CellWeights(*[
                    swap_hx_columns(t, wh.shape[1]) if k % 2 == 0 else t
                    for k, t in enumerate(layout.from_torch_layout(wi, wh, bi, bh))])),
    ],
    forbidden=("lstm_course.layout.from_torch_layout", "lstm_course.layout.split_gates",
               "lstm_course.layout.gate_slice", "lstm_course.reference.from_torch",
               "lstm_course.reference.to_cell_weights", "lstm_course.layer.LSTM"),
    hint="Stack [weight_hh | weight_ih] side by side (hidden first), add the two biases, then cut the 4H rows into "
         "four blocks in nn.LSTM's order i, f, g, o. Return CellWeights(W_f, b_f, W_i, b_i, W_c, b_c, W_o, b_o).",
    solution=_solution_q2,
)


def _seq_cases(gen: torch.Generator) -> list[tuple]:
    T, B, H, I = 5, 2, 3, 2
    r = lambda *s: torch.randn(*s, generator=gen, dtype=torch.float64)  # noqa: E731
    return [(r(T, B, I), r(B, H), r(B, H), _weights(gen, H, I))]


def _torch_lstm(x, h0, c0, weights):
    """The ground truth: ``torch.nn.LSTM`` loaded with ``weights`` (mapped by the layout module)."""
    H, I = weights.hidden_size, weights.input_size
    lstm = nn.LSTM(I, H).double()
    with torch.no_grad():
        for p, v in zip((lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0, lstm.bias_hh_l0),
                        layout.to_torch_layout(weights), strict=True):
            p.copy_(v)
        out, (h_n, c_n) = lstm(x, (h0[None], c0[None]))
    return out, (h_n[0], c_n[0])


def _not_carried(x, h0, c0, w, carry_h: bool):
    h, c, outs = h0, c0, []
    for x_t in x:
        h_new, c_new = cell.lstm_step(x_t, h if carry_h else h0, c if not carry_h else c0, w)
        h, c = h_new, c_new
        outs.append(h)
    return torch.stack(outs), (h, c)


def _solution_q3(x, h0, c0, weights):
    h_t, c_t, outputs = h0, c0, []
    for x_t in x:  # x: (T, B, I)
        h_t, c_t = lstm_step(x_t, h_t, c_t, weights)  # noqa: F821 - the notebook's own lstm_step
        outputs.append(h_t)
    return torch.stack(outputs), (h_t, c_t)  # (T, B, H), ((B, H), (B, H))


q3 = CodeQuestion(
    "q3", "a sequence loop that matches nn.LSTM", 3, func_name="lstm_sequence",
    arg_names=("x", "h0", "c0", "weights"), cases=_seq_cases, reference=_torch_lstm,
    mistakes=[
        Mistake("c not carried from step to step", "Feed each step's c_t into the next step.",
                output=lambda x, h0, c0, w: _not_carried(x, h0, c0, w, carry_h=True)),
        Mistake("h not carried from step to step", "Feed each step's h_t into the next step.",
                output=lambda x, h0, c0, w: _not_carried(x, h0, c0, w, carry_h=False)),
    ],
    forbidden=LIBRARY,
    hint="Loop over the first axis of x, call your lstm_step, keep every h_t; return (torch.stack(hs), (h_T, c_T)).",
    solution=_solution_q3,
)

q4 = ChoiceQuestion(
    "q4", "nn.LSTM's gate order", 1, variable="q4_answer",
    options={"a": "f, i, g, o", "b": "i, f, g, o", "c": "i, f, o, g", "d": "f, i, o, g"},
    answer="b", why={k: "not the order torch.nn.LSTM documents." for k in "acd"},
    hint="Read the docstring of torch.nn.LSTM, or lstm_course.layout.GATE_ORDER.",
    explanation="torch.nn.LSTM stacks the rows as i, f, g, o (g is the candidate).",
)

q5 = DesignQuestion(
    "q5", "design a two-unit cell that remembers the sign of its first input", 4, variable="sign_cell",
    task=SignOfFirst(),
    solution={"f": [(0.0, 0.0, 0.0, 10.0), (0.0, 0.0, 0.0, 10.0)],
              "i": [(0.0, -30.0, 0.0, 10.0), (0.0, 0.0, 0.0, 10.0)],
              "c": [(0.0, 0.0, 10.0, 0.0), (0.0, 0.0, 0.0, 10.0)],
              "o": [(0.0, 0.0, 0.0, 10.0), (0.0, 0.0, 0.0, 10.0)]},
    explanation="Unit 2 is a flag: its gates are open and its candidate tanh(10) ≈ 1, so its cell grows by about 1 "
                "a step (c = 1, 2, 3, ...) and its h_t = tanh(c_t) is about 0.76 at step 1, 0.96 at step 2 and "
                "closer to 1 after. Unit 1 is the memory: at step 1 (h_0 = 0) its input gate σ(10) is open and its "
                "candidate tanh(10 x_1) writes the sign of x_1 (0.96 or more in size, since |x_1| ≥ 0.2); from step 2 "
                "on the flag closes that input gate, σ(10 - 30 h_{t-1}[2]) ≤ σ(10 - 30 · 0.76) ≈ 0, so no "
                "distractor is written; f = σ(10) keeps the sign and o = σ(10) shows it: |h_T| ≥ tanh(0.96) ≈ 0.75.",
    hint="One unit cannot tell step 1 from later steps by x_t alone, but h_0 = 0 and later h_t need not be: give the "
         "second unit the job of switching on after step 1 (an open input gate, a candidate stuck at +1) and let its "
         "h_t close the first unit's input gate through a large negative weight on h_{t-1}[2].",
)


class Step(NamedTuple):
    """One step's new state, named so that feedback can say which one differs."""

    h_t: torch.Tensor
    c_t: torch.Tensor


def step_from_torch_buggy(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    """One LSTM step on nn.LSTM's stacked parameters; returns (h_t, c_t). It has a bug.

    weight_ih (4H, I), weight_hh (4H, H), bias_ih and bias_hh (4H,).
    """
    gates = x_t @ weight_ih.T + bias_ih + h_prev @ weight_hh.T + bias_hh  # (…, 4H)
    f, i, g, o = gates.chunk(4, dim=-1)  # (…, H) each
    c_t = torch.sigmoid(f) * c_prev + torch.sigmoid(i) * torch.tanh(g)  # (…, H)
    h_t = torch.sigmoid(o) * torch.tanh(c_t)  # (…, H)
    return h_t, c_t


def _step_from_torch(x, h, c, wi, wh, bi, bh, assumed: tuple[str, ...] = layout.GATE_ORDER) -> Step:
    """The step a reader who believes the rows are stacked in order ``assumed`` computes (the library's step)."""
    rows = [_reorder_rows(t, assumed) for t in (wi, wh, bi, bh)]
    return Step(*cell.lstm_step(x, h, c, layout.from_torch_layout(*rows)))


def _step_cases(gen: torch.Generator) -> list[tuple]:
    H, I = 3, 2
    r = lambda *s: torch.randn(*s, generator=gen, dtype=torch.float64)  # noqa: E731
    return [(r(I), r(H), r(H), r(4 * H, I), r(4 * H, H), r(4 * H), r(4 * H)),
            (r(4, I), r(4, H), r(4, H), r(4 * H, I), r(4 * H, H), r(4 * H), r(4 * H))]


def _solution_q6(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    gates = x_t @ weight_ih.T + bias_ih + h_prev @ weight_hh.T + bias_hh  # (…, 4H)
    i, f, g, o = gates.chunk(4, dim=-1)  # nn.LSTM stacks the rows as i, f, g, o
    c_t = torch.sigmoid(f) * c_prev + torch.sigmoid(i) * torch.tanh(g)  # (…, H)
    h_t = torch.sigmoid(o) * torch.tanh(c_t)  # (…, H)
    return h_t, c_t


_BUG_ORDER = ("f", "i", "g", "o")

q6 = DebugQuestion(
    "q6", "find the bug: reading nn.LSTM's parameters", 3, func_name="step_from_torch",
    arg_names=("x_t", "h_prev", "c_prev", "weight_ih", "weight_hh", "bias_ih", "bias_hh"), cases=_step_cases,
    reference=_step_from_torch, buggy=step_from_torch_buggy,
    bug="gates in the wrong order (f, i, g, o instead of i, f, g, o)",
    bug_fix="nn.LSTM stacks the four gates' rows as i, f, g, o: the first block is the input gate, the second the "
            "forget gate.",
    parts=("h_t", "c_t"),
    mistakes=[*[Mistake(f"gates still in the wrong order ({', '.join(a)} instead of i, f, g, o)",
                        "nn.LSTM's rows are i, f, g, o (g is the candidate).",
                        output=lambda *args, a=a: _step_from_torch(*args, assumed=a))
                for a in _TORCH_ORDERS if a != _BUG_ORDER],
              Mistake("bias_hh left out", "nn.LSTM adds both biases, bias_ih + bias_hh.",
                      output=lambda x, h, c, wi, wh, bi, bh: _step_from_torch(x, h, c, wi, wh, bi,
                                                                              torch.zeros_like(bh)))],
    forbidden=(*LIBRARY, "lstm_course.layout.from_torch_layout", "lstm_course.layout.split_gates",
               "lstm_course.layout.gate_slice", "lstm_course.exercises.whole_cell._step_from_torch"),
    hint="Compare the function with torch.nn.LSTM's documentation (or lstm_course.layout.GATE_ORDER): in which "
         "order are the four blocks of 4H rows stacked?",
    solution=_solution_q6,
)


def _quiet_lstm(*args, **kwargs) -> LSTM:
    """An :class:`~lstm_course.LSTM`, built without touching the global random generator."""
    with torch.random.fork_rng(devices=[]):
        return LSTM(*args, **kwargs)


def _count(input_size: int = 10, hidden_size: int = 20) -> int:
    return sum(p.numel() for p in _quiet_lstm(input_size, hidden_size).parameters())


q7 = PredictQuestion(
    "q7", "predict nn.LSTM's number of parameters", 1, variable="q7_answer", value=_count, tolerance=None,
    working=lambda: ("4 gates × H × (I + H) weights = 4 · 20 · (10 + 20) = 2400, plus two bias vectors "
                     f"bias_ih and bias_hh of 4H = 80 each: {_count()} (counted on lstm_course.LSTM(10, 20), which "
                     "has nn.LSTM's parameters)."),
    slips=[Slip("one bias vector", lambda: _count() - 4 * 20, "nn.LSTM keeps two, bias_ih and bias_hh."),
           Slip("no biases", lambda: _count() - 2 * 4 * 20, "Each gate has a bias, twice over: bias_ih and bias_hh."),
           Slip("weights on x_t only", lambda: _count() - 4 * 20 * 20,
                "Each gate also reads h_{t-1}: weight_hh is (4H, H).")],
    hint="Each of the 4 gates has a weight on x_t (H × I), a weight on h_{t-1} (H × H) and, in nn.LSTM, two biases "
         "(H each).",
)


def _shape() -> tuple[int, ...]:
    out, _ = _quiet_lstm(8, 16, batch_first=True)(torch.zeros(4, 30, 8))
    return tuple(out.shape)


q8 = PredictQuestion(
    "q8", "predict nn.LSTM's output shape", 1, variable="q8_answer", value=_shape, tolerance=None,
    working=lambda: ("batch_first=True keeps the input's (batch, time) order, and the output holds h_t for every "
                     f"step, H = 16 numbers each: {_shape()}."),
    slips=[Slip("batch_first ignored", lambda: (30, 4, 16), "batch_first=True puts the batch first in the output too."),
           Slip("the last step only", lambda: (4, 16), "output holds every step; h_n holds the last one."),
           Slip("the input size", lambda: (4, 30, 8), "Each step's output is h_t, of size H = 16.")],
    hint="output holds h_t for every step t = 1..T; batch_first=True means (batch, time, features).",
)

EXERCISE = Exercise("whole_cell", "The whole cell over a sequence", (q1, q2, q3, q4, q5, q6, q7, q8))
