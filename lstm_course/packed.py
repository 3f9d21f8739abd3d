r"""Sequences of different lengths (``PackedSequence``) and the LSTM with projections, under plain autograd.

Both :class:`lstm_course.LSTM` and :class:`lstm_course.GRU` accept a
:class:`torch.nn.utils.rnn.PackedSequence` (from ``pack_padded_sequence`` / ``pack_sequence``,
sorted or with ``enforce_sorted=False``) as ``nn.LSTM`` does.  A packed batch holds the sequences
sorted by length, longest first, step by step: ``data`` ``(N, I)`` is step 1 of every sequence,
then step 2 of every sequence that has one, ...; ``batch_sizes[t]`` is how many sequences have a
step ``t`` (non-increasing).  So at step :math:`t` the running sequences are the first
``batch_sizes[t]`` rows of the state, and each sequence's final state is the one at its *own* last
step, :math:`h_{T_b}`, not at the batch's longest :math:`T`.  The reverse direction reads every
sequence from its own end: it starts with the longest ones and takes in the shorter ones (from their
:math:`h_0`) as it reaches their last steps.

The same loop with a constant batch size also runs the LSTM with projections
(``proj_size = P > 0``; LSTMP, Sak, Senior & Beaufays 2014), whose step is the book's step followed
by a projection of the hidden state,

.. math::
    a_t &= W_{ih} x_t + b_{ih} + W_{hh} r_{t-1} + b_{hh} \qquad (\text{rows } i, f, g, o) \\
    c_t &= f_t \odot c_{t-1} + i_t \odot \tilde c_t, \qquad
    r_t = W_{hr} \big(o_t \odot \tanh(c_t)\big)

(:math:`r_t` is Sak et al.'s name; ``nn.LSTM``'s documentation and the notation page call the
projected state :math:`h_t`, and it is not the GRU's reset gate) with :math:`W_{hr}` =
``weight_hr_l{k}`` ``(P, H)``: the recurrence and the next layer see
:math:`r_t` ``(B, P)`` in place of :math:`h_t` (``h_n`` and the output are ``P`` wide, ``c_n`` stays
``H`` wide).  Everything here is composed of differentiable torch operations (no in-place update of
a saved tensor), so second derivatives, ``vmap`` and ``torch.func`` work through it; the LSTM also
uses it as its composed path under ``torch.func`` transforms.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from .cell import cell_update, hidden_state

__all__ = ["gru_interpolate", "gru_steps", "lstm_steps", "run_packed_layers", "varying_batch_loop"]

#: One step: ``(input half of the gates (b, G·H), state tuple of (b, ·)) -> (output (b, ·), new state tuple)``.
Step = Callable[[torch.Tensor, tuple[torch.Tensor, ...]], tuple[torch.Tensor, tuple[torch.Tensor, ...]]]


def varying_batch_loop(
    step: Step, xs: Sequence[torch.Tensor], state: tuple[torch.Tensor, ...], *, reverse: bool
) -> tuple[list[torch.Tensor], tuple[torch.Tensor, ...]]:
    """Run ``step`` over ``xs`` (``T`` tensors ``(b_t, ·)``, ``b_t`` non-increasing), the running rows first.

    ``state``: the initial states, each ``(B, ·)`` with ``B = b_1``. Forward (``reverse=False``) the
    state shrinks to ``b_t`` rows at step ``t`` and the finished rows keep the state of their own last
    step; in reverse (``t = T .. 1``) it grows, each new row starting from its initial state. Returns the
    ``T`` step outputs in time order and the final states, each ``(B, ·)``.
    """
    T = len(xs)
    outs: list[torch.Tensor] = [xs[0]] * T
    if not reverse:
        done: list[tuple[torch.Tensor, ...]] = []  # rows that stopped, in the order they stopped
        cur = state
        for t in range(T):
            b = xs[t].shape[0]
            if b < cur[0].shape[0]:  # rows b.. have had their last step
                done.append(tuple(s[b:] for s in cur))
                cur = tuple(s[:b] for s in cur)
            outs[t], cur = step(xs[t], cur)
        finals = tuple(torch.cat([cur[j], *(d[j] for d in reversed(done))]) if done else cur[j]
                       for j in range(len(state)))
        return outs, finals
    cur = tuple(s[: xs[T - 1].shape[0]] for s in state)
    for t in range(T - 1, -1, -1):
        b = xs[t].shape[0]
        if b > cur[0].shape[0]:  # sequences whose last step is t join, from their initial state
            cur = tuple(torch.cat([c, s[c.shape[0]:b]]) for c, s in zip(cur, state, strict=True))
        outs[t], cur = step(xs[t], cur)
    return outs, cur


def _input_half(data: torch.Tensor, weight_ih: torch.Tensor, bias_ih: torch.Tensor | None) -> torch.Tensor:
    """:math:`W_{ih} x + b_{ih}` for every packed row at once: ``(N, I) -> (N, G·H)``."""
    return data @ weight_ih.t() if bias_ih is None else torch.addmm(bias_ih, data, weight_ih.t())


def lstm_steps(
    data: torch.Tensor, sizes: Sequence[int], h0: torch.Tensor, c0: torch.Tensor, weight_ih: torch.Tensor,
    weight_hh: torch.Tensor, bias_ih: torch.Tensor | None, bias_hh: torch.Tensor | None,
    weight_hr: torch.Tensor | None = None, *, reverse: bool = False,
) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
    """One LSTM layer in one direction over packed rows ``data (N, I)`` with ``sizes`` rows per step.

    ``h0 (B, P)``, ``c0 (B, H)`` (``P = H`` without ``weight_hr``). Each step computes the gates in
    PyTorch's row order i, f, g, o, then :func:`~lstm_course.cell.cell_update` and
    :func:`~lstm_course.cell.hidden_state`, then the projection :math:`r_t = W_{hr} h_t` if
    ``weight_hr (P, H)`` is given. Returns the outputs ``(N, P)`` in ``data``'s row order and
    ``(h_n (B, P), c_n (B, H))``, each sequence's at its own last step.
    """
    xs = _input_half(data, weight_ih, bias_ih).split(list(sizes))  # T × (b_t, 4H)

    def step(a_x: torch.Tensor, state: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        h, c = state  # (b, P), (b, H)
        a = a_x + h @ weight_hh.t() if bias_hh is None else a_x + torch.addmm(bias_hh, h, weight_hh.t())  # (b, 4H)
        i, f, g, o = a.chunk(4, dim=1)  # each (b, H)
        c = cell_update(torch.sigmoid(f), c, torch.sigmoid(i), torch.tanh(g))  # c_t = f ⊙ c_{t-1} + i ⊙ c̃
        h = hidden_state(torch.sigmoid(o), c)  # (b, H) h_t = o_t ⊙ tanh(c_t)
        if weight_hr is not None:
            h = h @ weight_hr.t()  # (b, P) r_t = W_hr h_t
        return h, (h, c)

    outs, (h_n, c_n) = varying_batch_loop(step, xs, (h0, c0), reverse=reverse)
    return torch.cat(outs), (h_n, c_n)


def gru_interpolate(z_t: torch.Tensor, h_prev: torch.Tensor, n_t: torch.Tensor) -> torch.Tensor:
    r""":func:`~lstm_course.gru.gru_hidden_state`'s :math:`h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}`,
    computed as :math:`n_t + z_t \odot (h_{t-1} - n_t)`.

    The same equation, rearranged; written this way because it is the order in which ``nn.GRU``'s kernel
    rounds, so that float32 results match ``nn.GRU`` to the last bit (the other order differs by an ulp,
    which a training run with a large learning rate amplifies). All three ``(B, H)``.
    """
    return (h_prev - n_t) * z_t + n_t  # h_t = n_t + z_t ⊙ (h_{t-1} - n_t); a product, then a sum (no fused FMA)


def gru_steps(
    data: torch.Tensor, sizes: Sequence[int], h0: torch.Tensor, weight_ih: torch.Tensor, weight_hh: torch.Tensor,
    bias_ih: torch.Tensor | None, bias_hh: torch.Tensor | None, *, reverse: bool = False,
) -> tuple[torch.Tensor, tuple[torch.Tensor]]:
    r"""One GRU layer in one direction over packed rows ``data (N, I)``; ``h0 (B, H)``.

    Rows r, z, n (:mod:`lstm_course.gru`): :math:`n_t = \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn}
    h_{t-1} + b_{hn}))`, then :math:`h_t` (:func:`gru_interpolate`). Returns ``(N, H)`` and ``(h_n,)``.
    """
    xs = _input_half(data, weight_ih, bias_ih).split(list(sizes))  # T × (b_t, 3H)

    def step(a_x: torch.Tensor, state: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        (h,) = state  # (b, H)
        a_h = h @ weight_hh.t() if bias_hh is None else torch.addmm(bias_hh, h, weight_hh.t())  # (b, 3H)
        xr, xz, xn = a_x.chunk(3, dim=1)
        hr, hz, hn = a_h.chunk(3, dim=1)
        r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)  # (b, H) each
        n = torch.tanh(xn + r * hn)  # (b, H)
        h = gru_interpolate(z, h, n)  # (b, H) h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}
        return h, (h,)

    outs, finals = varying_batch_loop(step, xs, (h0,), reverse=reverse)
    return torch.cat(outs), finals  # type: ignore[return-value]


#: One (layer, direction): ``(data (N, ·), sizes, layer, direction, state tuple of (B, ·)) -> (out (N, ·), finals)``.
PackedRun = Callable[[torch.Tensor, list[int], int, int, tuple[torch.Tensor, ...]],
                     tuple[torch.Tensor, tuple[torch.Tensor, ...]]]


def run_packed_layers(
    data: torch.Tensor, sizes: list[int], states: Sequence[torch.Tensor], run: PackedRun, *, num_layers: int,
    num_directions: int, dropout: float, training: bool,
) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
    """Stack layers and directions over packed rows, as :func:`lstm_course._stacking.run_layers` does over time.

    ``states``: each ``(L·D, B, ·)``, in the packed (sorted) batch order. Layer :math:`l > 1` reads the
    previous layer's packed output ``(N, D·P)``, with dropout in training mode. Returns the last layer's
    packed output and the final states, each ``(L·D, B, ·)``.
    """
    finals: list[tuple[torch.Tensor, ...]] = []
    layer_input = data
    for layer in range(num_layers):
        outs = []
        for direction in range(num_directions):
            k = layer * num_directions + direction
            out, final = run(layer_input, sizes, layer, direction, tuple(s[k] for s in states))
            outs.append(out)
            finals.append(final)
        layer_output = outs[0] if num_directions == 1 else torch.cat(outs, dim=-1)  # (N, D·P)
        if dropout > 0 and training and layer < num_layers - 1:
            layer_output = nn.functional.dropout(layer_output, p=dropout, training=True)
        layer_input = layer_output
    return layer_input, tuple(torch.stack([f[j] for f in finals]) for j in range(len(states)))


def packed_parts(input: PackedSequence) -> tuple[torch.Tensor, list[int], torch.Tensor | None, torch.Tensor | None]:
    """``data (N, I)``, ``batch_sizes`` as a list of ints, ``sorted_indices`` and ``unsorted_indices``."""
    return input.data, [int(b) for b in input.batch_sizes], input.sorted_indices, input.unsorted_indices


def permute_states(states: Sequence[torch.Tensor], permutation: torch.Tensor | None) -> tuple[torch.Tensor, ...]:
    """Reorder the batch (dim 1) of every ``(L·D, B, ·)`` state, as ``nn.LSTM.permute_hidden`` does."""
    if permutation is None:
        return tuple(states)
    return tuple(s.index_select(1, permutation) for s in states)


def repack(output: torch.Tensor, input: PackedSequence) -> PackedSequence:
    """The packed output ``(N, D·P)`` with ``input``'s ``batch_sizes`` and orders, as ``nn.LSTM`` returns it."""
    return PackedSequence(output, input.batch_sizes, input.sorted_indices, input.unsorted_indices)
