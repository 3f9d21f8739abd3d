r"""Two classic LSTM variants, each one step built from the gate functions of :mod:`lstm_course.cell`.

**Peepholes** (Gers & Schmidhuber, 2000): the gates also read the cell state, through one weight
per unit (a diagonal matrix). The forget and input gates read :math:`c_{t-1}`, the output gate
reads the new :math:`c_t`:

.. math::
    f_t &= \sigma(W_f [h_{t-1}, x_t] + p_f \odot c_{t-1} + b_f) \\
    i_t &= \sigma(W_i [h_{t-1}, x_t] + p_i \odot c_{t-1} + b_i) \\
    o_t &= \sigma(W_o [h_{t-1}, x_t] + p_o \odot c_t + b_o)

with :math:`\tilde c_t`, :math:`c_t` and :math:`h_t` as in the LSTM. A peephole gate *is* an
ordinary gate whose input is extended by the cell state:
:math:`W_f [h_{t-1}, x_t] + p_f \odot c_{t-1} = [\,W_f \mid \operatorname{diag}(p_f)\,]\,[h_{t-1}, x_t, c_{t-1}]`,
which is how :func:`peephole_step` calls :func:`~lstm_course.cell.forget_gate` and its siblings.

**Coupled input and forget gates** (the CIFG of Greff et al., 2017): one gate decides both what
to keep and what to write, :math:`i_t = 1 - f_t`, so

.. math::
    c_t = f_t \odot c_{t-1} + (1 - f_t) \odot \tilde c_t,

and the input gate's parameters are gone. A GRU couples its gates the same way (:mod:`lstm_course.gru`).

:class:`VariantLSTM` runs either step over a sequence (for training, e.g. in
:class:`lstm_course.tasks.SequenceClassifier`).
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import torch
from torch import nn

from . import _checks
from ._checks import as_float_tensor
from ._recurrent import UniformInit, check_sizes
from ._stacking import check_input
from .cell import StepGates, candidate, cell_update, forget_gate, hidden_state, input_gate, output_gate

__all__ = ["VARIANTS", "CoupledWeights", "PeepholeWeights", "VariantLSTM", "coupled_step", "peephole_step"]

#: The variants :class:`VariantLSTM` runs.
VARIANTS: tuple[str, str] = ("peephole", "coupled")


class PeepholeWeights(NamedTuple):
    """The LSTM's eight parameters (``W_* (H, H+I)``, ``b_* (H,)``) plus the peephole weights ``p_f, p_i, p_o (H,)``."""

    W_f: torch.Tensor
    b_f: torch.Tensor
    W_i: torch.Tensor
    b_i: torch.Tensor
    W_c: torch.Tensor
    b_c: torch.Tensor
    W_o: torch.Tensor
    b_o: torch.Tensor
    p_f: torch.Tensor
    p_i: torch.Tensor
    p_o: torch.Tensor


class CoupledWeights(NamedTuple):
    """The LSTM's parameters without the input gate's: ``W_f, W_c, W_o (H, H+I)``, ``b_f, b_c, b_o (H,)``."""

    W_f: torch.Tensor
    b_f: torch.Tensor
    W_c: torch.Tensor
    b_c: torch.Tensor
    W_o: torch.Tensor
    b_o: torch.Tensor


def _with_peephole(W: torch.Tensor, p: torch.Tensor, name: str) -> torch.Tensor:
    """``[W | diag(p)]``: ``(H, H+I), (H,) -> (H, H+I+H)``, the gate's weight on :math:`[h_{t-1}, x_t, c]`."""
    p = as_float_tensor(name, p)
    H = W.shape[0]
    _checks.check_shape(name, p, (H,), f" (H = {H} from the rows of its gate's W)")
    return torch.cat([W, torch.diag(p)], dim=1)  # (H, H+I+H)


class _Augmented(NamedTuple):
    """Peephole gates' weights with the diagonal appended: ``(H, H+I+H)``; the rest as in the LSTM."""

    W_f: torch.Tensor
    W_i: torch.Tensor
    W_o: torch.Tensor


def _augment(w: PeepholeWeights) -> _Augmented:
    return _Augmented(_with_peephole(w.W_f, w.p_f, "p_f"), _with_peephole(w.W_i, w.p_i, "p_i"),
                      _with_peephole(w.W_o, w.p_o, "p_o"))


def _peephole(x_t, h_prev, c_prev, w: PeepholeWeights, aug: _Augmented):
    x_c = torch.cat([x_t, c_prev], dim=-1)  # (…, I+H): x_t with c_{t-1} appended
    f_t = forget_gate(h_prev, x_c, aug.W_f, w.b_f)  # f_t = σ(W_f [h_{t-1}, x_t] + p_f ⊙ c_{t-1} + b_f)
    i_t = input_gate(h_prev, x_c, aug.W_i, w.b_i)  # i_t = σ(W_i [h_{t-1}, x_t] + p_i ⊙ c_{t-1} + b_i)
    c_tilde = candidate(h_prev, x_t, w.W_c, w.b_c)
    c_t = cell_update(f_t, c_prev, i_t, c_tilde)
    o_t = output_gate(h_prev, torch.cat([x_t, c_t], dim=-1), aug.W_o, w.b_o)  # reads the new c_t
    h_t = hidden_state(o_t, c_t)
    return h_t, c_t, StepGates(f_t, i_t, c_tilde, o_t)


def _check_state(h_prev: torch.Tensor, c_prev: torch.Tensor) -> None:
    h_prev, c_prev = as_float_tensor("h_prev", h_prev), as_float_tensor("c_prev", c_prev)
    if c_prev.shape != h_prev.shape:
        raise ValueError(f"`c_prev` {tuple(c_prev.shape)} must have the same shape as `h_prev` {tuple(h_prev.shape)}.")


def peephole_step(
    x_t: torch.Tensor, h_prev: torch.Tensor, c_prev: torch.Tensor, weights: PeepholeWeights, *,
    return_gates: bool = False,
) -> tuple[torch.Tensor, torch.Tensor] | tuple[torch.Tensor, torch.Tensor, StepGates]:
    r"""One peephole-LSTM step: :math:`f_t, i_t` also read :math:`c_{t-1}`, :math:`o_t` reads :math:`c_t`.

    The equations are in the module docstring.

    Shapes: ``x_t (…, I)``, ``h_prev, c_prev (…, H)`` with ``…`` empty or ``(B,)``; ``weights`` a
    :class:`PeepholeWeights`. Returns ``(h_t, c_t)``, each ``(…, H)``, and with ``return_gates=True``
    also the step's :class:`~lstm_course.cell.StepGates`.
    """
    if not isinstance(weights, PeepholeWeights):
        raise TypeError(f"`weights` must be a PeepholeWeights (got {type(weights).__name__}): the LSTM's "
                        "W_f, b_f, W_i, b_i, W_c, b_c, W_o, b_o and the peephole weights p_f, p_i, p_o.")
    _check_state(h_prev, c_prev)
    h_t, c_t, gates = _peephole(x_t, h_prev, c_prev, weights, _augment(weights))
    return (h_t, c_t, gates) if return_gates else (h_t, c_t)


def coupled_step(
    x_t: torch.Tensor, h_prev: torch.Tensor, c_prev: torch.Tensor, weights: CoupledWeights, *,
    return_gates: bool = False,
) -> tuple[torch.Tensor, torch.Tensor] | tuple[torch.Tensor, torch.Tensor, StepGates]:
    r"""One step with coupled input and forget gates, :math:`i_t = 1 - f_t`.

    :math:`c_t = f_t \odot c_{t-1} + (1 - f_t) \odot \tilde c_t`; the other equations are the LSTM's.

    Shapes as :func:`peephole_step`; ``weights`` a :class:`CoupledWeights`. The returned gates'
    ``i_t`` is :math:`1 - f_t`.
    """
    if not isinstance(weights, CoupledWeights):
        raise TypeError(f"`weights` must be a CoupledWeights (got {type(weights).__name__}): "
                        "W_f, b_f, W_c, b_c, W_o, b_o (no input gate: i_t = 1 - f_t).")
    _check_state(h_prev, c_prev)
    f_t = forget_gate(h_prev, x_t, weights.W_f, weights.b_f)
    i_t = 1 - f_t  # i_t = 1 - f_t: what is forgotten is what is written
    c_tilde = candidate(h_prev, x_t, weights.W_c, weights.b_c)
    c_t = cell_update(f_t, c_prev, i_t, c_tilde)
    o_t = output_gate(h_prev, x_t, weights.W_o, weights.b_o)
    h_t = hidden_state(o_t, c_t)
    return (h_t, c_t, StepGates(f_t, i_t, c_tilde, o_t)) if return_gates else (h_t, c_t)


class VariantLSTM(UniformInit):
    r"""One LSTM layer of a variant (``"peephole"`` or ``"coupled"``) over a sequence, under plain autograd.

    Parameters in the book's form (``W_* (H, H+I)`` on :math:`[h_{t-1}, x_t]`, ``b_* (H,)``; peephole
    weights ``p_f, p_i, p_o (H,)``), all drawn from :math:`\mathcal U(-1/\sqrt H, 1/\sqrt H)` like
    ``nn.LSTM``'s. Counts: peephole :math:`4(H(H+I) + H) + 3H`, coupled :math:`3(H(H+I) + H)`.

    ``input (T, B, I)`` (or unbatched ``(T, I)``), ``hx = (h_0, c_0)`` each ``(1, B, H)`` (``(1, H)``)
    or ``None`` for zeros. Returns ``output (T, B, H)`` and ``(h_n, c_n)``, each ``(1, B, H)``, as a
    one-layer ``nn.LSTM`` (``batch_first=False``) does.
    """

    def __init__(
        self, input_size: int, hidden_size: int, variant: Literal["peephole", "coupled"], *,
        device: torch.device | str | None = None, dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"`variant` must be one of {VARIANTS}, got {variant!r}.")
        check_sizes(input_size, hidden_size)
        self.input_size, self.hidden_size, self.variant = input_size, hidden_size, variant
        H, I = hidden_size, input_size
        factory = {"device": device, "dtype": dtype}
        fields = PeepholeWeights._fields if variant == "peephole" else CoupledWeights._fields
        for name in fields:
            shape = (H, H + I) if name.startswith("W_") else (H,)
            self.register_parameter(name, nn.Parameter(torch.empty(shape, **factory)))
        self.reset_parameters()

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, variant={self.variant!r}"

    def weights(self) -> PeepholeWeights | CoupledWeights:
        """The parameters as the step function's weights (the same tensors)."""
        cls = PeepholeWeights if self.variant == "peephole" else CoupledWeights
        return cls(*(getattr(self, name) for name in cls._fields))

    def forward(self, input: torch.Tensor, hx: tuple[torch.Tensor, torch.Tensor] | None = None):
        """Run the sequence; returns ``output, (h_n, c_n)``."""
        input = check_input(input, self.input_size, False, self.W_f)
        batched = input.dim() == 3
        x = input if batched else input.unsqueeze(1)  # (T, B, I)
        B, H = x.shape[1], self.hidden_size
        if hx is None:
            h, c = x.new_zeros(B, H), x.new_zeros(B, H)  # (B, H) each
        else:
            want = (1, B, H) if batched else (1, H)
            for name, t in zip(("h_0", "c_0"), hx, strict=True):
                _checks.check_shape(name, as_float_tensor(name, t), want)
            h, c = hx[0].reshape(B, H), hx[1].reshape(B, H)  # (B, H) each
        w = self.weights()
        aug = _augment(w) if self.variant == "peephole" else None  # [W | diag(p)] built once, not every step
        hs = []
        for x_t in x.unbind(0):  # unbind, not x[t]: O(T) backward
            if aug is not None:
                h, c, _ = _peephole(x_t, h, c, w, aug)  # (B, H) each
            else:
                h, c = coupled_step(x_t, h, c, w)  # (B, H) each
            hs.append(h)
        output = torch.stack(hs)  # (T, B, H)
        if not batched:
            return output.squeeze(1), (h.reshape(1, H), c.reshape(1, H))
        return output, (h.unsqueeze(0), c.unsqueeze(0))

