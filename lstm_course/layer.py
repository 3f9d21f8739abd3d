r"""``LSTM``: a sequence module with ``torch.nn.LSTM``'s interface, run on the course's step math.

It keeps PyTorch's parameter names and layout, so ``state_dict()``\ s move both ways
between :class:`LSTM` and ``torch.nn.LSTM``, and computes every step with the
equations of :mod:`lstm_course.cell` (no call into ``nn.LSTM``, ``torch.lstm`` or a
fused RNN kernel).  One layer in one direction is the unit of work: its backward pass is the
hand-written LSTM backward (:class:`_LSTMFunction`): one loop backwards over time, then each
weight gradient as one matrix product.  Stacked layers and the reverse direction are composed
from that unit by :func:`lstm_course._stacking.run_layers`.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch.nn.utils.rnn import PackedSequence

from . import _checks
from ._recurrent import StackedRecurrent
from ._stacking import (
    RecurrentDtypeError,
    RecurrentInputError,
    check_input,
    check_state,
    run_layers,
)
from .cell import StepGates, cell_update, hidden_state, lstm_step
from .layout import GATE_ORDER, CellWeights, from_torch_layout, split_gates
from .packed import lstm_steps, packed_parts, permute_states, repack, run_packed_layers

__all__ = ["LSTM", "RecurrentDtypeError", "RecurrentInputError", "SequenceGates"]


class SequenceGates(NamedTuple):
    """Every step's gate values, each shaped like the output: ``(T, B, H)``, ``(B, T, H)`` or ``(T, H)``."""

    f_t: torch.Tensor
    i_t: torch.Tensor
    c_tilde: torch.Tensor
    o_t: torch.Tensor
    c_t: torch.Tensor
    h_t: torch.Tensor


def _onednn_linear_available() -> bool:
    try:
        return bool(torch.backends.mkldnn.is_available()) and hasattr(torch.ops.mkldnn, "_linear_pointwise")
    except (AttributeError, RuntimeError):
        return False


_ONEDNN_LINEAR = _onednn_linear_available()
_ONEDNN_MIN_MACS = 1 << 20


def _linear(a: torch.Tensor, w: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """:math:`a w^\\top (+ b)`: ``(M, K), (N, K) -> (M, N)``, the plain matrix product of a linear layer.

    Why not always ``a @ w.t()``: on CPUs where PyTorch's BLAS (MKL) runs a slower code path than its
    oneDNN library (measured on this course's AMD machines: about 2x at these shapes), float32
    products go through oneDNN's plain linear kernel. Same numbers, no fused RNN kernel; every other
    device and dtype, and small products, use ``torch.addmm``/``@``.
    """
    big = a.shape[0] * w.shape[0] * w.shape[1] >= _ONEDNN_MIN_MACS  # below this, call overhead dominates
    if big and _ONEDNN_LINEAR and a.device.type == "cpu" and a.dtype == torch.float32 and not a.requires_grad:
        return torch.ops.mkldnn._linear_pointwise(a, w, bias, "none", [], "")
    return a @ w.t() if bias is None else torch.addmm(bias, a, w.t())


# The activation of each stacked gate, applied in place: the candidate g = c̃ is the one tanh.
_ACTIVATE_IN_PLACE = {"i": torch.sigmoid_, "f": torch.sigmoid_, "g": torch.tanh_, "o": torch.sigmoid_}


def _run_steps(
    gates: torch.Tensor, h: torch.Tensor, c: torch.Tensor, weight_hh: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""The recurrence, without autograd: one :func:`~lstm_course.cell.cell_update` and
    :func:`~lstm_course.cell.hidden_state` per step.

    ``gates (T, B, 4H)`` holds :math:`W_{ih} x_t + b_{ih} + b_{hh}` for every step on entry and,
    on return, the activated gates :math:`i_t, f_t, \tilde c_t, o_t` (PyTorch's row order): each
    step adds :math:`W_{hh} h_{t-1}` and activates its rows where they lie, so the loop allocates
    nothing but the new states.  ``h, c (B, H)`` are the initial states.
    Returns ``hs (T, B, H)`` and ``cs (T, B, H)``, every step's :math:`h_t` and :math:`c_t`.
    """
    H = h.shape[-1]
    rows = {k: v.unbind(0) for k, v in split_gates(gates, H).items()}  # gate -> T views (B, H)
    hs, cs = [], []
    for t, a_t in enumerate(gates.unbind(0)):  # a_t (B, 4H)
        a_t.add_(_linear(h, weight_hh))  # (B, 4H) W_ih x_t + W_hh h_{t-1} + b
        g = {k: _ACTIVATE_IN_PLACE[k](rows[k][t]) for k in GATE_ORDER}  # i_t, f_t, c̃_t, o_t, each (B, H)
        c = cell_update(g["f"], c, g["i"], g["g"])  # (B, H) c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t
        h = hidden_state(g["o"], c)  # (B, H) h_t = o_t ⊙ tanh(c_t)
        hs.append(h)
        cs.append(c)
    return torch.stack(hs), torch.stack(cs)  # (T, B, H) each


def _steps_with_autograd(
    x: torch.Tensor, h: torch.Tensor, c: torch.Tensor, weights: CellWeights
) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
    """The textbook loop: :func:`~lstm_course.cell.lstm_step` at every step, under plain autograd.

    Used when the gates are requested and gradients are needed, so the gates are differentiable.
    ``x (T, B, I)``, ``h, c (B, H)``. Returns ``hs``, ``cs`` and ``{'f_t', 'i_t', 'c_tilde', 'o_t'}``,
    each ``(T, B, H)``.
    """
    hs, cs, steps = [], [], []
    for x_t in x.unbind(0):  # unbind, not x[t]: indexing in an autograd loop makes backward O(T^2)
        h, c, step = lstm_step(x_t, h, c, weights, return_gates=True)  # (B, H), (B, H), StepGates
        hs.append(h)
        cs.append(c)
        steps.append(step)
    gates = {name: torch.stack([getattr(s, name) for s in steps]) for name in StepGates._fields}  # (T, B, H)
    return torch.stack(hs), torch.stack(cs), gates


class _LSTMFunction(torch.autograd.Function):
    r"""One LSTM layer with the hand-written backward (the course's ``reference`` backward, in torch).

    Forward (no autograd graph) keeps the activated gates and the cell states.  With
    :math:`a_t = W_{ih} x_t + W_{hh} h_{t-1} + b` the stacked pre-activations, backward
    loops from :math:`t = T` down to 1:

    .. math::
        \delta h_t &= \partial L/\partial h_t + W_{hh}^\top \delta a_{t+1}, \qquad
        \delta c_t = \partial L/\partial c_t + \delta h_t \odot o_t \odot (1 - \tanh^2 c_t)
            + f_{t+1} \odot \delta c_{t+1} \\
        \delta a^{i}_t &= \delta c_t \odot \tilde c_t \odot i_t (1 - i_t), \quad
        \delta a^{f}_t = \delta c_t \odot c_{t-1} \odot f_t (1 - f_t), \\
        \delta a^{g}_t &= \delta c_t \odot i_t \odot (1 - \tilde c_t^2), \quad
        \delta a^{o}_t = \delta h_t \odot \tanh(c_t) \odot o_t (1 - o_t)

    and then :math:`\partial L/\partial W_{ih} = \sum_t \delta a_t^\top x_t`,
    :math:`\partial L/\partial W_{hh} = \sum_t \delta a_t^\top h_{t-1}`,
    :math:`\partial L/\partial x_t = W_{ih}^\top \delta a_t`, each one matrix product for all steps.
    Everything in :math:`\delta a_t` that does not depend on the recurrence is computed for all
    steps at once before the loop.

    Second derivatives: when a graph of the gradient is requested (``create_graph=True``, so grad
    mode is on in ``backward``) or the gradients are batched (``vmap`` over the backward, as in
    ``is_grads_batched`` or ``gradcheck(check_batched_grad=True)``), ``backward`` instead recomputes
    the layer with :func:`~lstm_course.cell.lstm_step` under plain autograd and differentiates that
    (:func:`_composed_backward`): slower, the same numbers, and differentiable again.
    """

    @staticmethod
    def forward(ctx, x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh):  # x (T, B, I), h0/c0 (B, H)
        gates = _project(x, weight_ih, bias_ih, bias_hh)  # (T, B, 4H)
        hs, cs = _run_steps(gates, h0, c0, weight_hh)  # (T, B, H) each; gates now activated
        ctx.save_for_backward(x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, hs, cs, gates)
        return hs, hs[-1].clone(), cs[-1].clone()  # clones: outputs must not be views of each other

    @staticmethod
    def backward(ctx, d_out, d_hn, d_cn):
        if torch.is_grad_enabled() or any(_is_batched(g) for g in (d_out, d_hn, d_cn)):
            return _composed_backward(ctx, (d_out, d_hn, d_cn))
        return _hand_written_backward(ctx, d_out, d_hn, d_cn)


def _is_batched(t: torch.Tensor | None) -> bool:
    """Whether ``t`` is a gradient batched by ``vmap`` (``torch.func``'s or autograd's own batched gradients)."""
    if t is None:
        return False
    functorch = torch._C._functorch
    return bool(functorch.is_functorch_wrapped_tensor(t) or functorch.is_legacy_batchedtensor(t))


def _transforms_active() -> bool:
    """Whether a ``torch.func`` transform (``vmap``, ``grad``, ``jacrev``, ...) is running."""
    return bool(torch._C._are_functorch_transforms_active())


def _composed_backward(ctx, grads: tuple[torch.Tensor | None, ...]) -> tuple[torch.Tensor | None, ...]:
    """The gradients of :class:`_LSTMFunction` by plain autograd through the textbook loop (differentiable)."""
    inputs = ctx.saved_tensors[:7]  # x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh
    wanted = [k for k in range(7) if ctx.needs_input_grad[k]]
    create_graph = torch.is_grad_enabled()
    with torch.enable_grad():
        x, h0, c0, w_ih, w_hh, b_ih, b_hh = inputs
        hs, cs, _ = _steps_with_autograd(x, h0, c0, from_torch_layout(w_ih, w_hh, b_ih, b_hh))  # (T, B, H) each
        pairs = [(o, g) for o, g in zip((hs, hs[-1], cs[-1]), grads, strict=True) if g is not None]
        got = torch.autograd.grad([o for o, _ in pairs], [inputs[k] for k in wanted], [g for _, g in pairs],
                                  create_graph=create_graph, allow_unused=True)
    result: list[torch.Tensor | None] = [None] * 7
    for k, g in zip(wanted, got, strict=True):
        result[k] = g
    return tuple(result)


def _hand_written_backward(ctx, d_out, d_hn, d_cn):
    """The hand-written backward of :class:`_LSTMFunction` (first derivatives, no graph); see its docstring."""
    with torch.no_grad():
        x, h0, c0, weight_ih, weight_hh, _, _, hs, cs, gates = ctx.saved_tensors
        T, B, H = hs.shape
        act = split_gates(gates, H)  # i, f, g (= c̃), o; each (T, B, H)
        # Local factors of δa_t per unit of the carried δc_t (rows i, f, g) or δh_t (row o), for all
        # steps at once, written in place into one (T, B, 4H) buffer to avoid large temporaries.
        local = torch.empty_like(gates)  # (T, B, 4H)
        loc = split_gates(local, H)  # views, each (T, B, H)
        for k in ("i", "f", "o"):
            torch.addcmul(act[k], act[k], act[k], value=-1, out=loc[k])  # σ' = σ - σ² = σ(1 - σ)
        loc["i"].mul_(act["g"])  # c̃_t i_t(1 - i_t)
        loc["f"][1:].mul_(cs[:-1])  # c_{t-1} f_t(1 - f_t)
        loc["f"][0].mul_(c0)
        torch.mul(act["g"], act["g"], out=loc["g"]).neg_().add_(1).mul_(act["i"])  # i_t (1 - c̃_t²)
        tanh_c = torch.tanh(cs)  # (T, B, H)
        loc["o"].mul_(tanh_c)  # tanh(c_t) o_t(1 - o_t)
        dh_to_dc = tanh_c.mul_(tanh_c).neg_().add_(1).mul_(act["o"])  # (T, B, H) o_t ⊙ (1 - tanh² c_t)

        d_out = d_out if d_out is not None else torch.zeros_like(hs)  # (T, B, H)
        dh = d_hn.clone() if d_hn is not None else torch.zeros_like(h0)  # (B, H)
        dc = d_cn.clone() if d_cn is not None else torch.zeros_like(c0)  # (B, H)
        da = local  # (T, B, 4H) δa_t, written over its local factors step by step (one buffer less)
        da_steps = da.view(T, B, 4, H).unbind(0)  # T views (B, 4, H)
        weight_hh_t = weight_hh.t().contiguous()  # (H, 4H), so that δa_t W_hh is a plain linear product
        d_out_steps, dh_to_dc_steps, f_steps = d_out.unbind(0), dh_to_dc.unbind(0), act["f"].unbind(0)
        for t in range(T - 1, -1, -1):
            dh = dh + d_out_steps[t]  # (B, H) δh_t
            dc = torch.addcmul(dc, dh, dh_to_dc_steps[t])  # (B, H) δc_t
            carried = {"i": dc, "f": dc, "g": dc, "o": dh}  # o_t acts on h_t directly, the others via c_t
            da_steps[t].mul_(torch.stack([carried[k] for k in GATE_ORDER], dim=1))  # (B, 4, H) δa_t
            dh = _linear(da[t], weight_hh_t)  # (B, H) δh_{t-1} = W_hh^T δa_t
            dc = dc * f_steps[t]  # (B, H) δc_{t-1} = f_t ⊙ δc_t

        da2 = da.view(T * B, 4 * H)  # (T·B, 4H)
        needs = ctx.needs_input_grad
        d_x = _linear(da2, weight_ih.t().contiguous()).view(T, B, x.shape[2]) if needs[0] else None  # (T, B, I)
        d_w_ih = da2.t() @ x.reshape(T * B, x.shape[2]) if needs[3] else None  # (4H, I)
        d_w_hh = None
        if needs[4]:  # Σ_t δa_t^T h_{t-1}, with h_0 for the first step
            d_w_hh = torch.addmm(da[0].t() @ h0, da2[B:].t(), hs[:-1].reshape(-1, H))  # (4H, H)
        d_b = da2.sum(0) if needs[5] or needs[6] else None  # (4H,)
        return d_x, dh, dc, d_w_ih, d_w_hh, d_b if needs[5] else None, d_b if needs[6] else None


def _project(
    x: torch.Tensor, weight_ih: torch.Tensor, bias_ih: torch.Tensor | None, bias_hh: torch.Tensor | None
) -> torch.Tensor:
    """The input half of every gate for all steps in one matrix product: ``(T, B, I) -> (T, B, 4H)``.

    :math:`W_{ih} x_t + b_{ih} + b_{hh}`; both biases are added once here, not at every step.
    """
    T, B, I = x.shape
    x2 = x.reshape(T * B, I)  # (T·B, I)
    bias = bias_ih if bias_hh is None else bias_hh if bias_ih is None else bias_ih + bias_hh  # (4H,) or None
    return _linear(x2, weight_ih, bias).view(T, B, weight_ih.shape[0])  # (T, B, 4H)


def _lstm_direction(
    x: torch.Tensor,
    h0: torch.Tensor,
    c0: torch.Tensor,
    weight_ih: torch.Tensor,
    weight_hh: torch.Tensor,
    bias_ih: torch.Tensor | None,
    bias_hh: torch.Tensor | None,
    *,
    return_gates: bool,
) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor], SequenceGates | None]:
    """One layer in one direction: ``x (T, B, I)``, ``h0, c0 (B, H)`` -> ``hs (T, B, H)``, ``(h_n, c_n)``, gates.

    Three ways to the same numbers: without gradients, :func:`_run_steps` under ``no_grad``; with
    gradients, :class:`_LSTMFunction` (hand-written backward); with gradients and ``return_gates``, or
    under a ``torch.func`` transform (``vmap``, ``jacrev``, ...), :func:`_steps_with_autograd`, plain
    differentiable operations that the transforms see through. ``gates`` is a
    :class:`SequenceGates` of ``(T, B, H)`` tensors when ``return_gates``, else ``None``.
    """
    composed = _transforms_active()
    needs_grad = composed or torch.is_grad_enabled() and any(
        t is not None and t.requires_grad for t in (x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh)
    )
    if composed or return_gates and needs_grad:
        # The textbook loop under autograd, so that the returned gates are differentiable too.
        weights = from_torch_layout(weight_ih, weight_hh, bias_ih, bias_hh)
        hs, cs, g = _steps_with_autograd(x, h0, c0, weights)  # (T, B, H) each
        gates = SequenceGates(g["f_t"], g["i_t"], g["c_tilde"], g["o_t"], cs, hs) if return_gates else None
        return hs, (hs[-1], cs[-1]), gates
    if needs_grad:
        hs, h_n, c_n = _LSTMFunction.apply(x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh)
        return hs, (h_n, c_n), None
    with torch.no_grad():
        stacked = _project(x, weight_ih, bias_ih, bias_hh)  # (T, B, 4H)
        hs, cs = _run_steps(stacked, h0, c0, weight_hh)  # (T, B, H) each
    if not return_gates:
        return hs, (hs[-1], cs[-1]), None
    act = split_gates(stacked, h0.shape[-1])  # (T, B, H) each, activated in place by _run_steps
    return hs, (hs[-1], cs[-1]), SequenceGates(act["f"], act["i"], act["g"], act["o"], cs, hs)


class LSTM(StackedRecurrent):
    r"""An LSTM over a sequence, with ``torch.nn.LSTM``'s interface and the book's equations.

    For each element of the input sequence, each step of each layer computes (book notation,
    ``shared/NOTATION.md``)

    .. math::
        f_t &= \sigma(W_f [h_{t-1}, x_t] + b_f) \\
        i_t &= \sigma(W_i [h_{t-1}, x_t] + b_i) \\
        \tilde c_t &= \tanh(W_c [h_{t-1}, x_t] + b_c) \\
        c_t &= f_t \odot c_{t-1} + i_t \odot \tilde c_t \\
        o_t &= \sigma(W_o [h_{t-1}, x_t] + b_o) \\
        h_t &= o_t \odot \tanh(c_t)

    where :math:`\sigma` is the sigmoid and :math:`\odot` the element-wise product.  In a stack,
    layer :math:`l > 1` reads as its :math:`x_t` the output :math:`h_t` of layer :math:`l - 1`
    (both directions concatenated when bidirectional), with dropout applied to it in training mode.

    Args:
        input_size: ``I``, the number of features of :math:`x_t`.
        hidden_size: ``H``, the size of :math:`h_t` and :math:`c_t`.
        num_layers: ``L``, the number of stacked layers (default 1).
        bias: if ``False``, the layers have no ``bias_ih_l*`` / ``bias_hh_l*``.
        batch_first: if ``True``, batched input and output are ``(B, T, ·)`` instead of ``(T, B, ·)``.
        dropout: the probability of zeroing each element of every layer's output except the last
            layer's, in training mode only (``model.train()``), as ``nn.LSTM``; 0 by default.
        bidirectional: if ``True``, each layer also reads the sequence backwards (``D = 2`` directions).
        proj_size: ``P``; if ``> 0``, the LSTM with projections (LSTMP, Sak et al. 2014): each layer and
            direction also has ``weight_hr_l{k}`` :math:`W_{hr}` ``(P, H)`` and passes on
            :math:`r_t = W_{hr} (o_t \odot \tanh(c_t))` ``(B, P)`` instead of :math:`h_t` (to its next
            step, as :math:`W_{hh} r_{t-1}` with ``weight_hh`` ``(4H, P)``, and to the next layer); the
            output and ``h_n`` are ``P`` wide, ``c_n`` stays ``H`` wide (:mod:`lstm_course.packed`).
        device, dtype: where and in which floating-point type to create the parameters.

    Parameters (PyTorch's names and layout; rows stacked in gate order **i, f, g, o**,
    ``g`` being the candidate :math:`\tilde c_t`; all initialised from
    :math:`\mathcal U(-1/\sqrt H, 1/\sqrt H)` as in ``nn.LSTM``), for each layer ``k`` and,
    when bidirectional, again with the suffix ``_reverse``:
        - ``weight_ih_l{k}`` ``(4H, I)`` for ``k = 0``, ``(4H, D·H)`` above:
          :math:`[W_{ii} | W_{if} | W_{ig} | W_{io}]`
        - ``weight_hh_l{k}`` ``(4H, H)``: :math:`[W_{hi} | W_{hf} | W_{hg} | W_{ho}]`
        - ``bias_ih_l{k}``, ``bias_hh_l{k}`` ``(4H,)``

    The book's matrices are :math:`W_f = [W_{hh}[H{:}2H] \mid W_{ih}[H{:}2H]]` (hidden first) and
    :math:`b_f = b_{ih}[H{:}2H] + b_{hh}[H{:}2H]`, and likewise for the other gates; see
    :meth:`cell_weights` and :mod:`lstm_course.layout`.

    Inputs: ``input, hx=None``
        - ``input``: ``(T, B, I)``, ``(B, T, I)`` with ``batch_first=True``, or unbatched ``(T, I)``.
        - ``hx = (h_0, c_0)``: each ``(L·D, B, H)``, or ``(L·D, H)`` for unbatched input; zeros if
          omitted. Row ``k = layer·D + direction`` (direction 0 forward, 1 reverse).

    Outputs: ``output, (h_n, c_n)``
        - ``output``: the last layer's :math:`h_t` for every step, both directions concatenated
          (forward first): ``(T, B, D·H)`` (``(B, T, D·H)`` with ``batch_first``, ``(T, D·H)`` unbatched).
          The reverse direction's :math:`h_t` at position :math:`t` is the one it computed after
          reading :math:`x_T, \dots, x_t`.
        - ``h_n``, ``c_n``: every layer's and direction's last state, ``(L·D, B, H)`` (``(L·D, H)``
          unbatched), rows ordered as ``h_0``'s. For the reverse direction the last state is the one at
          :math:`t = 1`.

    With ``return_gates=True`` the call returns ``output, (h_n, c_n), gates``. For one layer in one
    direction ``gates`` is a :class:`SequenceGates` of ``f_t, i_t, c_tilde, o_t, c_t, h_t`` for every
    step, each shaped like ``output``; otherwise ``gates`` is a tuple of ``L·D`` such
    :class:`SequenceGates`, one per (layer, direction) in ``h_n``'s row order, each field shaped
    ``(T, B, H)`` (``(B, T, H)`` with ``batch_first``, ``(T, H)`` unbatched) and in time order
    :math:`t = 1..T` for both directions. With gradients enabled the gates are differentiable (this
    path runs the steps under plain autograd, so it is slower).
    With ``check_finite=True`` NaN or inf in ``input`` or ``hx`` raises ``ValueError``.

    ``input`` may also be a :class:`~torch.nn.utils.rnn.PackedSequence` (sorted or not); then
    ``output`` is packed like ``nn.LSTM``'s and ``h_n``, ``c_n`` hold each sequence's state at its own
    last step (:mod:`lstm_course.packed`). Bad arguments raise what ``nn.LSTM`` raises, with messages
    that start with its words and then name the fix: shape errors are :class:`RecurrentInputError`,
    both a ``ValueError`` and a ``RuntimeError``.

    How it computes: each layer and direction is one run of the single-direction LSTM: the input
    half :math:`W_{ih} x_t + b` of every gate for all steps is one matrix product; then each step
    adds :math:`W_{hh} h_{t-1}`, applies the gates' activations and calls
    :func:`~lstm_course.cell.cell_update` and :func:`~lstm_course.cell.hidden_state`.
    Without gradients that loop runs as it is; with gradients it runs inside
    :class:`_LSTMFunction`, whose backward is written out by hand; when a graph of the gradient is
    requested (``create_graph=True``, second derivatives) or the gradients are batched, that backward
    differentiates the same layer run by :func:`~lstm_course.cell.lstm_step` under plain autograd
    instead, and under ``torch.func`` transforms (``vmap``, ``jacrev``) the forward runs that way too.
    One layer in one direction is exactly one such run. ``proj_size`` and packed input run the
    steps of :mod:`lstm_course.packed` under plain autograd.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self._set_arguments("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                            bidirectional, proj_size, dtype)
        self._register_layers(4, {"device": device, "dtype": dtype})  # rows i, f, g, o
        self.reset_parameters()

    # ----- the book's layout -------------------------------------------------------------------

    def cell_weights(self, layer: int = 0, reverse: bool = False) -> CellWeights:
        """The book's per-gate parameters of one layer and direction (default: the first layer, forward).

        Each ``W_*`` is ``(H, H+I)`` on :math:`[h_{t-1}, x_t]` (``I`` is ``D·H`` above the first layer),
        each ``b_*`` ``(H,)``. A differentiable view built with :func:`~lstm_course.layout.from_torch_layout`;
        pass it to :func:`~lstm_course.cell.lstm_step` to run one step by hand.
        """
        params = self._checked_params(layer, reverse, "LSTM")
        if self.proj_size > 0:
            raise ValueError(f"cell_weights() is the book's form of an LSTM without projections; this one has "
                             f"proj_size={self.proj_size}. Read weight_ih_l{layer}, weight_hh_l{layer} and "
                             f"weight_hr_l{layer} directly.")
        return from_torch_layout(*params)

    @property
    def W_f(self) -> torch.Tensor:
        """:math:`W_f`, ``(H, H+I)``."""
        return self.cell_weights().W_f

    @property
    def b_f(self) -> torch.Tensor:
        """:math:`b_f`, ``(H,)``."""
        return self.cell_weights().b_f

    @property
    def W_i(self) -> torch.Tensor:
        """:math:`W_i`, ``(H, H+I)``."""
        return self.cell_weights().W_i

    @property
    def b_i(self) -> torch.Tensor:
        """:math:`b_i`, ``(H,)``."""
        return self.cell_weights().b_i

    @property
    def W_c(self) -> torch.Tensor:
        """:math:`W_c` (the candidate's, PyTorch's ``g`` rows), ``(H, H+I)``."""
        return self.cell_weights().W_c

    @property
    def b_c(self) -> torch.Tensor:
        """:math:`b_c`, ``(H,)``."""
        return self.cell_weights().b_c

    @property
    def W_o(self) -> torch.Tensor:
        """:math:`W_o`, ``(H, H+I)``."""
        return self.cell_weights().W_o

    @property
    def b_o(self) -> torch.Tensor:
        """:math:`b_o`, ``(H,)``."""
        return self.cell_weights().b_o

    # ----- forward ------------------------------------------------------------------------------

    def _check_hx(
        self, hx: object, input: torch.Tensor, check_finite: bool
    ) -> tuple[torch.Tensor, torch.Tensor] | None:
        """Validate ``hx = (h_0, c_0)`` against ``input`` (``(T, B, ·)``-like; packed data passes a stand-in)."""
        if hx is None:
            return None
        if not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise TypeError(f"`hx` must be a tuple (h_0, c_0) of two tensors or None, got {type(hx).__name__}.")
        sizes = {"batch_first": self.batch_first, "num_layers": self.num_layers,
                 "num_directions": self.num_directions, "weight": self.weight_ih_l0}
        h_0 = check_state("h_0", hx[0], input, hidden_size=self.real_hidden_size, torch_name="hidden[0]", **sizes)
        c_0 = check_state("c_0", hx[1], input, hidden_size=self.hidden_size, torch_name="hidden[1]", **sizes)
        if check_finite:
            _checks.check_finite(h_0=h_0, c_0=c_0)
        return h_0, c_0

    def _run_direction(self, return_gates: bool):
        """``run(x_in (T, B, ·), layer, direction, (h0, c0))`` for :func:`~lstm_course._stacking.run_layers`."""
        def run(x_in: torch.Tensor, layer: int, direction: int, state: tuple[torch.Tensor, ...]):
            w_ih, w_hh, b_ih, b_hh = self._params(layer, direction)
            w_hr = self._weight_hr(layer, direction)
            if w_hr is None:
                return _lstm_direction(x_in, state[0], state[1], w_ih, w_hh, b_ih, b_hh, return_gates=return_gates)
            T, B = x_in.shape[:2]
            x2 = x_in.reshape(T * B, x_in.shape[2])  # (T·B, I)
            out, final = lstm_steps(x2, [B] * T, state[0], state[1], w_ih, w_hh, b_ih, b_hh, w_hr)
            return out.view(T, B, w_hr.shape[0]), final, None  # (T, B, P)
        return run

    def _forward_packed(self, input: PackedSequence, hx: object, check_finite: bool):
        """``forward`` for a :class:`~torch.nn.utils.rnn.PackedSequence`: packed output, states per sequence."""
        data, sizes, sorted_indices, unsorted_indices = packed_parts(input)
        data = check_input(data, self.input_size, False, self.weight_ih_l0, "LSTM")  # (N, I)
        if check_finite:
            _checks.check_finite(input=data)
        B, LD = sizes[0], self.num_layers * self.num_directions
        stand_in = data.new_empty(1, B, self.input_size)  # (T, B, I) for the state check
        checked = self._check_hx(hx, stand_in if not self.batch_first else stand_in.transpose(0, 1), check_finite)
        if checked is None:
            h0, c0 = data.new_zeros(LD, B, self.real_hidden_size), data.new_zeros(LD, B, self.hidden_size)
        else:
            h0, c0 = permute_states(checked, sorted_indices)  # into the packed (sorted) order

        def run(x_in: torch.Tensor, sz: list[int], layer: int, direction: int, state: tuple[torch.Tensor, ...]):
            w = self._params(layer, direction)
            return lstm_steps(x_in, sz, state[0], state[1], *w, self._weight_hr(layer, direction),
                              reverse=direction == 1)

        output, finals = run_packed_layers(data, sizes, (h0, c0), run, num_layers=self.num_layers,
                                           num_directions=self.num_directions, dropout=self.dropout,
                                           training=self.training)  # (N, D·P); (L·D, B, P), (L·D, B, H)
        h_n, c_n = permute_states(finals, unsorted_indices)  # back into the caller's order
        return repack(output, input), (h_n, c_n)

    def forward(
        self,
        input: torch.Tensor | PackedSequence,
        hx: tuple[torch.Tensor, torch.Tensor] | None = None,
        *,
        return_gates: bool = False,
        check_finite: bool = False,
    ):
        """Run the sequence; see the class docstring for shapes. Returns ``output, (h_n, c_n)[, gates]``."""
        if isinstance(input, PackedSequence):
            if return_gates:
                raise ValueError("return_gates=True needs a padded tensor input, not a PackedSequence; "
                                 "unpack it with torch.nn.utils.rnn.pad_packed_sequence first.")
            return self._forward_packed(input, hx, check_finite)
        if return_gates and self.proj_size > 0:
            raise ValueError(f"return_gates=True is for an LSTM without projections; this one has "
                             f"proj_size={self.proj_size}.")
        input = check_input(input, self.input_size, self.batch_first, self.weight_ih_l0, "LSTM")
        if check_finite:
            _checks.check_finite(input=input)
        checked = self._check_hx(hx, input, check_finite)
        batched = input.dim() == 3
        x = input if batched else input.unsqueeze(1)  # (T, B, I) or (B, T, I)
        if batched and self.batch_first:
            x = x.transpose(0, 1)  # (T, B, I)
        B, H, P, LD = x.shape[1], self.hidden_size, self.real_hidden_size, self.num_layers * self.num_directions
        if checked is None:
            h0 = x.new_zeros(LD, B, P)  # (L·D, B, P)
            c0 = x.new_zeros(LD, B, H)  # (L·D, B, H)
        else:
            h0 = checked[0].reshape(LD, B, P)  # (L·D, B, P)
            c0 = checked[1].reshape(LD, B, H)  # (L·D, B, H)

        output, (h_n, c_n), gates = run_layers(
            x, (h0, c0), self._run_direction(return_gates), num_layers=self.num_layers,
            num_directions=self.num_directions, dropout=self.dropout, training=self.training,
        )  # (T, B, D·P); (L·D, B, P), (L·D, B, H); one SequenceGates per layer and direction (or None)

        def like_output(t: torch.Tensor) -> torch.Tensor:
            if batched and self.batch_first:
                return t.transpose(0, 1)  # (B, T, ·)
            return t if batched else t.squeeze(1)  # (T, B, ·) or (T, ·)

        output = like_output(output)
        if not batched:
            h_n, c_n = h_n.squeeze(1), c_n.squeeze(1)  # (L·D, P), (L·D, H)
        if not return_gates:
            return output, (h_n, c_n)
        per_run = tuple(SequenceGates(*(like_output(t) for t in g)) for g in gates)
        if self.num_layers == 1 and not self.bidirectional:
            return output, (h_n, c_n), per_run[0]
        return output, (h_n, c_n), per_run


# A whole pickled model holding an LSTM loads under torch.load's weights-only default.
torch.serialization.add_safe_globals([LSTM])
