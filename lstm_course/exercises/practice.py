"""Exercise: a stacked bidirectional LSTM's shapes and truncated backpropagation (chapter "Practice").

q1 and q2 predict the shapes of a 2-layer bidirectional LSTM's ``output`` and ``h_n``; q3 is a bug to
find in a truncated-backpropagation loop (the state not detached between chunks). Nothing is trained.
"""

from __future__ import annotations

import torch

from .. import cell, layout
from ..cell import lstm_step
from ..layer import LSTM
from ._core import TORCH_LSTM, Exercise, Mistake
from ._debug import DebugQuestion
from ._predict import PredictQuestion, Slip

__all__ = ["EXERCISE", "chunk_gradients_buggy", "q1", "q2", "q3"]


def _quiet_lstm(*args, **kwargs) -> LSTM:
    """An :class:`~lstm_course.LSTM`, built without touching the global random generator."""
    with torch.random.fork_rng(devices=[]):
        return LSTM(*args, **kwargs)


def _run() -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``output.shape`` and ``h_n.shape`` of ``LSTM(8, 16, num_layers=2, bidirectional=True, batch_first=True)``."""
    with torch.no_grad():
        out, (h_n, _) = _quiet_lstm(8, 16, num_layers=2, bidirectional=True, batch_first=True)(torch.zeros(3, 30, 8))
    return tuple(out.shape), tuple(h_n.shape)


q1 = PredictQuestion(
    "q1", "predict a stacked bidirectional LSTM's output shape", 1, variable="q1_answer",
    value=lambda: _run()[0], tolerance=None,
    working=lambda: ("batch_first=True keeps (batch, time) = (3, 30); output holds the last layer's h_t for every "
                     "step, the forward and the reverse direction concatenated: 2 · 16 = 32 numbers: "
                     f"{_run()[0]}."),
    slips=[Slip("one direction only", lambda: (3, 30, 16),
                "bidirectional=True concatenates both directions' h_t: the last size is 2H."),
           Slip("batch_first ignored", lambda: (30, 3, 32), "batch_first=True puts the batch first in the output too."),
           Slip("layers concatenated", lambda: (3, 30, 64), "output is the last layer's h_t only, not every layer's."),
           Slip("the last step only", lambda: (3, 32), "output holds every step; h_n holds the last one.")],
    hint="output holds h_t for every step t = 1..T of the last layer; bidirectional=True puts both directions' h_t "
         "side by side.",
)

q2 = PredictQuestion(
    "q2", "predict its h_n shape", 1, variable="q2_answer", value=lambda: _run()[1], tolerance=None,
    working=lambda: ("h_n holds the last state of every layer and direction as its rows, 2 layers · 2 directions = "
                     "4, then the batch, then H = 16; batch_first does not apply to h_n: "
                     f"{_run()[1]}."),
    slips=[Slip("directions not counted", lambda: (2, 3, 16), "Each layer has two directions, each its own row."),
           Slip("batch_first applied to h_n", lambda: (3, 4, 16),
                "batch_first changes input and output only; h_n is always (num_layers · 2, B, H)."),
           Slip("directions concatenated", lambda: (2, 3, 32), "h_n keeps the directions apart, as rows: "
                "(num_layers · 2, B, H)."),
           Slip("one row", lambda: (1, 3, 16), "There is one row per layer and direction: 2 · 2 = 4."),
           Slip("time in h_n", lambda: (4, 30, 16), "h_n is the last step's state only; output holds every step.")],
    hint="h_n is (num_layers · directions, B, H); row k = layer · 2 + direction.",
)


def chunk_gradients_buggy(x, weights, chunk):
    """Truncated backpropagation through time: for each chunk of `chunk` steps of x (T, B, I), the gradient of
    L_k = Σ h_t² over the chunk with respect to W_f; the state (h, c) carries over between chunks. It has a bug."""
    W_f = weights.W_f.detach().clone().requires_grad_()  # (H, H+I)
    w = weights._replace(W_f=W_f)
    h_t = c_t = x.new_zeros(x.shape[1], W_f.shape[0])  # (B, H)
    grads = []
    for piece in x.split(chunk):  # (chunk, B, I)
        loss = 0.0
        for x_t in piece.unbind(0):
            h_t, c_t = lstm_step(x_t, h_t, c_t, w)  # (B, H), (B, H)
            loss = loss + (h_t**2).sum()
        (g,) = torch.autograd.grad(loss, W_f, retain_graph=True)  # (H, H+I)
        grads.append(g)
    return torch.stack(grads)  # (number of chunks, H, H+I)


def _chunk_grads(x, weights, chunk, *, detach_h: bool = True, detach_c: bool = True) -> torch.Tensor:
    """Each chunk's :math:`\\partial L_k / \\partial W_f`, the state detached between chunks as the flags say."""
    W_f = weights.W_f.detach().clone().requires_grad_()  # (H, H+I)
    w = weights._replace(W_f=W_f)
    h_t = c_t = x.new_zeros(x.shape[1], W_f.shape[0])  # (B, H)
    grads = []
    for piece in x.split(chunk):  # (chunk, B, I)
        h_t = h_t.detach() if detach_h else h_t
        c_t = c_t.detach() if detach_c else c_t
        loss = x.new_zeros(())
        for x_t in piece.unbind(0):
            h_t, c_t = cell.lstm_step(x_t, h_t, c_t, w)  # (B, H), (B, H)
            loss = loss + (h_t**2).sum()
        grads.append(torch.autograd.grad(loss, W_f, retain_graph=True)[0])  # (H, H+I)
    return torch.stack(grads)


def _chunk_cases(gen: torch.Generator) -> list[tuple]:
    def weights(H, I):
        return layout.CellWeights(*[torch.randn(*s, generator=gen, dtype=torch.float64) * k
                                    for _ in range(4) for s, k in (((H, H + I), 0.6), ((H,), 0.5))])

    return [(torch.randn(6, 2, 2, generator=gen, dtype=torch.float64), weights(3, 2), 2),
            (torch.randn(5, 3, 2, generator=gen, dtype=torch.float64), weights(2, 2), 3)]


def _solution_q3(x, weights, chunk):
    W_f = weights.W_f.detach().clone().requires_grad_()  # (H, H+I)
    w = weights._replace(W_f=W_f)
    h_t = c_t = x.new_zeros(x.shape[1], W_f.shape[0])  # (B, H)
    grads = []
    for piece in x.split(chunk):  # (chunk, B, I)
        h_t, c_t = h_t.detach(), c_t.detach()  # carry the state, not its history: the gradient stops here
        loss = 0.0
        for x_t in piece.unbind(0):
            h_t, c_t = lstm_step(x_t, h_t, c_t, w)  # (B, H), (B, H)
            loss = loss + (h_t**2).sum()
        (g,) = torch.autograd.grad(loss, W_f)  # (H, H+I)
        grads.append(g)
    return torch.stack(grads)  # (number of chunks, H, H+I)


q3 = DebugQuestion(
    "q3", "find the bug: truncated backpropagation through time", 3, func_name="chunk_gradients",
    arg_names=("x", "weights", "chunk"), cases=_chunk_cases, reference=_chunk_grads, buggy=chunk_gradients_buggy,
    bug="state not detached between chunks",
    bug_fix="h_t and c_t still hold the graph of the previous chunks, so each chunk's gradient flows back into them "
            "(retain_graph=True only hides the error). Detach both at the start of each chunk.",
    parts=("the gradient of chunk {k}",), part_axis=0,
    mistakes=[Mistake("c_t not detached (only h_t)", "The gradient still reaches earlier chunks through c_t: detach it "
                      "too.", output=lambda x, w, k: _chunk_grads(x, w, k, detach_c=False)),
              Mistake("h_t not detached (only c_t)", "The gradient still reaches earlier chunks through h_t: detach it "
                      "too.", output=lambda x, w, k: _chunk_grads(x, w, k, detach_h=False))],
    forbidden=("lstm_course.layer.LSTM", "lstm_course.exercises.practice._chunk_grads", *TORCH_LSTM),
    hint="Which chunk's gradient is already right in the buggy version, and why? Truncated backpropagation keeps the "
         "values of h_t and c_t from one chunk to the next but not their history: tensor.detach().",
    solution=_solution_q3,
)

EXERCISE = Exercise("practice", "Practice: stacked layers and truncated backpropagation", (q1, q2, q3))
