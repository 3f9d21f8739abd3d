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

__all__ = ["check_input", "check_stack_arguments", "check_state", "param_suffix", "run_layers"]


def param_suffix(layer: int, direction: int) -> str:
    """PyTorch's parameter-name suffix: ``_l0``, ``_l1_reverse``, ..."""
    return f"_l{layer}" + ("_reverse" if direction == 1 else "")


def check_stack_arguments(module: str, num_layers: object, dropout: object, bidirectional: object) -> None:
    """Validate ``num_layers``, ``dropout`` and ``bidirectional`` as ``nn.LSTM`` does, with errors that name the fix.

    ``dropout > 0`` with one layer warns (the dropout then does nothing), as ``nn.LSTM`` does.
    """
    if isinstance(num_layers, bool) or not isinstance(num_layers, int) or num_layers < 1:
        raise ValueError(f"{module}: `num_layers` must be an int >= 1 (the number of stacked layers), "
                         f"got {num_layers!r}.")
    if (isinstance(dropout, bool) or not isinstance(dropout, numbers.Number) or math.isnan(float(dropout))
            or not 0 <= float(dropout) <= 1):
        raise ValueError(f"{module}: `dropout` must be a number in [0, 1] (the probability of zeroing an element "
                         f"between layers), got {dropout!r}.")
    if not isinstance(bidirectional, bool):
        raise TypeError(f"{module}: `bidirectional` must be True or False, got {bidirectional!r}.")
    if float(dropout) > 0 and num_layers == 1:
        warnings.warn(
            f"{module}: dropout={dropout} does nothing with num_layers=1: dropout acts between layers only "
            "(after every layer but the last), as in torch.nn.LSTM. Use num_layers >= 2 or dropout=0.",
            UserWarning, stacklevel=3,
        )


def check_input(input: object, input_size: int, batch_first: bool, weight: torch.Tensor) -> torch.Tensor:
    """``input`` as a float tensor ``(T, B, I)``, ``(B, T, I)`` or ``(T, I)``, on ``weight``'s device and dtype."""
    input = _checks.as_float_tensor("input", input)
    I = input_size
    if input.dim() == 3:
        _checks.check_shape("input", input, (None, None, I))
    elif input.dim() == 2:
        _checks.check_shape("input", input, (None, I))
    else:
        layout = "(B, T, I)" if batch_first else "(T, B, I)"
        raise ValueError(
            f"`input` must be 3-D {layout} or unbatched 2-D (T, I) with I={I}, got shape {tuple(input.shape)}."
        )
    if input.numel() == 0:
        raise ValueError(f"`input` must hold at least one step and one sequence, got shape {tuple(input.shape)}.")
    _checks.check_same_device(input=input, weight_ih_l0=weight)
    _checks.check_same_dtype(input=input, weight_ih_l0=weight)
    return input


def check_state(
    name: str, state: object, input: torch.Tensor, *, batch_first: bool, num_layers: int, num_directions: int,
    hidden_size: int,
) -> torch.Tensor:
    """An initial state ``name`` (``h_0``, ``c_0``) of shape ``(L·D, B, H)``, or ``(L·D, H)`` for unbatched input."""
    state = _checks.as_float_tensor(name, state)
    LD = num_layers * num_directions
    if input.dim() == 3:
        B = input.shape[0] if batch_first else input.shape[1]
        expected: tuple[int, ...] = (LD, B, hidden_size)
    else:
        expected = (LD, hidden_size)
    where = f" (num_layers · directions = {num_layers} · {num_directions} rows)" if LD > 1 else ""
    _checks.check_shape(name, state, expected, where)
    _checks.check_same_device(input=input, **{name: state})
    _checks.check_same_dtype(input=input, **{name: state})
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
