r"""One GRU time step (Cho et al., 2014, as ``torch.nn.GRU`` computes it), one small function per equation.

Notation as in :mod:`lstm_course.cell`: input :math:`x_t` of size ``I``, hidden state
:math:`h_{t-1}` of size ``H``; a GRU has no cell state. The reset and update gates act on
:math:`[h_{t-1}, x_t]` (hidden first) with ``W_r, W_z (H, H+I)``; the candidate keeps its input
and hidden halves apart, ``W_nx (H, I)`` and ``W_nh (H, H)``, because the reset gate multiplies
only the hidden half. Biases are ``(H,)``. Tensors are unbatched ``(·)`` or batched ``(B, ·)``.

.. math::
    r_t &= \sigma(W_r [h_{t-1}, x_t] + b_r) \\
    z_t &= \sigma(W_z [h_{t-1}, x_t] + b_z) \\
    n_t &= \tanh(W_{nx} x_t + b_{nx} + r_t \odot (W_{nh} h_{t-1} + b_{nh})) \\
    h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}

:math:`z_t` plays the LSTM's forget gate and :math:`1 - z_t` its input gate, coupled; the reset
gate decides how much of :math:`h_{t-1}` the candidate sees. ``torch.nn.GRU`` stacks the rows as
**r, z, n** (:mod:`lstm_course.layout`); it applies :math:`r_t` after the hidden product, as here
(Cho et al. apply it before: :math:`W_{nh}(r_t \odot h_{t-1})`).
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from ._checks import as_float_tensor, check_same_device, check_same_dtype, check_shape
from .cell import _affine, _check_elementwise
from .layout import GRUWeights

__all__ = ["GRUGates", "gru_candidate", "gru_hidden_state", "gru_step", "reset_gate", "update_gate"]


class GRUGates(NamedTuple):
    """The intermediate values of one GRU step, each ``(H,)`` or ``(B, H)``."""

    r_t: torch.Tensor
    z_t: torch.Tensor
    n_t: torch.Tensor


def reset_gate(h_prev: torch.Tensor, x_t: torch.Tensor, W_r: torch.Tensor, b_r: torch.Tensor) -> torch.Tensor:
    r""":math:`r_t = \sigma(W_r [h_{t-1}, x_t] + b_r)`, in (0, 1): how much of :math:`h_{t-1}` the candidate sees.

    Shapes: ``h_prev (…, H)``, ``x_t (…, I)``, ``W_r (H, H+I)``, ``b_r (H,)`` -> ``(…, H)``.
    """
    return torch.sigmoid(_affine(h_prev, x_t, W_r, b_r, "W_r", "b_r"))


def update_gate(h_prev: torch.Tensor, x_t: torch.Tensor, W_z: torch.Tensor, b_z: torch.Tensor) -> torch.Tensor:
    r""":math:`z_t = \sigma(W_z [h_{t-1}, x_t] + b_z)`, in (0, 1): 1 keeps :math:`h_{t-1}`, 0 takes the candidate.

    Shapes: ``h_prev (…, H)``, ``x_t (…, I)``, ``W_z (H, H+I)``, ``b_z (H,)`` -> ``(…, H)``.
    """
    return torch.sigmoid(_affine(h_prev, x_t, W_z, b_z, "W_z", "b_z"))


def gru_candidate(
    h_prev: torch.Tensor,
    x_t: torch.Tensor,
    r_t: torch.Tensor,
    W_nx: torch.Tensor,
    b_nx: torch.Tensor,
    W_nh: torch.Tensor,
    b_nh: torch.Tensor,
) -> torch.Tensor:
    r""":math:`n_t = \tanh(W_{nx} x_t + b_{nx} + r_t \odot (W_{nh} h_{t-1} + b_{nh}))`, in (-1, 1).

    Shapes: ``h_prev (…, H)``, ``x_t (…, I)``, ``r_t (…, H)``, ``W_nx (H, I)``, ``b_nx (H,)``,
    ``W_nh (H, H)``, ``b_nh (H,)`` -> ``(…, H)``.
    """
    tensors = {"h_prev": h_prev, "x_t": x_t, "r_t": r_t, "W_nx": W_nx, "b_nx": b_nx, "W_nh": W_nh, "b_nh": b_nh}
    for name, t in tensors.items():
        as_float_tensor(name, t)
    _check_elementwise(h_prev=h_prev, r_t=r_t)
    H, I = h_prev.shape[-1], x_t.shape[-1]
    where = f" (H = {H} from `h_prev`, I = {I} from `x_t`)"
    for name, shape in (("W_nx", (H, I)), ("b_nx", (H,)), ("W_nh", (H, H)), ("b_nh", (H,))):
        check_shape(name, tensors[name], shape, where)
    if x_t.shape[:-1] != h_prev.shape[:-1]:
        raise ValueError(f"`h_prev` {tuple(h_prev.shape)} and `x_t` {tuple(x_t.shape)} must have the same batch "
                         "dimensions: both unbatched, or both (B, ·) with the same B.")
    check_same_device(**tensors)
    check_same_dtype(**tensors)
    a_x = x_t @ W_nx.T + b_nx  # (…, H) W_nx x_t + b_nx
    a_h = h_prev @ W_nh.T + b_nh  # (…, H) W_nh h_{t-1} + b_nh
    return torch.tanh(a_x + r_t * a_h)  # n_t = tanh(W_nx x_t + b_nx + r_t ⊙ (W_nh h_{t-1} + b_nh))


def gru_hidden_state(z_t: torch.Tensor, h_prev: torch.Tensor, n_t: torch.Tensor) -> torch.Tensor:
    r""":math:`h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}`: keep a share :math:`z_t` of the old state.

    All three arguments share one shape, ``(H,)`` or ``(B, H)``; so does the result.
    """
    _check_elementwise(z_t=z_t, h_prev=h_prev, n_t=n_t)
    return (1 - z_t) * n_t + z_t * h_prev  # h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}


def gru_step(
    x_t: torch.Tensor, h_prev: torch.Tensor, weights: GRUWeights, *, return_gates: bool = False
) -> torch.Tensor | tuple[torch.Tensor, GRUGates]:
    """One GRU time step: the four equations above, composed.

    Shapes: ``x_t (…, I)``, ``h_prev (…, H)`` with ``…`` empty or ``(B,)``; ``weights`` a
    :class:`~lstm_course.layout.GRUWeights`. Returns ``h_t (…, H)``, and with ``return_gates=True``
    also the :class:`GRUGates` of this step.
    """
    if not isinstance(weights, GRUWeights):
        raise TypeError(
            f"`weights` must be a GRUWeights (got {type(weights).__name__}); build one with "
            "GRUWeights(W_r, b_r, W_z, b_z, W_nx, b_nx, W_nh, b_nh) or lstm_course.GRU(...).gru_weights()."
        )
    r_t = reset_gate(h_prev, x_t, weights.W_r, weights.b_r)
    z_t = update_gate(h_prev, x_t, weights.W_z, weights.b_z)
    n_t = gru_candidate(h_prev, x_t, r_t, weights.W_nx, weights.b_nx, weights.W_nh, weights.b_nh)
    h_t = gru_hidden_state(z_t, h_prev, n_t)
    if return_gates:
        return h_t, GRUGates(r_t, z_t, n_t)
    return h_t
