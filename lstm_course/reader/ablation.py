r"""Causal evidence: hold one unit's cell value fixed while the reader reads, and measure what the loss does.

Correlation says a unit moves with a property; an intervention says whether the network *uses* it. At every step
the reader runs the course's step, :func:`lstm_course.cell.lstm_step`, then overwrites unit :math:`j`'s cell value
and recomputes the hidden state from it before it reaches the read-out and the next step:

.. math::
    h_t, c_t &= \operatorname{lstm\_step}(x_t, h_{t-1}, c_{t-1}), \qquad
    c_{t,j} \leftarrow v, \qquad h_t = o_t \odot \tanh(c_t) \quad (\text{:func:}`~lstm_course.cell.hidden_state`), \\
    p(x_{t+1} \mid x_{\le t}) &= \operatorname{softmax}(W_y h_t + b_y),

so the clamped value is what the cell carries forward (``v = 0`` zeroes the unit; another ``v`` clamps it, for
example to its mean outside strings). All interventions run side by side as one batch, row 0 the untouched
reader, and :func:`loss_changes` compares the loss (bits) on the characters that close strings with the loss on
every other character.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..cell import hidden_state, lstm_step
from .corpus import encode
from .errors import closing_pairs
from .labels import char_labels
from .model import CharModel

__all__ = ["Intervention", "ablation_summary", "clamped_log_probs", "loss_changes"]


@dataclass(frozen=True)
class Intervention:
    """Clamp ``units`` of :math:`c_t` to ``values`` (one per unit) at every step; ``label`` names it."""

    units: tuple[int, ...]
    values: tuple[float, ...]
    label: str = ""


def _check_model(model: Any) -> CharModel:
    if not isinstance(model, CharModel) or model.kind != "lstm":
        raise TypeError(f"`model` must be a CharLSTM (reader.model of a Reader), got {type(model).__name__}.")
    return model


@torch.no_grad()
def clamped_log_probs(
    model: CharModel, texts: Sequence[str], interventions: Sequence[Intervention]
) -> list[np.ndarray]:
    """:math:`\\log_2 p(x_{t+1} \\mid x_{\\le t})` of every character but the first of each text, for the untouched
    reader (row 0) and each intervention (row ``k+1``): one ``(1 + len(interventions), len(text) - 1)`` array per
    text. Every text is read from a zero state; all texts and interventions run as one batch."""
    model = _check_model(model)
    if isinstance(texts, str) or not texts or any(not isinstance(t, str) or len(t) < 2 for t in texts):
        raise ValueError("`texts` must be a non-empty list of str, each at least 2 characters long.")
    H = model.hidden_size
    for iv in interventions:
        if len(iv.units) != len(iv.values) or any(not 0 <= u < H for u in iv.units):
            raise ValueError(f"Intervention {iv.label or iv}: `units` must be indices in 0..{H - 1} with one value "
                             f"each; got units {iv.units} and values {iv.values}.")
    weights = model.rnn.cell_weights()
    dtype = weights.W_f.dtype
    K = 1 + len(interventions)  # rows per text
    mask = torch.zeros(K, H, dtype=torch.bool)  # which (row, unit) are clamped
    value = torch.zeros(K, H, dtype=dtype)
    for k, iv in enumerate(interventions, start=1):
        for u, v in zip(iv.units, iv.values, strict=True):
            mask[k, u] = True
            value[k, u] = float(v)
    order = sorted(range(len(texts)), key=lambda f: -len(texts[f]))  # longest first: live rows stay a prefix
    lengths = [len(texts[f]) for f in order]
    F_, T = len(texts), lengths[0]
    ids = torch.zeros(F_, T, dtype=torch.long)  # (F, T), padded at the end (padding not scored)
    for row, f in enumerate(order):
        ids[row, : lengths[row]] = encode(texts[f])
    mask, value = mask.repeat(F_, 1), value.repeat(F_, 1)  # (F·K, H): row f·K + k
    xs = torch.nn.functional.one_hot(ids.t(), model.vocab_size).to(dtype)  # (T, F, V); rows repeated per step
    targets = ids[:, 1:].t().repeat_interleave(K, dim=1)  # (T-1, F·K)
    live = torch.tensor([sum(n - 1 > t for n in lengths) for t in range(T - 1)])  # files still being read
    h = torch.zeros(F_ * K, H, dtype=dtype)
    c = torch.zeros(F_ * K, H, dtype=dtype)
    picked = torch.zeros(T - 1, F_ * K, dtype=torch.float64)  # log2 p of each next character
    for t, (x_t, y_t) in enumerate(zip(xs[:-1].unbind(0), targets.unbind(0), strict=True)):
        R = int(live[t]) * K  # rows of the files that have a next character here
        x_t = x_t[: int(live[t])].repeat_interleave(K, dim=0)  # (R, V)
        h, c, gates = lstm_step(x_t, h[:R], c[:R], weights, return_gates=True)  # (R, H) each
        c = torch.where(mask[:R], value[:R], c)  # the intervention: c_{t,j} <- v
        h = hidden_state(gates.o_t, c)  # (R, H) h_t = o_t ⊙ tanh(c_t), from the clamped cell
        logp = torch.log_softmax(model.out(h), dim=-1)  # (R, V); one step at a time keeps memory small
        picked[t, :R] = logp.gather(-1, y_t[:R, None])[:, 0].double() / np.log(2)
    picked_np = picked.numpy()  # (T-1, F·K)
    out: list[np.ndarray] = [np.zeros(0)] * F_
    for row, f in enumerate(order):
        out[f] = picked_np[: lengths[row] - 1, row * K:(row + 1) * K].T.copy()
    return out


def string_closers(text: str) -> np.ndarray:
    """``(len(text) - 1,)`` bool: which predicted characters (``text[1:]``) are the first closing quote of a
    string literal."""
    out = np.zeros(len(text), dtype=bool)
    for _, close in closing_pairs(text)["quote"]:
        out[close] = True
    return out[1:]


def loss_changes(logp: np.ndarray, closers: np.ndarray,
                 groups: Mapping[str, np.ndarray] | None = None) -> list[dict[str, float]]:
    """Per intervention row (``logp`` rows 1…), the change of the mean loss (bits per character) against row 0,
    on the closing quotes (``closers`` true), on every other character, and on each extra group of ``groups``
    (``{name: (N,) bool}``, for example the closing quotes of docstrings):
    ``[{"closers_before", "closers_after", "closers_delta", "others_before", …, "<group>_delta"}]``."""
    logp = np.asarray(logp, dtype=float)
    closers = np.asarray(closers, dtype=bool)
    if logp.ndim != 2 or closers.shape != (logp.shape[1],):
        raise ValueError(f"`logp` must be (B, N) and `closers` (N,); got {logp.shape} and {closers.shape}.")
    named = {"closers": closers, "others": ~closers}
    for name, sel in (groups or {}).items():
        named[name] = np.asarray(sel, dtype=bool)
        if named[name].shape != closers.shape:
            raise ValueError(f"`groups[{name!r}]` must be (N,) = {closers.shape}; got {named[name].shape}.")
    loss = -logp
    rows = []
    for k in range(1, loss.shape[0]):
        row = {}
        for name, sel in named.items():
            if not sel.any():
                continue
            before, after = float(loss[0, sel].mean()), float(loss[k, sel].mean())
            row |= {f"{name}_before": before, f"{name}_after": after, f"{name}_delta": after - before}
        rows.append(row)
    return rows


def ablation_summary(model: CharModel, texts: Sequence[str], unit: int, *, clamp_values: dict[str, Any],
                     n_random: int = 20, seed: int = 0) -> dict[str, Any]:
    """Clamp ``unit`` and, one at a time, ``n_random`` other units (drawn with ``numpy.random.default_rng(seed)``)
    while reading ``texts``; report the change of loss on closing quotes and on the other characters.

    ``clamp_values`` maps a mode name to the value each unit is clamped to, ``(H,)`` (one per unit, for example
    each unit's mean outside strings) or a number for all units (``{"zero": 0.0}``).
    The closing quotes are also split into those of docstrings and of the other strings (groups
    ``docstring_closers`` and ``other_closers`` of :func:`loss_changes`).
    Returns ``{"unit", "random_units", "n_closers", "n_docstring_closers", "n_others", "modes": {mode: {"value"
    (``unit``'s), "unit": {...loss_changes row...}, "random": {"<group>_delta": {"mean", "min", "max"}, ...},
    "random_closers_delta": [one per random unit]}}}``.
    """
    model = _check_model(model)
    H = model.hidden_size
    if not 0 <= int(unit) < H:
        raise ValueError(f"`unit` must be in 0..{H - 1}, got {unit}.")
    values = {}
    for mode, v in clamp_values.items():
        arr = np.broadcast_to(np.asarray(v, dtype=float), (H,)) if np.ndim(v) == 0 else np.asarray(v, dtype=float)
        if arr.shape != (H,):
            raise ValueError(f"`clamp_values[{mode!r}]` must be a number or (H,) = ({H},); got shape {arr.shape}.")
        values[mode] = arr
    rng = np.random.default_rng(seed)
    others = [u for u in range(H) if u != unit]
    random_units = sorted(int(u) for u in rng.choice(others, size=min(n_random, len(others)), replace=False))
    interventions = []
    for mode, arr in values.items():
        interventions += [Intervention((u,), (float(arr[u]),), f"{mode}:{u}") for u in (unit, *random_units)]
    logps = clamped_log_probs(model, list(texts), interventions)
    closers = np.concatenate([string_closers(text) for text in texts])
    docstring = np.concatenate([char_labels(text)["in_docstring"][1:] for text in texts])
    groups = {"docstring_closers": closers & docstring, "other_closers": closers & ~docstring}
    changes = loss_changes(np.concatenate(logps, axis=1), closers, groups)
    n_close = int(closers.sum())
    out: dict[str, Any] = {"unit": int(unit), "random_units": random_units, "n_closers": n_close,
                           "n_docstring_closers": int(groups["docstring_closers"].sum()),
                           "n_others": int(closers.size) - n_close, "modes": {}}
    per_mode = 1 + len(random_units)
    for m, (mode, arr) in enumerate(values.items()):
        block = changes[m * per_mode:(m + 1) * per_mode]
        rand = block[1:]
        out["modes"][mode] = {
            "value": float(arr[unit]),
            "unit": block[0],
            "random": {key: {"mean": float(np.mean([r[key] for r in rand])), "min": float(min(r[key] for r in rand)),
                             "max": float(max(r[key] for r in rand))}
                       for key in block[0] if key.endswith("_delta")},
            "random_closers_delta": [r["closers_delta"] for r in rand],  # in the order of "random_units"
        }
    return out
