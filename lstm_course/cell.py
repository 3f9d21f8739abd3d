"""One LSTM time step, one small function per equation, in the order the book teaches them.

Notation (``shared/NOTATION.md``): input :math:`x_t` of size ``I``, hidden and cell
states :math:`h_{t-1}, c_{t-1}` of size ``H``.  Every gate weight ``W_*`` is
``(H, H+I)`` and acts on :math:`[h_{t-1}, x_t]` (hidden first); every bias is ``(H,)``.
Tensors are unbatched ``(·)`` or batched ``(B, ·)``, any float dtype, any device.

.. math::
    f_t &= \\sigma(W_f [h_{t-1}, x_t] + b_f) \\\\
    i_t &= \\sigma(W_i [h_{t-1}, x_t] + b_i) \\\\
    \\tilde c_t &= \\tanh(W_c [h_{t-1}, x_t] + b_c) \\\\
    c_t &= f_t \\odot c_{t-1} + i_t \\odot \\tilde c_t \\\\
    o_t &= \\sigma(W_o [h_{t-1}, x_t] + b_o) \\\\
    h_t &= o_t \\odot \\tanh(c_t)
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from ._checks import as_float_tensor, check_finite, check_same_device, check_same_dtype, check_shape
from .layout import CellWeights

__all__ = [
    "StepGates",
    "candidate",
    "cell_update",
    "concat_hx",
    "forget_gate",
    "hidden_state",
    "input_gate",
    "lstm_step",
    "output_gate",
]


class StepGates(NamedTuple):
    """The intermediate values of one step, each ``(H,)`` or ``(B, H)``."""

    f_t: torch.Tensor
    i_t: torch.Tensor
    c_tilde: torch.Tensor
    o_t: torch.Tensor


def concat_hx(h_prev: torch.Tensor, x_t: torch.Tensor) -> torch.Tensor:
    """:math:`[h_{t-1}, x_t]`: hidden first, input second. ``(…, H), (…, I) -> (…, H+I)``."""
    h_prev = as_float_tensor("h_prev", h_prev)
    x_t = as_float_tensor("x_t", x_t)
    if h_prev.dim() not in (1, 2) or x_t.dim() not in (1, 2):
        raise ValueError(
            f"`h_prev` and `x_t` must be 1-D (H,)/(I,) or batched 2-D (B, H)/(B, I); "
            f"got h_prev {tuple(h_prev.shape)} and x_t {tuple(x_t.shape)}."
        )
    if h_prev.dim() != x_t.dim() or h_prev.shape[:-1] != x_t.shape[:-1]:
        raise ValueError(
            f"`h_prev` {tuple(h_prev.shape)} and `x_t` {tuple(x_t.shape)} must have the same batch "
            "dimensions: both unbatched, or both (B, ·) with the same B."
        )
    check_same_device(h_prev=h_prev, x_t=x_t)
    check_same_dtype(h_prev=h_prev, x_t=x_t)
    return torch.cat([h_prev, x_t], dim=-1)


def _affine(
    h_prev: torch.Tensor, x_t: torch.Tensor, W: torch.Tensor, b: torch.Tensor, W_name: str, b_name: str
) -> torch.Tensor:
    """:math:`W [h_{t-1}, x_t] + b` with shape checks. Returns ``(…, H)``."""
    hx = concat_hx(h_prev, x_t)  # (…, H+I)
    W = as_float_tensor(W_name, W)
    b = as_float_tensor(b_name, b)
    H, HI = h_prev.shape[-1], hx.shape[-1]
    where = f" (H = {H} from `h_prev`, I = {HI - H} from `x_t`)"
    check_shape(W_name, W, (H, HI), where)
    check_shape(b_name, b, (H,), where)
    check_same_device(h_prev=h_prev, **{W_name: W, b_name: b})
    check_same_dtype(h_prev=h_prev, **{W_name: W, b_name: b})
    return hx @ W.T + b  # (…, H)


def forget_gate(h_prev: torch.Tensor, x_t: torch.Tensor, W_f: torch.Tensor, b_f: torch.Tensor) -> torch.Tensor:
    """:math:`f_t = \\sigma(W_f [h_{t-1}, x_t] + b_f)`, in (0, 1): 1 keeps, 0 discards.

    Shapes: ``h_prev (…, H)``, ``x_t (…, I)``, ``W_f (H, H+I)``, ``b_f (H,)`` -> ``(…, H)``.
    """
    return torch.sigmoid(_affine(h_prev, x_t, W_f, b_f, "W_f", "b_f"))


def input_gate(h_prev: torch.Tensor, x_t: torch.Tensor, W_i: torch.Tensor, b_i: torch.Tensor) -> torch.Tensor:
    """:math:`i_t = \\sigma(W_i [h_{t-1}, x_t] + b_i)`, in (0, 1): how much of the candidate to write.

    Shapes: ``h_prev (…, H)``, ``x_t (…, I)``, ``W_i (H, H+I)``, ``b_i (H,)`` -> ``(…, H)``.
    """
    return torch.sigmoid(_affine(h_prev, x_t, W_i, b_i, "W_i", "b_i"))


def candidate(h_prev: torch.Tensor, x_t: torch.Tensor, W_c: torch.Tensor, b_c: torch.Tensor) -> torch.Tensor:
    """:math:`\\tilde c_t = \\tanh(W_c [h_{t-1}, x_t] + b_c)`, in (-1, 1): the proposed new content.

    Shapes: ``h_prev (…, H)``, ``x_t (…, I)``, ``W_c (H, H+I)``, ``b_c (H,)`` -> ``(…, H)``.
    """
    return torch.tanh(_affine(h_prev, x_t, W_c, b_c, "W_c", "b_c"))


def _check_elementwise(**tensors: torch.Tensor) -> None:
    """Element-wise equations take float tensors of one shape (no silent broadcasting)."""
    shapes = {name: tuple(as_float_tensor(name, t).shape) for name, t in tensors.items()}
    if len(set(shapes.values())) > 1:
        listing = ", ".join(f"`{n}` {s}" for n, s in shapes.items())
        raise ValueError(f"These must all have one shape, (H,) or (B, H), got {listing}.")


def cell_update(f_t: torch.Tensor, c_prev: torch.Tensor, i_t: torch.Tensor, c_tilde: torch.Tensor) -> torch.Tensor:
    """:math:`c_t = f_t \\odot c_{t-1} + i_t \\odot \\tilde c_t`: keep part of the old memory, add new.

    All four arguments share one shape, ``(H,)`` or ``(B, H)``; so does the result.
    """
    _check_elementwise(f_t=f_t, c_prev=c_prev, i_t=i_t, c_tilde=c_tilde)
    return f_t * c_prev + i_t * c_tilde  # c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t


def output_gate(h_prev: torch.Tensor, x_t: torch.Tensor, W_o: torch.Tensor, b_o: torch.Tensor) -> torch.Tensor:
    """:math:`o_t = \\sigma(W_o [h_{t-1}, x_t] + b_o)`, in (0, 1): how much of the memory to show.

    Shapes: ``h_prev (…, H)``, ``x_t (…, I)``, ``W_o (H, H+I)``, ``b_o (H,)`` -> ``(…, H)``.
    """
    return torch.sigmoid(_affine(h_prev, x_t, W_o, b_o, "W_o", "b_o"))


def hidden_state(o_t: torch.Tensor, c_t: torch.Tensor) -> torch.Tensor:
    """:math:`h_t = o_t \\odot \\tanh(c_t)`: the step's output, in (-1, 1).

    ``o_t`` and ``c_t`` share one shape, ``(H,)`` or ``(B, H)``; so does the result.
    """
    _check_elementwise(o_t=o_t, c_t=c_t)
    return o_t * torch.tanh(c_t)  # h_t = o_t ⊙ tanh(c_t)


def lstm_step(
    x_t: torch.Tensor,
    h_prev: torch.Tensor,
    c_prev: torch.Tensor,
    weights: CellWeights,
    *,
    return_gates: bool = False,
    check_finite_values: bool = False,
) -> tuple[torch.Tensor, torch.Tensor] | tuple[torch.Tensor, torch.Tensor, StepGates]:
    """One time step: the six equations above, composed.

    Shapes: ``x_t (…, I)``, ``h_prev (…, H)``, ``c_prev (…, H)`` with ``…`` empty or ``(B,)``;
    ``weights`` a :class:`~lstm_course.layout.CellWeights`. Returns ``(h_t, c_t)``, each
    ``(…, H)``, and with ``return_gates=True`` also the :class:`StepGates` of this step.
    ``check_finite_values=True`` raises ``ValueError`` on NaN/inf in the inputs.
    """
    if not isinstance(weights, CellWeights):
        raise TypeError(
            f"`weights` must be a CellWeights (got {type(weights).__name__}); build one with "
            "CellWeights(W_f, b_f, W_i, b_i, W_c, b_c, W_o, b_o) or lstm_course.LSTM(...).cell_weights()."
        )
    c_prev = as_float_tensor("c_prev", c_prev)
    h_prev = as_float_tensor("h_prev", h_prev)
    if c_prev.shape != h_prev.shape:
        raise ValueError(f"`c_prev` {tuple(c_prev.shape)} must have the same shape as `h_prev` {tuple(h_prev.shape)}.")
    check_same_device(h_prev=h_prev, c_prev=c_prev)
    check_same_dtype(h_prev=h_prev, c_prev=c_prev)
    if check_finite_values:
        named = {"x_t": x_t, "h_prev": h_prev, "c_prev": c_prev, **weights._asdict()}
        check_finite(**{name: as_float_tensor(name, t) for name, t in named.items()})
    f_t = forget_gate(h_prev, x_t, weights.W_f, weights.b_f)
    i_t = input_gate(h_prev, x_t, weights.W_i, weights.b_i)
    c_tilde = candidate(h_prev, x_t, weights.W_c, weights.b_c)
    c_t = cell_update(f_t, c_prev, i_t, c_tilde)
    o_t = output_gate(h_prev, x_t, weights.W_o, weights.b_o)
    h_t = hidden_state(o_t, c_t)
    if return_gates:
        return h_t, c_t, StepGates(f_t, i_t, c_tilde, o_t)
    return h_t, c_t
