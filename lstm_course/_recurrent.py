r"""What :class:`lstm_course.LSTM`, :class:`lstm_course.GRU` and :class:`lstm_course.VariantLSTM` share.

Construction, initialisation and bookkeeping only, never a step: every parameter is drawn from
:math:`\mathcal U(-1/\sqrt H, 1/\sqrt H)` as ``torch.nn.LSTM`` and ``nn.GRU`` draw theirs, and a
stacked module (:class:`StackedRecurrent`) holds, per layer ``k`` and direction (``_reverse``),
PyTorch's ``weight_ih_l{k}`` ``(G·H, I)`` (``(G·H, D·H)`` above the first layer),
``weight_hh_l{k}`` ``(G·H, H)`` and ``bias_ih_l{k}``, ``bias_hh_l{k}`` ``(G·H,)``, where ``G`` is the
number of row blocks (4 for the LSTM's **i, f, g, o**, 3 for the GRU's **r, z, n**;
:mod:`lstm_course.layout`). How layers and directions run is :mod:`lstm_course._stacking`.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ._stacking import param_suffix

__all__ = ["PARAM_KINDS", "StackedRecurrent", "UniformInit", "check_dtype", "check_sizes"]

#: The four parameters of one (layer, direction), in registration (and ``state_dict``) order.
PARAM_KINDS: tuple[str, str, str, str] = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def check_sizes(input_size: object, hidden_size: object) -> None:
    """``input_size`` (``I``) and ``hidden_size`` (``H``) must be positive ints; the error names the argument."""
    for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"`{name}` must be a positive int, got {value!r}.")


def check_dtype(dtype: torch.dtype | None) -> None:
    """``dtype`` must be ``None`` or a floating-point dtype (parameters are trained by gradient)."""
    if dtype is not None and not dtype.is_floating_point:
        raise TypeError(f"`dtype` must be a floating-point dtype such as torch.float32, got {dtype}.")


class UniformInit(nn.Module):
    """A module whose parameters are all drawn from :math:`\\mathcal U(-1/\\sqrt H, 1/\\sqrt H)`."""

    hidden_size: int

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Draw every parameter from :math:`\\mathcal U(-1/\\sqrt H, 1/\\sqrt H)`, as ``nn.LSTM`` and ``nn.GRU`` do."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(-bound, bound, generator=generator)


class StackedRecurrent(UniformInit):
    """The bookkeeping of a module with ``torch.nn.LSTM``'s / ``nn.GRU``'s stacking arguments and names.

    A subclass sets ``input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional``
    (validated), then calls :meth:`_register_layers` and :meth:`reset_parameters`.
    """

    input_size: int
    num_layers: int
    bias: bool
    batch_first: bool
    dropout: float
    bidirectional: bool

    @property
    def num_directions(self) -> int:
        """``D``: 2 when bidirectional, else 1."""
        return 2 if self.bidirectional else 1

    def _register_layers(self, gates: int, factory: dict[str, object]) -> None:
        """Register every (layer, direction)'s parameters with ``gates`` row blocks of ``H``, in ``PARAM_KINDS`` order.

        ``weight_ih`` ``(G·H, I or D·H)``, ``weight_hh`` ``(G·H, H)``, ``bias_ih``, ``bias_hh`` ``(G·H,)``
        (registered as ``None`` when ``bias=False``).
        """
        H, D = self.hidden_size, self.num_directions
        for layer in range(self.num_layers):
            layer_in = self.input_size if layer == 0 else D * H
            for direction in range(D):
                sfx = param_suffix(layer, direction)
                self.register_parameter("weight_ih" + sfx, nn.Parameter(torch.empty(gates * H, layer_in, **factory)))
                self.register_parameter("weight_hh" + sfx, nn.Parameter(torch.empty(gates * H, H, **factory)))
                for kind in ("bias_ih", "bias_hh"):
                    param = nn.Parameter(torch.empty(gates * H, **factory)) if self.bias else None  # (G·H,)
                    self.register_parameter(kind + sfx, param)

    def _params(self, layer: int, direction: int) -> list[torch.Tensor | None]:
        """``weight_ih, weight_hh, bias_ih, bias_hh`` of one (layer, direction); the biases ``None`` without bias."""
        sfx = param_suffix(layer, direction)
        return [getattr(self, kind + sfx) for kind in PARAM_KINDS]

    def _checked_params(self, layer: object, reverse: bool, what: str) -> list[torch.Tensor | None]:
        """:meth:`_params` of ``layer`` (an int in ``[0, L-1]``) and the direction ``reverse`` names, validated."""
        if isinstance(layer, bool) or not isinstance(layer, int) or not 0 <= layer < self.num_layers:
            raise ValueError(f"`layer` must be an int in [0, {self.num_layers - 1}], got {layer!r}.")
        if reverse and not self.bidirectional:
            raise ValueError(f"`reverse=True` needs a bidirectional {what}; this one has one direction.")
        return self._params(layer, 1 if reverse else 0)

    def flatten_parameters(self) -> None:
        """Does nothing; here so code written for ``torch.nn.LSTM`` / ``nn.GRU`` runs unchanged."""

    def extra_repr(self) -> str:
        """``nn.LSTM``'s / ``nn.GRU``'s: the sizes, then every stacking argument that differs from its default."""
        s = f"{self.input_size}, {self.hidden_size}"
        for name, default in (("num_layers", 1), ("bias", True), ("batch_first", False), ("dropout", 0.0),
                              ("bidirectional", False)):
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)}"
        return s
