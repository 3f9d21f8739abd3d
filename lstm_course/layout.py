"""The one place that knows PyTorch's gate orders: the LSTM's (i, f, g, o) and the GRU's (r, z, n).

``torch.nn.LSTM`` stacks the four gates' rows as **i, f, g, o** (``g`` is the
candidate :math:`\\tilde c_t`) in ``weight_ih_l0`` ``(4H, I)``, ``weight_hh_l0``
``(4H, H)``, ``bias_ih_l0`` and ``bias_hh_l0`` ``(4H,)``.  The book writes each gate
as its own matrix :math:`W_\\ast` of shape ``(H, H+I)`` acting on
:math:`[h_{t-1}, x_t]` (hidden first), with one bias :math:`b_\\ast` of shape ``(H,)``:

.. math::
    W_f = [\\,W_{hh}[H{:}2H] \\mid W_{ih}[H{:}2H]\\,], \\qquad
    b_f = b_{ih}[H{:}2H] + b_{hh}[H{:}2H].

``torch.nn.GRU`` stacks its rows as **r, z, n** (reset gate :math:`r_t`, update gate :math:`z_t`,
candidate :math:`n_t`) in ``weight_ih_l0`` ``(3H, I)``, ``weight_hh_l0`` ``(3H, H)`` and the biases
``(3H,)``; :class:`GRUWeights` holds the book's form (see :mod:`lstm_course.gru`).

Everything else in the library converts through these functions.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

__all__ = [
    "GATE_ORDER",
    "GRU_GATE_ORDER",
    "CellWeights",
    "GRUWeights",
    "from_torch_layout",
    "gate_slice",
    "gru_from_torch_layout",
    "gru_gate_slice",
    "gru_to_torch_layout",
    "split_gates",
    "split_gru_gates",
    "to_torch_layout",
]

#: PyTorch's LSTM row order; ``g`` is the candidate ``c_tilde``.
GATE_ORDER: tuple[str, str, str, str] = ("i", "f", "g", "o")

#: PyTorch's GRU row order: reset ``r``, update ``z``, candidate ``n``.
GRU_GATE_ORDER: tuple[str, str, str] = ("r", "z", "n")


class CellWeights(NamedTuple):
    """The book's per-gate parameters: each ``W_*`` is ``(H, H+I)``, each ``b_*`` is ``(H,)``."""

    W_f: torch.Tensor
    b_f: torch.Tensor
    W_i: torch.Tensor
    b_i: torch.Tensor
    W_c: torch.Tensor
    b_c: torch.Tensor
    W_o: torch.Tensor
    b_o: torch.Tensor

    @property
    def hidden_size(self) -> int:
        return int(self.W_f.shape[0])

    @property
    def input_size(self) -> int:
        return int(self.W_f.shape[1]) - self.hidden_size


def _slice(order: tuple[str, ...], gate: str, hidden_size: int) -> slice:
    if gate not in order:
        raise ValueError(f"`gate` must be one of {order}, got {gate!r}.")
    k = order.index(gate)
    return slice(k * hidden_size, (k + 1) * hidden_size)


def _split(order: tuple[str, ...], stacked, hidden_size: int) -> dict:
    axis_last = stacked.shape[-1] == len(order) * hidden_size
    out = {}
    for gate in order:
        s = _slice(order, gate, hidden_size)
        out[gate] = stacked[..., s] if axis_last else stacked[s]
    return out


def gate_slice(gate: str, hidden_size: int) -> slice:
    """Rows of gate ``gate`` (one of ``'i', 'f', 'g', 'o'``) in a ``(4H, ·)`` stack."""
    return _slice(GATE_ORDER, gate, hidden_size)


def split_gates(stacked, hidden_size: int) -> dict:
    """Split a ``(…, 4H)`` or ``(4H, …)`` array along its 4H axis into ``{'i', 'f', 'g', 'o'}``.

    Works on torch tensors and numpy arrays; the 4H axis is the last one if its
    size is ``4H``, else the first.
    """
    return _split(GATE_ORDER, stacked, hidden_size)


def gru_gate_slice(gate: str, hidden_size: int) -> slice:
    """Rows of GRU gate ``gate`` (one of ``'r', 'z', 'n'``) in a ``(3H, ·)`` stack."""
    return _slice(GRU_GATE_ORDER, gate, hidden_size)


def split_gru_gates(stacked, hidden_size: int) -> dict:
    """Split a ``(…, 3H)`` or ``(3H, …)`` array along its 3H axis into ``{'r', 'z', 'n'}`` (last axis if it is 3H)."""
    return _split(GRU_GATE_ORDER, stacked, hidden_size)


def from_torch_layout(
    weight_ih: torch.Tensor,
    weight_hh: torch.Tensor,
    bias_ih: torch.Tensor | None = None,
    bias_hh: torch.Tensor | None = None,
) -> CellWeights:
    """Convert ``nn.LSTM``'s stacked parameters to the book's ``CellWeights``.

    Shapes: ``weight_ih (4H, I)``, ``weight_hh (4H, H)``, biases ``(4H,)`` or ``None``.
    The result is differentiable with respect to the inputs.
    """
    H = weight_hh.shape[1]
    if bias_ih is None:
        bias_ih = weight_ih.new_zeros(4 * H)
    if bias_hh is None:
        bias_hh = weight_hh.new_zeros(4 * H)
    W = torch.cat([weight_hh, weight_ih], dim=1)  # (4H, H+I), hidden first
    b = bias_ih + bias_hh  # (4H,)
    Ws, bs = split_gates(W, H), split_gates(b, H)
    return CellWeights(Ws["f"], bs["f"], Ws["i"], bs["i"], Ws["g"], bs["g"], Ws["o"], bs["o"])


def to_torch_layout(weights: CellWeights) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Inverse of :func:`from_torch_layout`: ``(weight_ih, weight_hh, bias_ih, bias_hh)``.

    The summed bias cannot be split back uniquely; it goes to ``bias_ih`` and
    ``bias_hh`` is zero, which gives the same outputs.
    """
    H = weights.hidden_size
    by_gate = {"i": (weights.W_i, weights.b_i), "f": (weights.W_f, weights.b_f),
               "g": (weights.W_c, weights.b_c), "o": (weights.W_o, weights.b_o)}
    W = torch.cat([by_gate[g][0] for g in GATE_ORDER], dim=0)  # (4H, H+I)
    b = torch.cat([by_gate[g][1] for g in GATE_ORDER], dim=0)  # (4H,)
    return W[:, H:], W[:, :H], b, torch.zeros_like(b)


class GRUWeights(NamedTuple):
    r"""The book's GRU parameters (:mod:`lstm_course.gru`).

    ``W_r``, ``W_z`` ``(H, H+I)`` act on :math:`[h_{t-1}, x_t]` (hidden first); the candidate keeps
    its two halves apart, because the reset gate multiplies only the hidden one:
    ``W_nx (H, I)``, ``W_nh (H, H)``. Biases ``b_r, b_z, b_nx, b_nh`` are ``(H,)``.
    """

    W_r: torch.Tensor
    b_r: torch.Tensor
    W_z: torch.Tensor
    b_z: torch.Tensor
    W_nx: torch.Tensor
    b_nx: torch.Tensor
    W_nh: torch.Tensor
    b_nh: torch.Tensor

    @property
    def hidden_size(self) -> int:
        return int(self.W_nh.shape[0])

    @property
    def input_size(self) -> int:
        return int(self.W_nx.shape[1])


def gru_from_torch_layout(
    weight_ih: torch.Tensor,
    weight_hh: torch.Tensor,
    bias_ih: torch.Tensor | None = None,
    bias_hh: torch.Tensor | None = None,
) -> GRUWeights:
    r"""Convert ``nn.GRU``'s stacked parameters (rows r, z, n) to the book's :class:`GRUWeights`.

    Shapes: ``weight_ih (3H, I)``, ``weight_hh (3H, H)``, biases ``(3H,)`` or ``None``.
    :math:`W_r = [W_{hr} \mid W_{ir}]`, :math:`b_r = b_{ir} + b_{hr}` (likewise ``z``);
    :math:`W_{nx} = W_{in}`, :math:`b_{nx} = b_{in}`, :math:`W_{nh} = W_{hn}`, :math:`b_{nh} = b_{hn}`
    (these two biases cannot be summed: :math:`b_{hn}` sits inside the reset product).
    Differentiable with respect to the inputs.
    """
    H = weight_hh.shape[1]
    if bias_ih is None:
        bias_ih = weight_ih.new_zeros(3 * H)
    if bias_hh is None:
        bias_hh = weight_hh.new_zeros(3 * H)
    wi, wh = split_gru_gates(weight_ih, H), split_gru_gates(weight_hh, H)  # each (H, I), (H, H)
    bi, bh = split_gru_gates(bias_ih, H), split_gru_gates(bias_hh, H)  # each (H,)
    return GRUWeights(
        torch.cat([wh["r"], wi["r"]], dim=1), bi["r"] + bh["r"],  # (H, H+I), (H,)
        torch.cat([wh["z"], wi["z"]], dim=1), bi["z"] + bh["z"],  # (H, H+I), (H,)
        wi["n"], bi["n"], wh["n"], bh["n"],  # (H, I), (H,), (H, H), (H,)
    )


def gru_to_torch_layout(weights: GRUWeights) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Inverse of :func:`gru_from_torch_layout`: ``(weight_ih (3H, I), weight_hh (3H, H), bias_ih, bias_hh)``.

    The summed biases ``b_r``, ``b_z`` go to ``bias_ih`` (``bias_hh`` rows r, z are zero), which gives the
    same outputs; ``b_nx`` and ``b_nh`` keep their places.
    """
    H = weights.hidden_size
    zero = torch.zeros_like(weights.b_r)
    ih = {"r": weights.W_r[:, H:], "z": weights.W_z[:, H:], "n": weights.W_nx}
    hh = {"r": weights.W_r[:, :H], "z": weights.W_z[:, :H], "n": weights.W_nh}
    b_ih = {"r": weights.b_r, "z": weights.b_z, "n": weights.b_nx}
    b_hh = {"r": zero, "z": zero, "n": weights.b_nh}
    return tuple(torch.cat([part[g] for g in GRU_GATE_ORDER], dim=0) for part in (ih, hh, b_ih, b_hh))
