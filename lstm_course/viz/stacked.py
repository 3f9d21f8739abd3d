"""A stacked (bidirectional) LSTM unrolled over time, with the shape of every tensor."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from ._base import CELL_PARTS, GREY, INK, _new_axes, set_alt
from ._diagram import _tint


def stacked_shapes(num_layers: int = 2, bidirectional: bool = True, *, T: int = 4, B: int = 3, I: int = 5,
                   H: int = 8) -> dict[str, tuple[int, ...]]:
    """The shape of every tensor of a stacked (bidirectional) :class:`lstm_course.LSTM`, read off a real run.

    Keys: ``input``, ``layer_output`` (every layer's output but the last, the next layer's input),
    ``output``, ``h_0`` (also ``c_0``, ``h_n``, ``c_n``), ``gates`` (one layer and direction's
    ``f_t``), and each first-direction parameter ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``.
    """
    import torch

    from ..layer import LSTM  # here: viz is imported by modules the layer does not need

    with torch.random.fork_rng(devices=[]):  # building the models draws weights: leave the global generator alone
        model = LSTM(I, H, num_layers=num_layers, bidirectional=bidirectional)
        first = LSTM(I, H, num_layers=1, bidirectional=bidirectional)  # layer 1 alone: what layer 2 reads
    with torch.no_grad():
        out, (h_n, c_n), gates = model(torch.zeros(T, B, I), return_gates=True)
        one = gates if isinstance(gates, tuple) and hasattr(gates, "_fields") else gates[0]
        shapes: dict[str, tuple[int, ...]] = {"input": (T, B, I), "output": tuple(out.shape),
                                              "h_0": tuple(h_n.shape), "gates": tuple(one.f_t.shape)}
        if num_layers > 1:
            shapes["layer_output"] = tuple(first(torch.zeros(T, B, I))[0].shape)
    for name, p in model.named_parameters():
        if not name.endswith("_reverse") and not name.startswith("bias_hh"):
            shapes[name] = tuple(p.shape)
    return shapes


def draw_stacked_lstm(
    num_layers: int = 2, bidirectional: bool = True, ax: Axes | None = None, *, T: int = 4, B: int = 3, I: int = 5,
    H: int = 8,
) -> Axes:
    """A stacked (bidirectional) LSTM unrolled over ``T`` steps, with the shape of every tensor.

    One box per layer, direction and step: forward boxes (→) pass :math:`h_t, c_t` to the right,
    reverse boxes (←) to the left. Each column's :math:`x_t` feeds both directions of layer 1; both
    directions' :math:`h_t`, concatenated, feed layer 2 (dropout acts there in training). The shapes
    are read off a real :class:`lstm_course.LSTM` (:func:`stacked_shapes`).
    """
    shapes = stacked_shapes(num_layers, bidirectional, T=T, B=B, I=I, H=H)
    D = 2 if bidirectional else 1
    ax = _new_axes(ax, (10.5, 1.2 + 1.25 * num_layers * D))
    cols = [1.6 + 1.9 * t for t in range(T)]
    row_y = [1.3 + 0.85 * k + 0.6 * (k // D) for k in range(num_layers * D)]
    top = row_y[-1] + 1.1
    ax.set_xlim(-2.3, cols[-1] + 7.9)
    ax.set_ylim(-0.7, top + 0.7)
    ax.set_aspect("equal")
    ax.axis("off")
    fwd, rev = CELL_PARTS["cell"], CELL_PARTS["output"]
    for x in cols:  # the column's data path, behind the boxes
        ax.plot([x, x], [0.25, top - 0.25], color=GREY, linewidth=2, zorder=0)
    for t, x in enumerate(cols, start=1):
        ax.text(x, 0, f"$x_{t}$", ha="center", va="center", fontsize=12)
        ax.text(x, top, f"$y_{t}$", ha="center", va="center", fontsize=12)
    for k, y in enumerate(row_y):
        layer, d = divmod(k, D)
        colour = rev if d else fwd
        for x in cols:
            ax.add_patch(FancyBboxPatch((x - 0.42, y - 0.28), 0.84, 0.56, boxstyle="round,pad=0.02,rounding_size=0.1",
                                        linewidth=1.8, edgecolor=colour, facecolor=_tint(colour), zorder=3))
            ax.text(x, y, r"$\leftarrow$" if d else r"$\rightarrow$", ha="center", va="center", fontsize=12, zorder=4)
        for a, b in zip(cols[:-1], cols[1:], strict=True):
            start, end = ((b - 0.42, y), (a + 0.42, y)) if d else ((a + 0.42, y), (b - 0.42, y))
            ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, linewidth=1.6,
                                         color=colour, zorder=2))
        first, last = (cols[-1], cols[0]) if d else (cols[0], cols[-1])
        side = 1 if d else -1  # where h_0 comes in: the left for forward, the right for reverse
        for a, b, label in (((first + side * 1.2, y), (first + side * 0.42, y), f"$h_0[{k}]$"),
                            ((last - side * 0.42, y), (last - side * 1.2, y), f"$h_n[{k}]$")):
            ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=12, linewidth=1.6, color=colour,
                                         linestyle="--", zorder=2))
            end = a if label.startswith("$h_0") else b
            ax.text(end[0] + 0.05 * np.sign(end[0] - (a[0] + b[0]) / 2), y, label, fontsize=10, va="center",
                    ha="left" if end[0] > (a[0] + b[0]) / 2 else "right")
        if d == 0:
            ax.text(-2.2, y + (0.42 if D == 2 else 0), f"layer {layer + 1}", ha="left", va="center", fontsize=11,
                    color=INK)

    def shape(name: str) -> str:
        return "(" + ", ".join(str(v) for v in shapes[name]) + ")"

    xt = cols[-1] + 2.4
    notes = [(0.0, f"input (T, B, I) = {shape('input')}")]
    if num_layers > 1:
        mid = (row_y[D - 1] + row_y[D]) / 2
        notes.append((mid, f"layer 1 output (T, B, {'2H' if D == 2 else 'H'}) = {shape('layer_output')}" + (
            "\n[→ h_t, ← h_t]; dropout acts here" if D == 2 else "\ndropout acts here")))
    notes.append((top, f"output (T, B, {'2H' if D == 2 else 'H'}) = {shape('output')}"))
    for y, text in notes:
        ax.text(xt, y, text, ha="left", va="center", fontsize=10, color=INK, linespacing=1.4)
    LD = f"{num_layers}·{D}"
    extra = (f"$h_0, c_0, h_n, c_n$: ($L·D$, B, H) = {shape('h_0')}, row k = layer·{D} + direction\n"
             f"weight_ih_l0 {shape('weight_ih_l0')}" + (f", weight_ih_l1 {shape('weight_ih_l1')}" if num_layers > 1
                                                          else "") + f", weight_hh_l0 {shape('weight_hh_l0')}")
    ax.text(-2.2, -0.62, extra, ha="left", va="top", fontsize=9.5, color=INK, linespacing=1.5)
    summary = "; ".join(f"{k} {shape(k)}" for k in ("input", "layer_output", "output", "h_0") if k in shapes)
    set_alt(ax, f"A {num_layers}-layer {'bidirectional ' if D == 2 else ''}LSTM unrolled over {T} steps: "
            f"{'forward boxes pass their state to the right and reverse boxes to the left; ' if D == 2 else ''}"
            f"each step's x_t feeds layer 1 and each layer's h_t feeds the next; {LD} initial states h_0[k]. "
            f"Shapes with B = {B}, I = {I}, H = {H}: {summary}.")
    return ax
