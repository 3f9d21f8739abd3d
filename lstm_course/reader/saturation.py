r"""Gate saturation per unit (Karpathy, Johnson & Fei-Fei 2015, figure 3), and the reader's long-memory units.

For every unit :math:`j` and gate :math:`g \in \{f, i, o\}`, over all held-out characters :math:`t`:

.. math::
    \text{left}_j = \frac{1}{N} \#\{t : g_{t,j} < 0.1\}, \qquad
    \text{right}_j = \frac{1}{N} \#\{t : g_{t,j} > 0.9\}.

A unit on the diagonal :math:`\text{left} + \text{right} = 1` is always saturated, one near the origin never is.
A unit whose forget gate is right-saturated most of the time (:math:`\text{right}_j(f) \ge 0.5` by default)
keeps most of its cell value from step to step: :math:`\prod_k f_{t-k,j}` decays slowly, so it can remember over
many characters. :func:`long_memory_units` lists them; the chapter asks whether the trackers are among them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..viz._base import FACE, INK, SYMBOLS, set_alt

__all__ = ["GATES", "gate_saturation", "long_memory_units", "plot_saturation"]

GATES = ("f_t", "i_t", "o_t")
LOW, HIGH = 0.1, 0.9
_GATE_COLOURS = {"f_t": "#d62728", "i_t": "#2ca02c", "o_t": "#9467bd"}


def gate_saturation(gates: Mapping[str, Any], low: float = LOW, high: float = HIGH) -> dict[str, dict[str, np.ndarray]]:
    """``{gate: {"left": (H,), "right": (H,)}}`` for each of ``f_t, i_t, o_t`` in ``gates`` (each ``(N, H)``)."""
    if not 0 <= low < high <= 1:
        raise ValueError(f"`low` and `high` must satisfy 0 <= low < high <= 1; got {low} and {high}.")
    out = {}
    for g in GATES:
        if g not in gates:
            raise KeyError(f"`gates` has no {g!r}; pass Reader.trace(text) or HeldOut.states (keys {sorted(gates)}).")
        v = gates[g]
        arr = np.asarray(v.detach().cpu().numpy() if hasattr(v, "detach") else v, dtype=float)
        if arr.ndim != 2 or arr.shape[0] == 0:
            raise ValueError(f"`gates[{g!r}]` must be (N, H) with N >= 1; got {arr.shape}.")
        out[g] = {"left": (arr < low).mean(axis=0), "right": (arr > high).mean(axis=0)}
    return out


def long_memory_units(saturation: Mapping[str, Mapping[str, np.ndarray]], share: float = 0.5) -> list[int]:
    """The units whose forget gate is right-saturated (> 0.9) on at least ``share`` of the characters."""
    return [int(j) for j in np.flatnonzero(np.asarray(saturation["f_t"]["right"]) >= share)]


def plot_saturation(saturation: Mapping[str, Mapping[str, np.ndarray]], *, highlight: Mapping[str, int] | None = None,
                    title: str | None = None, fig: Figure | None = None) -> Figure:
    """Karpathy's figure: one panel per gate, one dot per unit at (fraction < 0.1, fraction > 0.9).

    ``highlight`` maps a label to a unit (the trackers, ``{"in_string": 17}``), drawn as ringed, labelled dots.
    Returns the Figure (three Axes); it records its alt text (:func:`lstm_course.viz.figure_alt`).
    """
    highlight = dict(highlight or {})
    if fig is None:
        fig = plt.figure(figsize=(6.8, 2.9))
    if not isinstance(fig, Figure):
        raise TypeError(f"`fig` must be a matplotlib Figure or None; got {type(fig).__name__}.")
    fig.set_facecolor(FACE)
    axes: Sequence[Axes] = fig.subplots(1, 3, sharex=True, sharey=True)
    parts = []
    for ax, g in zip(axes, GATES, strict=True):
        left, right = np.asarray(saturation[g]["left"]), np.asarray(saturation[g]["right"])
        ax.set_facecolor(FACE)
        ax.plot([0, 1], [1, 0], color="#c4c4c4", lw=1, zorder=0)  # always saturated
        ax.scatter(left, right, s=14, color=_GATE_COLOURS[g], alpha=0.6, linewidths=0)
        placed: list[tuple[float, float]] = []
        for j in sorted(highlight.values(), key=lambda u: -right[u]):
            ax.scatter([left[j]], [right[j]], s=60, facecolors="none", edgecolors=INK, linewidths=1.2)
            x = min(left[j] + 0.05, 0.9)
            # the nearest height (0, then ±0.08, ±0.16, …) where the label clears those already placed
            y = next((right[j] + d for d in (0.08 * ((k + 1) // 2) * (-1) ** k for k in range(12))
                      if not any(abs(x - px) < 0.15 and abs(right[j] + d - py) < 0.075 for px, py in placed)),
                     right[j])
            placed.append((x, y))
            ax.text(x, y, f"{j}", fontsize=11, color=INK, va="center", ha="left")
        ax.set_title(SYMBOLS[g], fontsize=13)
        ax.set_xlim(-0.03, 1.03)
        ax.set_ylim(-0.03, 1.03)
        ax.set_xticks([0, 0.5, 1])
        ax.set_yticks([0, 0.5, 1])
        ax.tick_params(labelsize=11)
        ax.set_xlabel("share < 0.1", fontsize=11)
        n_right = int((right >= 0.5).sum())
        parts.append(f"{SYMBOLS[g].strip('$')}: {n_right} of {right.size} units above 0.9 on at least half of the "
                     f"characters, {int((left >= 0.5).sum())} below 0.1 on at least half")
    axes[0].set_ylabel("share > 0.9", fontsize=11)
    if title:
        fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    marked = ", ".join(f"{name} unit {j}" for name, j in highlight.items())
    set_alt(fig, "Gate saturation, one dot per unit: share of characters where the gate is below 0.1 (across) and "
                 "above 0.9 (up), one panel each for the forget, input and output gates. " + "; ".join(parts) + "."
            + (f" Ringed: {marked}." if marked else ""))
    return fig
