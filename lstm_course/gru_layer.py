r"""``GRU``: a sequence module with ``torch.nn.GRU``'s interface, run on the course's GRU equations.

PyTorch's parameter names and layout (rows **r, z, n**, :mod:`lstm_course.layout`), so
``state_dict()``\ s move both ways with ``torch.nn.GRU``; every step computes the equations of
:mod:`lstm_course.gru` under plain autograd (no call into ``nn.GRU``, ``torch.gru`` or a fused
kernel). Layers and directions are composed as for :class:`lstm_course.LSTM`
(:mod:`lstm_course._stacking`).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch.nn.utils.rnn import PackedSequence

from . import _checks
from ._recurrent import StackedRecurrent
from ._stacking import check_input, check_state, run_layers
from .layout import GRUWeights, gru_from_torch_layout, split_gru_gates
from .packed import gru_interpolate, gru_steps, packed_parts, permute_states, repack, run_packed_layers

__all__ = ["GRU", "GRUSequenceGates"]


class GRUSequenceGates(NamedTuple):
    """Every step's values of one layer and direction: ``r_t, z_t, n_t, h_t``, each ``(T, B, H)``-like."""

    r_t: torch.Tensor
    z_t: torch.Tensor
    n_t: torch.Tensor
    h_t: torch.Tensor


def _gru_direction(
    x: torch.Tensor,
    h0: torch.Tensor,
    weight_ih: torch.Tensor,
    weight_hh: torch.Tensor,
    bias_ih: torch.Tensor | None,
    bias_hh: torch.Tensor | None,
    *,
    return_gates: bool,
) -> tuple[torch.Tensor, tuple[torch.Tensor], GRUSequenceGates | None]:
    r"""One layer in one direction: ``x (T, B, I)``, ``h0 (B, H)`` -> ``hs (T, B, H)``, ``(h_n,)``, gates.

    The input half :math:`W_{i\ast} x_t + b_{i\ast}` of all three rows for all steps is one matrix
    product; each step adds the hidden half :math:`W_{h\ast} h_{t-1} + b_{h\ast}` and applies the
    equations of :mod:`lstm_course.gru` (:math:`b_r = b_{ir} + b_{hr}` is summed implicitly).
    """
    T, B, I = x.shape
    H = h0.shape[-1]
    gi = x.reshape(T * B, I) @ weight_ih.t()  # (T·B, 3H) W_ih x_t
    if bias_ih is not None:
        gi = gi + bias_ih
    gi_steps = split_gru_gates(gi.view(T, B, 3 * H), H)  # r, z, n: each (T, B, H)
    steps = {k: v.unbind(0) for k, v in gi_steps.items()}  # unbind, not [t]: O(T) backward
    h = h0  # (B, H)
    hs, rs, zs, ns = [], [], [], []
    for t in range(T):
        gh = h @ weight_hh.t() if bias_hh is None else torch.addmm(bias_hh, h, weight_hh.t())  # (B, 3H)
        ghp = split_gru_gates(gh, H)  # each (B, H)
        r = torch.sigmoid(steps["r"][t] + ghp["r"])  # (B, H) r_t = σ(W_r [h_{t-1}, x_t] + b_r)
        z = torch.sigmoid(steps["z"][t] + ghp["z"])  # (B, H) z_t = σ(W_z [h_{t-1}, x_t] + b_z)
        n = torch.tanh(steps["n"][t] + r * ghp["n"])  # (B, H) n_t = tanh(W_nx x_t + b_nx + r_t ⊙ (W_nh h + b_nh))
        h = gru_interpolate(z, h, n)  # (B, H) h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}, in nn.GRU's rounding
        hs.append(h)
        if return_gates:
            rs.append(r)
            zs.append(z)
            ns.append(n)
    out = torch.stack(hs)  # (T, B, H)
    gates = GRUSequenceGates(torch.stack(rs), torch.stack(zs), torch.stack(ns), out) if return_gates else None
    return out, (h,), gates


class GRU(StackedRecurrent):
    r"""A GRU over a sequence, with ``torch.nn.GRU``'s interface and the book's equations.

    Each step of each layer computes (:mod:`lstm_course.gru`)

    .. math::
        r_t &= \sigma(W_r [h_{t-1}, x_t] + b_r) \\
        z_t &= \sigma(W_z [h_{t-1}, x_t] + b_z) \\
        n_t &= \tanh(W_{nx} x_t + b_{nx} + r_t \odot (W_{nh} h_{t-1} + b_{nh})) \\
        h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}

    Args: as ``torch.nn.GRU``: ``input_size`` (``I``), ``hidden_size`` (``H``), ``num_layers``
    (``L``), ``bias``, ``batch_first``, ``dropout`` (between layers, training mode only),
    ``bidirectional`` (``D = 2``), ``device``, ``dtype``.

    Parameters (PyTorch's names; rows stacked **r, z, n**; all from
    :math:`\mathcal U(-1/\sqrt H, 1/\sqrt H)`), per layer ``k`` and, when bidirectional, again with
    ``_reverse``: ``weight_ih_l{k}`` ``(3H, I)`` (``(3H, D·H)`` above the first layer),
    ``weight_hh_l{k}`` ``(3H, H)``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` ``(3H,)``. In the book's form
    (:meth:`gru_weights`): :math:`W_r = [W_{hr} \mid W_{ir}]`, :math:`b_r = b_{ir} + b_{hr}`,
    :math:`W_{nx} = W_{in}`, :math:`W_{nh} = W_{hn}`, :math:`b_{nx} = b_{in}`, :math:`b_{nh} = b_{hn}`.

    Inputs ``input, h_0=None``: ``input`` ``(T, B, I)`` (``(B, T, I)`` with ``batch_first``) or
    unbatched ``(T, I)``; ``h_0`` ``(L·D, B, H)`` or ``(L·D, H)``, zeros if omitted.
    Outputs ``output, h_n``: ``output`` ``(T, B, D·H)`` (both directions' :math:`h_t`, forward first;
    ``(B, T, D·H)`` with ``batch_first``, ``(T, D·H)`` unbatched); ``h_n`` ``(L·D, B, H)`` (``(L·D, H)``
    unbatched), row ``layer·D + direction``.

    ``return_gates=True`` also returns a :class:`GRUSequenceGates` (one layer, one direction) or a
    tuple of ``L·D`` of them in ``h_n``'s row order, each field shaped ``(T, B, H)`` like the output.
    ``check_finite=True`` raises ``ValueError`` on NaN or inf in ``input`` or ``h_0``.

    As ``nn.GRU``: ``input`` may be a :class:`~torch.nn.utils.rnn.PackedSequence` (packed output,
    ``h_n`` at each sequence's own last step; :mod:`lstm_course.packed`); ``mode``, ``all_weights``,
    ``_flat_weights`` and ``flatten_parameters()`` exist; bad arguments raise what ``nn.GRU`` raises.
    Every step runs under plain autograd, so second derivatives and ``torch.func`` work directly.
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
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        *,
        proj_size: int | None = None,
    ) -> None:
        super().__init__()
        if proj_size is not None:  # as torch.nn.GRU: the argument itself is refused, even 0
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU: a GRU's h_t is its "
                             "whole state and is not projected; drop `proj_size` (or use lstm_course.LSTM).")
        self._set_arguments("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                            bidirectional, 0, dtype)
        self._register_layers(3, {"device": device, "dtype": dtype})  # rows r, z, n
        self.reset_parameters()

    def gru_weights(self, layer: int = 0, reverse: bool = False) -> GRUWeights:
        """The book's :class:`~lstm_course.layout.GRUWeights` of one layer and direction (a differentiable view)."""
        return gru_from_torch_layout(*self._checked_params(layer, reverse, "GRU"))

    def _check_hx(self, hx: object, input: torch.Tensor) -> torch.Tensor | None:
        """Validate ``h_0`` against ``input`` (``(T, B, ·)``-like; packed data passes a stand-in)."""
        if hx is None:
            return None
        if isinstance(hx, (tuple, list)):
            raise TypeError("`hx` of a GRU is one tensor h_0 (a GRU has no cell state), not a tuple.")
        return check_state("h_0", hx, input, batch_first=self.batch_first, num_layers=self.num_layers,
                           num_directions=self.num_directions, hidden_size=self.hidden_size,
                           weight=self.weight_ih_l0)

    def _forward_packed(self, input: PackedSequence, hx: object, check_finite: bool):
        """``forward`` for a :class:`~torch.nn.utils.rnn.PackedSequence`: packed output, ``h_n`` per sequence."""
        data, sizes, sorted_indices, unsorted_indices = packed_parts(input)
        data = check_input(data, self.input_size, False, self.weight_ih_l0, "GRU")  # (N, I)
        B, LD = sizes[0], self.num_layers * self.num_directions
        stand_in = data.new_empty(1, B, self.input_size)  # (T, B, I) for the state check
        h_0 = self._check_hx(hx, stand_in.transpose(0, 1) if self.batch_first else stand_in)
        if check_finite:
            _checks.check_finite(input=data, **({} if h_0 is None else {"h_0": h_0}))
        h0 = data.new_zeros(LD, B, self.hidden_size) if h_0 is None else permute_states((h_0,), sorted_indices)[0]

        def run(x_in: torch.Tensor, sz: list[int], layer: int, direction: int, state: tuple[torch.Tensor, ...]):
            return gru_steps(x_in, sz, state[0], *self._params(layer, direction), reverse=direction == 1)

        output, (h_n,) = run_packed_layers(data, sizes, (h0,), run, num_layers=self.num_layers,
                                           num_directions=self.num_directions, dropout=self.dropout,
                                           training=self.training)  # (N, D·H), (L·D, B, H)
        return repack(output, input), permute_states((h_n,), unsorted_indices)[0]

    def forward(
        self, input: torch.Tensor | PackedSequence, hx: torch.Tensor | None = None, *, return_gates: bool = False,
        check_finite: bool = False,
    ):
        """Run the sequence; see the class docstring for shapes. Returns ``output, h_n[, gates]``."""
        if isinstance(input, PackedSequence):
            if return_gates:
                raise ValueError("return_gates=True needs a padded tensor input, not a PackedSequence; "
                                 "unpack it with torch.nn.utils.rnn.pad_packed_sequence first.")
            return self._forward_packed(input, hx, check_finite)
        input = check_input(input, self.input_size, self.batch_first, self.weight_ih_l0, "GRU")
        hx = self._check_hx(hx, input)
        if check_finite:
            _checks.check_finite(input=input, **({} if hx is None else {"h_0": hx}))
        batched = input.dim() == 3
        x = input if batched else input.unsqueeze(1)  # (T, B, I) or (B, T, I)
        if batched and self.batch_first:
            x = x.transpose(0, 1)  # (T, B, I)
        B, H, LD = x.shape[1], self.hidden_size, self.num_layers * self.num_directions
        h0 = x.new_zeros(LD, B, H) if hx is None else hx.reshape(LD, B, H)  # (L·D, B, H)

        def run(x_in: torch.Tensor, layer: int, direction: int, state: tuple[torch.Tensor, ...]):
            return _gru_direction(x_in, state[0], *self._params(layer, direction), return_gates=return_gates)

        output, (h_n,), gates = run_layers(
            x, (h0,), run, num_layers=self.num_layers, num_directions=self.num_directions,
            dropout=self.dropout, training=self.training,
        )  # (T, B, D·H), (L·D, B, H)

        def like_output(t: torch.Tensor) -> torch.Tensor:
            if batched and self.batch_first:
                return t.transpose(0, 1)  # (B, T, ·)
            return t if batched else t.squeeze(1)  # (T, B, ·) or (T, ·)

        output = like_output(output)
        if not batched:
            h_n = h_n.squeeze(1)  # (L·D, H)
        if not return_gates:
            return output, h_n
        per_run = tuple(GRUSequenceGates(*(like_output(t) for t in g)) for g in gates)
        return output, h_n, per_run[0] if LD == 1 else per_run


# A whole pickled model holding a GRU loads under torch.load's weights-only default.
torch.serialization.add_safe_globals([GRU])
