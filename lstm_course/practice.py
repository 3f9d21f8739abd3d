r"""Truncated backpropagation through time for the course's classifiers.

Full backpropagation through time sends the loss's gradient back through every step, :math:`t = T`
down to 1. *Truncated* BPTT with window :math:`k` cuts the sequence into chunks of :math:`k` steps,
:math:`1..k, k+1..2k, \dots`; the forward pass carries :math:`h_t` (and :math:`c_t`) from chunk to chunk
unchanged, but the gradient stops at every chunk boundary (the state is *detached*). A loss at the
last step therefore teaches only what happened in the last chunk: steps
:math:`k \lfloor (T-1)/k \rfloor + 1` to :math:`T`. The price of a long dependency is memory and time
for the backward pass; truncation saves both and gives up the dependencies longer than the window.

Gradient-norm clipping, the other practice the course shows, is :func:`lstm_course.tasks.train`'s
``clip`` (its :class:`~lstm_course.tasks.History` records each step's norm before clipping).
"""

from __future__ import annotations

import torch
from torch import nn

from .tasks import SequenceClassifier

__all__ = ["TruncatedBPTT", "last_chunk"]


def last_chunk(T: int, window: int) -> range:
    """The steps (1-based) whose inputs the last step's gradient reaches with window ``window``."""
    if not isinstance(window, int) or window < 1:
        raise ValueError(f"`window` must be a positive int (steps per chunk), got {window!r}.")
    start = window * ((T - 1) // window) + 1
    return range(start, T + 1)


def _detach(state):
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


class TruncatedBPTT(nn.Module):
    """``model`` run chunk by chunk with the state detached between chunks of ``window`` steps.

    ``model`` is a :class:`~lstm_course.tasks.SequenceClassifier`; its recurrent layer takes and
    returns the state (``(h, c)`` for the LSTMs, ``h`` for the GRU and the RNN). The forward values
    are exactly the full sequence's (detaching changes no number); only the gradient is cut.
    ``x (T, B, I) -> logits (B, C)``. Pass it to :func:`lstm_course.tasks.train` like the model itself.
    """

    def __init__(self, model: SequenceClassifier, window: int) -> None:
        super().__init__()
        last_chunk(1, window)  # validates window
        self.model, self.window = model, window
        self.kind = f"{getattr(model, 'kind', 'model')}, window {window}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        state = None
        out = None
        for chunk in x.split(self.window, dim=0):  # (≤k, B, I) each
            if state is not None:
                state = _detach(state)  # the gradient stops here
            out, state = self.model.recurrent(chunk, state)  # (≤k, B, H)
        return self.model.readout(out[-1])  # (B, C)
