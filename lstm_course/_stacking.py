r"""Layers and directions around one single-direction recurrence, as ``torch.nn.LSTM`` and ``nn.GRU`` stack them.

A recurrent module with ``L = num_layers`` layers and ``D`` directions (``D = 2`` when
bidirectional) runs one single-direction recurrence per (layer, direction), ``L·D`` in all:

- layer 1 reads :math:`x_t`, ``(T, B, I)``; layer :math:`l > 1` reads layer :math:`l-1`'s output,
  ``(T, B, D·H)``, to which dropout is applied in training mode (never after the last layer);
- the forward direction reads :math:`t = 1, \dots, T`; the reverse direction reads the same
  sequence from :math:`t = T` down to 1, and its :math:`h_t` is stored back at position :math:`t`;
- a layer's output concatenates the two directions' :math:`h_t`, forward first: ``(T, B, D·H)``;
- the final states are stacked as ``(L·D, B, H)``, row ``k = layer·D + direction``
  (``direction`` 0 forward, 1 reverse), which is ``nn.LSTM``'s ``h_n`` order.

Parameters are named as PyTorch names them: ``weight_ih_l{layer}`` (+ ``_reverse``), etc.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from . import _checks

__all__ = [
    "RecurrentDtypeError",
    "RecurrentInputError",
    "check_count",
    "check_flag",
    "check_input",
    "check_stack_arguments",
    "check_state",
    "param_suffix",
    "run_layers",
]


def param_suffix(layer: int, direction: int) -> str:
    """PyTorch's parameter-name suffix: ``_l0``, ``_l1_reverse``, ..."""
    return f"_l{layer}" + ("_reverse" if direction == 1 else "")


class RecurrentInputError(ValueError, RuntimeError):
    """A bad shape, size or device for a recurrent module.

    A ``ValueError`` (the course's convention) and a ``RuntimeError`` (what ``torch.nn.LSTM`` raises),
    so that ``except RuntimeError`` written for ``nn.LSTM`` catches it too.
    """


class RecurrentDtypeError(TypeError, ValueError, RuntimeError):
    """An input whose dtype does not match the module's weights (``nn.LSTM`` raises ``ValueError``)."""


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_flag(name: str, value: object) -> None:
    """A bool argument (``bias``, ``batch_first``, ``bidirectional``) must be a bool, as ``nn.LSTM`` checks.

    A string such as ``"False"`` would be truthy and silently mean True; it raises ``TypeError``.
    """
    if not isinstance(value, bool):
        raise TypeError(f"{name} should be of type bool, got: {type(value).__name__} ({value!r}); "
                        f"pass {name}=True or {name}=False.")


def check_count(name: str, value: object, what: str, minimum: int = 1) -> None:
    """A size argument must be an int (``TypeError`` otherwise) and at least ``minimum`` (``ValueError``)."""
    if not _is_int(value):
        raise TypeError(f"{name} should be of type int, got: {type(value).__name__} ({value!r}); "
                        f"`{name}` is {what}, pass an int.")
    if value < minimum:  # type: ignore[operator]
        relation = "greater than zero" if minimum == 1 else f"at least {minimum}"
        raise ValueError(f"{name} must be {relation} (`{name}` is {what}), got {value!r}.")


def check_stack_arguments(module: str, num_layers: object, dropout: object, bidirectional: object) -> None:
    """Validate ``num_layers``, ``dropout`` and ``bidirectional`` as ``nn.LSTM`` does, with errors that name the fix.

    The messages start with ``nn.LSTM``'s own words, so code that matches them still does.
    ``dropout > 0`` with one layer warns (the dropout then does nothing), as ``nn.LSTM`` does.
    """
    check_count("num_layers", num_layers, "the number of stacked layers")
    if (isinstance(dropout, bool) or not isinstance(dropout, numbers.Number) or math.isnan(float(dropout))
            or not 0 <= float(dropout) <= 1):
        raise ValueError(f"{module}: dropout should be a number in range [0, 1] representing the probability of "
                         f"an element being zeroed (between layers), got {dropout!r}.")
    check_flag("bidirectional", bidirectional)
    if float(dropout) > 0 and num_layers == 1:
        warnings.warn(
            f"{module}: dropout={dropout} does nothing with num_layers=1: dropout acts between layers only "
            "(after every layer but the last), as in torch.nn.LSTM. Use num_layers >= 2 or dropout=0.",
            UserWarning, stacklevel=3,
        )


def check_input(
    input: object, input_size: int, batch_first: bool, weight: torch.Tensor, module: str = "LSTM"
) -> torch.Tensor:
    """``input`` as a float tensor ``(T, B, I)``, ``(B, T, I)`` or ``(T, I)``, on ``weight``'s device and dtype.

    ``B = 0`` is allowed (the output is empty, as ``nn.LSTM``'s); ``T = 0`` is not. Shape and device errors
    are :class:`RecurrentInputError`, a dtype that is not ``weight``'s a :class:`RecurrentDtypeError`.
    """
    if not isinstance(input, torch.Tensor):
        return _checks.as_float_tensor("input", input)  # raises the course's TypeError
    I = input_size
    if input.dim() not in (2, 3):
        layout = "(B, T, I)" if batch_first else "(T, B, I)"
        raise RecurrentInputError(
            f"{module}: Expected input to be 2D or 3D, got {input.dim()}D instead: `input` must be 3-D {layout} "
            f"or unbatched 2-D (T, I) with I={I}, got shape {tuple(input.shape)}."
        )
    check_dtype_matches("input", input, weight)
    if input.shape[-1] != I:
        want = f"(*, *, {I})" if input.dim() == 3 else f"(*, {I})"
        raise RecurrentInputError(
            f"`input` must have shape {want} (I = input_size), got {tuple(input.shape)}: "
            f"input.size(-1) must be equal to input_size. Expected {I}, got {input.shape[-1]}."
        )
    steps = input.shape[1] if input.dim() == 3 and batch_first else input.shape[0]
    if steps == 0:
        raise RecurrentInputError(
            f"`input` must hold at least one step, got shape {tuple(input.shape)}: "
            "Expected sequence length to be larger than 0 in RNN."
        )
    check_device_matches("input", input, weight)
    return input


def check_dtype_matches(name: str, value: torch.Tensor, weight: torch.Tensor) -> None:
    """Raise :class:`RecurrentDtypeError` (nn.LSTM's words, then the fix) unless ``value`` has ``weight``'s dtype."""
    if value.dtype == weight.dtype:
        return
    if not value.is_floating_point():
        raise RecurrentDtypeError(
            f"`{name}` has dtype {value.dtype}, but the module needs floating-point numbers "
            f"(RNN {name} dtype ({value.dtype}) does not match weight dtype ({weight.dtype})); "
            f"convert it: {name}.to({weight.dtype})."
        )
    raise RecurrentDtypeError(
        f"RNN {name} dtype ({value.dtype}) does not match weight dtype ({weight.dtype}). "
        f"Convert input: {name}.to({weight.dtype}), or convert model: model.to({value.dtype})"
    )


def check_device_matches(name: str, value: torch.Tensor, other: torch.Tensor, other_name: str = "weight_ih_l0") -> None:
    """Raise :class:`RecurrentInputError` unless ``value`` is on ``other``'s device."""
    if value.device != other.device:
        raise RecurrentInputError(
            f"All tensors must be on one device, got `{name}` on {value.device}, `{other_name}` on "
            f"{other.device}; move them with .to(device). (Expected all tensors to be on the same device.)"
        )


def check_state(
    name: str, state: object, input: torch.Tensor, *, batch_first: bool, num_layers: int, num_directions: int,
    hidden_size: int, weight: torch.Tensor | None = None, torch_name: str = "hidden",
) -> torch.Tensor:
    """An initial state ``name`` (``h_0``, ``c_0``) of shape ``(L·D, B, H)``, or ``(L·D, H)`` for unbatched input.

    ``hidden_size`` is the state's last size (``proj_size`` for an LSTMP's ``h_0``). ``torch_name`` is what
    ``nn.LSTM``'s message calls it (``hidden[0]``, ``hidden[1]``, ``hidden``); the message quotes it.
    """
    if not isinstance(state, torch.Tensor):
        return _checks.as_float_tensor(name, state)  # raises the course's TypeError
    LD = num_layers * num_directions
    if input.dim() == 3:
        B = input.shape[0] if batch_first else input.shape[1]
        expected: tuple[int, ...] = (LD, B, hidden_size)
    else:
        expected = (LD, hidden_size)
    got = tuple(state.shape)
    if got != expected:
        where = f" (num_layers · directions = {num_layers} · {num_directions} rows)" if LD > 1 else ""
        full = (LD, expected[1] if len(expected) == 3 else 1, hidden_size)
        got_full = list(got) if state.dim() == len(expected) else got
        raise RecurrentInputError(
            f"`{name}` must have shape {expected}{where}, got {got}. "
            f"Expected {torch_name} size {full}, got {got_full}; for batched 3-D input, hx should also be 3-D, "
            "for unbatched 2-D input 2-D."
        )
    check_device_matches(name, state, input, "input")
    check_dtype_matches(name, state, input if weight is None else weight)
    return state


Run = Callable[[torch.Tensor, int, int, tuple[torch.Tensor, ...]], tuple[torch.Tensor, tuple[torch.Tensor, ...], Any]]


def _flip_time(extra: Any) -> Any:
    """Reverse the time axis (dim 0) of every tensor in ``extra`` (a tuple/NamedTuple of tensors, or None)."""
    if extra is None:
        return None
    flipped = [t.flip(0) for t in extra]
    return type(extra)(*flipped) if hasattr(extra, "_fields") else type(extra)(flipped)


def run_layers(
    x: torch.Tensor,
    states: Sequence[torch.Tensor],
    run: Run,
    *,
    num_layers: int,
    num_directions: int,
    dropout: float,
    training: bool,
) -> tuple[torch.Tensor, tuple[torch.Tensor, ...], list[Any]]:
    """Run ``run`` for every layer and direction and assemble the outputs (see the module docstring).

    ``x (T, B, I)``; ``states``: the initial states, each ``(L·D, B, H)`` (``h_0`` for a GRU,
    ``h_0, c_0`` for an LSTM). ``run(x_in, layer, direction, state) -> (out, final, extra)`` is one
    single-direction recurrence: ``x_in (T, B, ·)`` already in its reading order, ``state`` a tuple of
    ``(B, H)``, ``out (T, B, H)``, ``final`` a tuple of ``(B, H)``, ``extra`` a tuple of ``(T, …)``
    tensors or ``None``. Returns ``output (T, B, D·H)``, the final states, each ``(L·D, B, H)``, and
    the ``extra`` of every (layer, direction) in time order t = 1..T, listed in the ``h_n`` order.

    One layer and one direction is exactly one call of ``run`` on ``x``, nothing copied around it.
    """
    finals: list[tuple[torch.Tensor, ...]] = []
    extras: list[Any] = []
    layer_input = x  # (T, B, I), then (T, B, D·H)
    for layer in range(num_layers):
        outs = []
        for direction in range(num_directions):
            k = layer * num_directions + direction
            state = tuple(s[k] for s in states)  # each (B, H)
            if direction == 0:
                out, final, extra = run(layer_input, layer, direction, state)  # out (T, B, H)
            else:  # read t = T .. 1, then put every step's values back at its own t
                out, final, extra = run(layer_input.flip(0), layer, direction, state)
                out, extra = out.flip(0), _flip_time(extra)  # (T, B, H)
            outs.append(out)
            finals.append(final)
            extras.append(extra)
        layer_output = outs[0] if num_directions == 1 else torch.cat(outs, dim=-1)  # (T, B, D·H)
        if dropout > 0 and training and layer < num_layers - 1:
            layer_output = nn.functional.dropout(layer_output, p=dropout, training=True)  # between layers only
        layer_input = layer_output
    stacked = tuple(torch.stack([f[j] for f in finals]) for j in range(len(states)))  # each (L·D, B, H)
    return layer_input, stacked, extras
