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

from ._stacking import check_count, check_flag, check_stack_arguments, param_suffix

__all__ = ["PARAM_KINDS", "StackedRecurrent", "UniformInit", "check_dtype", "check_sizes"]

#: The four parameters of one (layer, direction), in registration (and ``state_dict``) order.
PARAM_KINDS: tuple[str, str, str, str] = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def check_sizes(input_size: object, hidden_size: object) -> None:
    """``input_size`` (``I``) and ``hidden_size`` (``H``) must be ints (``TypeError``) above zero (``ValueError``).

    The messages begin with ``nn.LSTM``'s words (``input_size must be greater than zero``, ...).
    """
    check_count("input_size", input_size, "I, the number of features of x_t")
    check_count("hidden_size", hidden_size, "H, the size of the state h_t")


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
                if generator is None or generator.device == p.device:
                    p.uniform_(-bound, bound, generator=generator)
                else:  # e.g. a CPU generator for parameters on a GPU: draw where the generator is, then copy
                    p.copy_(torch.empty(p.shape, dtype=p.dtype, device=generator.device).uniform_(
                        -bound, bound, generator=generator))


class StackedRecurrent(UniformInit):
    """The bookkeeping of a module with ``torch.nn.LSTM``'s / ``nn.GRU``'s stacking arguments and names.

    A subclass calls :meth:`_set_arguments` (validates and stores ``input_size, hidden_size, num_layers,
    bias, batch_first, dropout, bidirectional, proj_size``), then :meth:`_register_layers` and
    :meth:`reset_parameters`. ``mode``, ``all_weights``, ``_flat_weights`` and ``flatten_parameters()``
    are ``nn.LSTM``'s.
    """

    mode: str
    input_size: int
    num_layers: int
    bias: bool
    batch_first: bool
    dropout: float
    bidirectional: bool
    proj_size: int = 0
    _flat_weights_names: list[str]
    _all_weights: list[list[str]]

    def _set_arguments(
        self, mode: str, input_size: object, hidden_size: object, num_layers: object, bias: object,
        batch_first: object, dropout: object, bidirectional: object, proj_size: object, dtype: torch.dtype | None,
    ) -> None:
        """Validate the constructor's arguments as ``nn.LSTM`` / ``nn.GRU`` do (same exception types, and
        messages that begin with PyTorch's words), then store them."""
        module = f"lstm_course.{mode}"
        check_flag("bias", bias)
        check_flag("batch_first", batch_first)
        check_sizes(input_size, hidden_size)
        check_stack_arguments(module, num_layers, dropout, bidirectional)
        check_count("proj_size", proj_size, "the size of the projected h_t, 0 for none", minimum=0)
        if proj_size and proj_size >= hidden_size:  # type: ignore[operator]
            raise ValueError(f"proj_size has to be smaller than hidden_size (it projects h_t of size "
                             f"{hidden_size} down), got proj_size={proj_size}.")
        check_dtype(dtype)
        self.mode = mode
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers  # type: ignore
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)  # type: ignore[arg-type]
        self.bidirectional, self.proj_size = bidirectional, proj_size  # type: ignore[assignment]

    @property
    def num_directions(self) -> int:
        """``D``: 2 when bidirectional, else 1."""
        return 2 if self.bidirectional else 1

    @property
    def real_hidden_size(self) -> int:
        """The size of :math:`h_t` as the next step and layer see it: ``proj_size`` if set, else ``H``."""
        return self.proj_size if self.proj_size > 0 else self.hidden_size

    def _register_layers(self, gates: int, factory: dict[str, object]) -> None:
        """Register every (layer, direction)'s parameters with ``gates`` row blocks of ``H``, as ``nn.LSTM`` does.

        ``weight_ih`` ``(G·H, I or D·P)``, ``weight_hh`` ``(G·H, P)``, ``bias_ih``, ``bias_hh`` ``(G·H,)``
        (registered as ``None`` when ``bias=False``) and, with ``proj_size = P > 0``, ``weight_hr``
        ``(P, H)``; without projections ``P = H``.  Also records ``nn.LSTM``'s ``_flat_weights_names``
        and ``_all_weights`` (the names, per (layer, direction)).
        """
        H, D, P = self.hidden_size, self.num_directions, self.real_hidden_size
        self._flat_weights_names, self._all_weights = [], []
        for layer in range(self.num_layers):
            layer_in = self.input_size if layer == 0 else D * P
            for direction in range(D):
                sfx = param_suffix(layer, direction)
                self.register_parameter("weight_ih" + sfx, nn.Parameter(torch.empty(gates * H, layer_in, **factory)))
                self.register_parameter("weight_hh" + sfx, nn.Parameter(torch.empty(gates * H, P, **factory)))
                for kind in ("bias_ih", "bias_hh"):
                    param = nn.Parameter(torch.empty(gates * H, **factory)) if self.bias else None  # (G·H,)
                    self.register_parameter(kind + sfx, param)
                kinds = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if self.bias else [])
                if self.proj_size > 0:
                    self.register_parameter("weight_hr" + sfx, nn.Parameter(torch.empty(P, H, **factory)))
                    kinds.append("weight_hr")
                self._all_weights.append([kind + sfx for kind in kinds])
                self._flat_weights_names.extend(kind + sfx for kind in kinds)

    @property
    def all_weights(self) -> list[list[nn.Parameter]]:
        """The parameters of every (layer, direction), in ``h_n``'s row order, as ``nn.LSTM.all_weights``."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    @property
    def _flat_weights(self) -> list[nn.Parameter]:
        """Every parameter in ``nn.LSTM``'s flat order (``_flat_weights_names``), as ``nn.LSTM._flat_weights``."""
        return [getattr(self, name) for name in self._flat_weights_names]

    def __setstate__(self, state: dict) -> None:
        """Unpickle; a module pickled before ``mode`` and ``_flat_weights_names`` existed gets them here."""
        super().__setstate__(state)
        if "_flat_weights_names" not in self.__dict__:
            self.mode = type(self).__name__
            suffixes = [param_suffix(layer, d) for layer in range(self.num_layers) for d in range(self.num_directions)]
            self._all_weights = [[kind + sfx for kind in PARAM_KINDS if self._parameters.get(kind + sfx) is not None]
                                 for sfx in suffixes]
            self._flat_weights_names = [name for names in self._all_weights for name in names]

    def _weight_hr(self, layer: int, direction: int) -> torch.Tensor | None:
        """``weight_hr`` ``(P, H)`` of one (layer, direction), or ``None`` without projections."""
        return getattr(self, "weight_hr" + param_suffix(layer, direction)) if self.proj_size > 0 else None

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
        """Does nothing (there is no cuDNN weight buffer); here so code written for ``nn.LSTM`` runs unchanged."""

    def extra_repr(self) -> str:
        """``nn.LSTM``'s / ``nn.GRU``'s: the sizes, then every stacking argument that differs from its default."""
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        for name, default in (("num_layers", 1), ("bias", True), ("batch_first", False), ("dropout", 0.0),
                              ("bidirectional", False)):
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)}"
        return s
