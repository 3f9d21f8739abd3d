"""The one place that knows PyTorch's gate order (i, f, g, o).

``torch.nn.LSTM`` stacks the four gates' rows as **i, f, g, o** (``g`` is the
candidate :math:`\\tilde c_t`) in ``weight_ih_l0`` ``(4H, I)``, ``weight_hh_l0``
``(4H, H)``, ``bias_ih_l0`` and ``bias_hh_l0`` ``(4H,)``.  The book writes each gate
as its own matrix :math:`W_\\ast` of shape ``(H, H+I)`` acting on
:math:`[h_{t-1}, x_t]` (hidden first), with one bias :math:`b_\\ast` of shape ``(H,)``:

.. math::
    W_f = [\\,W_{hh}[H{:}2H] \\mid W_{ih}[H{:}2H]\\,], \\qquad
    b_f = b_{ih}[H{:}2H] + b_{hh}[H{:}2H].

Everything else in the library converts through these functions.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

__all__ = ["GATE_ORDER", "CellWeights", "from_torch_layout", "gate_slice", "split_gates", "to_torch_layout"]

#: PyTorch's row order; ``g`` is the candidate ``c_tilde``.
GATE_ORDER: tuple[str, str, str, str] = ("i", "f", "g", "o")


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


def gate_slice(gate: str, hidden_size: int) -> slice:
    """Rows of gate ``gate`` (one of ``'i', 'f', 'g', 'o'``) in a ``(4H, ·)`` stack."""
    if gate not in GATE_ORDER:
        raise ValueError(f"`gate` must be one of {GATE_ORDER}, got {gate!r}.")
    k = GATE_ORDER.index(gate)
    return slice(k * hidden_size, (k + 1) * hidden_size)


def split_gates(stacked, hidden_size: int) -> dict:
    """Split a ``(…, 4H)`` or ``(4H, …)`` array along its 4H axis into ``{'i', 'f', 'g', 'o'}``.

    Works on torch tensors and numpy arrays; the 4H axis is the last one if its
    size is ``4H``, else the first.
    """
    axis_last = stacked.shape[-1] == 4 * hidden_size
    out = {}
    for gate in GATE_ORDER:
        s = gate_slice(gate, hidden_size)
        out[gate] = stacked[..., s] if axis_last else stacked[s]
    return out


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
