"""The LSTM and GRU cell diagrams for one time step (:func:`draw_cell`, :func:`draw_gru_cell`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from matplotlib.axes import Axes

from ._base import CELL_PARTS, SYMBOLS
from ._diagram import (
    _VALUE_KEYS,
    BACKWARD_SYMBOLS,
    _cell_alt,
    _cell_canvas,
    _cell_frame,
    _Diagram,
    _diagram_scale,
    _parse_highlight,
    _value_size,
    _wire_label,
)


def draw_cell(
    ax: Axes | None = None,
    *,
    highlight: str | Iterable[str] | None = None,
    values: Mapping[str, Any] | None = None,
    title: str | None = None,
    direction: str = "forward",
) -> Axes:
    """The LSTM cell for one time step, with its parts and (optionally) the step's numbers.

    Drawn: the inputs :math:`x_t, h_{t-1}, c_{t-1}`; the concatenation :math:`[h_{t-1}, x_t]`;
    the gates :math:`f_t = \\sigma(W_f[h_{t-1},x_t]+b_f)`, :math:`i_t`, :math:`o_t` (σ blocks) and
    the candidate :math:`\\tilde c_t` (tanh block); the cell path
    :math:`c_t = f_t \\odot c_{t-1} + i_t \\odot \\tilde c_t` (⊙ and + nodes);
    :math:`h_t = o_t \\odot \\tanh(c_t)`; dashed arrows carrying :math:`h_t, c_t` to step t+1.

    ``highlight``: one of :data:`CELL_PARTS` or an iterable of them; those parts are drawn in
    colour, the rest in grey. ``values``: a dict with any of ``x_t, h_prev, c_prev, f_t, i_t,
    c_tilde, c_t, o_t, h_t`` (scalars or small arrays/tensors), written on the wires.

    ``direction="backward"`` draws the same cell with every arrow reversed, for backpropagation: the
    gradients :math:`\\delta h_t = \\partial L/\\partial h_t` and :math:`\\delta c_t` arrive from step t+1
    (dashed) and from the loss, and flow back to :math:`\\delta c_{t-1}, \\delta h_{t-1}, \\delta x_t`;
    along the top, the cell path passes :math:`f_t \\odot \\delta c_t` (the wires are labelled with
    these :math:`\\delta` symbols; ``values`` cannot be combined with it).
    """
    if direction not in ("forward", "backward"):
        raise ValueError(f"`direction` must be 'forward' or 'backward', got {direction!r}.")
    backward = direction == "backward"
    if backward and values:
        raise ValueError("`values` are forward numbers; draw them with direction='forward' (the default).")
    parts = _parse_highlight(highlight)
    ax, values, vals = _cell_canvas(ax, values, _VALUE_KEYS)
    d = _Diagram(ax, _diagram_scale(ax), backward=backward)

    def lab(key: str, sym: str | None = None) -> str:
        """The wire's symbol, with ``= value`` when ``values`` has it (arrays on a second line)."""
        sym = sym or (BACKWARD_SYMBOLS.get(key, SYMBOLS[key]) if backward else SYMBOLS[key])
        return _wire_label(sym, vals, key)

    def vsize(key: str, base: float) -> float:
        return _value_size(vals, key, base)

    _cell_frame(ax, d.scale, "LSTM cell, step $t$", 10.55)  # not a part; always light

    yc, yb, yg, yh = 5.9, 1.6, 3.2, 1.0  # cell path, gate bus, gates, hidden out
    xf, xi, xg, xo, xm = 3.6, 5.6, 7.4, 9.4, 10.8  # gates' x and the h-multiplier's x
    yig, yo = 4.55, 3.95  # the i ⊙ c̃ node; the o_t wire's bend
    xr, xend = 12.3, 14.7  # the frame's right edge; the arrows' ends
    box = bool(vals)
    next_step = r"$\leftarrow$ from step $t{+}1$" if backward else r"$\to$ step $t{+}1$"

    # inputs and concatenation
    d.wire([(-0.6, yb), (1.55, yb)], "inputs")
    d.wire([(2.3, -0.9), (2.3, yb - 0.35)], "inputs")
    d.block((2.3, yb), r"$[h_{t-1}, x_t]$", "inputs", w=1.5, h=0.7, size=12)
    d.wire([(3.05, yb), (xo, yb)], "inputs", arrow=False)
    for x, part in ((xf, "forget"), (xi, "input"), (xg, "candidate"), (xo, "output")):
        d.wire([(x, yb), (x, yg - 0.35)], ("inputs", part))
    d.text((-0.6, yb + 0.12), lab("h_prev"), "inputs", ha="left", va="bottom", size=vsize("h_prev", 13), box=box)
    d.text((2.45, -0.55), lab("x_t"), "inputs", ha="left", va="center", size=vsize("x_t", 13), box=box)

    # gates
    d.block((xf, yg), r"$\sigma$", "forget")
    d.block((xi, yg), r"$\sigma$", "input")
    d.block((xg, yg), r"$\tanh$", "candidate", w=1.0, size=13)
    d.block((xo, yg), r"$\sigma$", "output")

    # the cell path: c_{t-1} -> ⊙ -> + -> c_t
    d.wire([(-0.6, yc), (xf - 0.28, yc)], ("cell", "inputs"))
    d.text((-0.6, yc + 0.12), lab("c_prev"), ("cell", "inputs"), ha="left", va="bottom", size=vsize("c_prev", 13),
           box=box)
    d.node((xf, yc), r"$\odot$", ("forget", "cell"))
    d.wire([(xf + 0.28, yc), (xg - 0.28, yc)], "cell")
    d.node((xg, yc), "$+$", "cell")
    d.wire([(xg + 0.28, yc), (xr, yc)], "cell", arrow=False)
    d.wire([(xr, yc), (xend, yc)], "cell", dashed=True)
    d.text((xr + 0.1, yc + 0.12), lab("c_t"), "cell", ha="left", va="bottom", size=vsize("c_t", 13), box=box)
    d.text((xr + 0.1, yc - 0.15), next_step, "cell", ha="left", va="top", size=10)
    d.text(((xf + xg) / 2, yc + 0.22), r"$f_t \odot \delta c_t$" if backward else r"$f_t \odot c_{t-1}$",
           ("forget", "cell"), va="bottom", size=11)

    # forget gate into ⊙
    d.wire([(xf, yg + 0.35), (xf, yc - 0.28)], "forget")
    d.text((xf - 0.15, 4.55), lab("f_t"), "forget", ha="right", size=vsize("f_t", 13), box=box)

    # input gate and candidate into i ⊙ c̃, then into +
    d.wire([(xi, yg + 0.35), (xi, yig), (xg - 0.28, yig)], "input")
    d.text((xi - 0.15, 4.1), lab("i_t"), "input", ha="right", size=vsize("i_t", 13), box=box)
    d.wire([(xg, yg + 0.35), (xg, yig - 0.28)], "candidate")
    d.text((xg + 0.15, 3.8), lab("c_tilde"), "candidate", ha="left", size=vsize("c_tilde", 13), box=box)
    d.node((xg, yig), r"$\odot$", ("input", "candidate"))
    d.wire([(xg, yig + 0.28), (xg, yc - 0.28)], ("input", "candidate", "cell"))
    d.text((xg + 0.15, 5.2), r"$i_t \odot \tilde{c}_t$", ("input", "candidate"), ha="left", size=11)

    # output: tanh(c_t), o_t, h_t
    d.wire([(xm, yc), (xm, 5.55)], ("output", "hidden"))
    d.block((xm, 5.2), r"$\tanh$", ("output", "hidden"), w=1.0, size=13)
    d.wire([(xm, 4.85), (xm, yg + 0.28)], ("output", "hidden"))
    d.text((xm + 0.15, 4.1), r"$\tanh(c_t)$", ("output", "hidden"), ha="left", size=11)
    d.wire([(xo, yg + 0.35), (xo, yo), (xm - 0.6, yo), (xm - 0.6, yg), (xm - 0.28, yg)], "output")
    d.text((xm - 0.9, yo + 0.22), lab("o_t"), "output", va="bottom", size=vsize("o_t", 13), box=box)
    d.node((xm, yg), r"$\odot$", ("output", "hidden"))
    d.wire([(xm, yg - 0.28), (xm, yh), (xr, yh)], "hidden", arrow=False)
    d.wire([(xr, yh), (xend, yh)], "hidden", dashed=True)
    d.text((xr + 0.1, yh + 0.12), lab("h_t"), "hidden", ha="left", va="bottom", size=vsize("h_t", 13), box=box)
    d.text((xr + 0.1, yh - 0.15), next_step, "hidden", ha="left", va="top", size=10)
    d.wire([(11.6, yh), (11.6, -0.9)], "hidden")
    d.text((11.45, -0.55), BACKWARD_SYMBOLS["h_t"] + " (from the loss)" if backward else SYMBOLS["h_t"] + " (output)",
           "hidden", ha="right", va="center", size=12)

    d.colour(parts)
    if title:
        ax.set_title(title, fontsize=13 * d.scale)
    ax._lstm_parts = d.parts  # type: ignore[attr-defined]
    ax._lstm_direction = direction  # type: ignore[attr-defined]
    if backward:
        alt = "Diagram of one LSTM cell step drawn backward, for backpropagation: every arrow is reversed. " \
              "The gradients delta h_t and delta c_t arrive from step t+1 (dashed) and delta h_t also from the " \
              "loss; they flow back through o_t and tanh, through the gates and the concatenation, to delta " \
              "h_{t-1}, delta x_t and delta c_{t-1}; along the top the cell path passes f_t times delta c_t."
        return _cell_alt(ax, alt, parts, values)
    alt = "Diagram of one LSTM cell step: inputs x_t, h_{t-1} and c_{t-1}; the concatenation [h_{t-1}, x_t] " \
          "feeds the forget, input and output gates (sigmoid) and the candidate (tanh); c_{t-1} flows along the " \
          "top, multiplied by f_t and added to i_t times the candidate to give c_t; h_t = o_t times tanh(c_t); " \
          "dashed arrows carry h_t and c_t to the next step."
    return _cell_alt(ax, alt, parts, values)


#: The parts of the GRU diagram that ``draw_gru_cell(highlight=...)`` accepts. The update gate
#: :math:`z_t` takes the forget gate's red (it keeps the memory), the candidate keeps its orange.
GRU_PARTS: dict[str, str] = {
    "reset": "#8c564b",
    "update": CELL_PARTS["forget"],
    "candidate": CELL_PARTS["candidate"],
    "hidden": CELL_PARTS["hidden"],
    "inputs": CELL_PARTS["inputs"],
}

GRU_SYMBOLS: dict[str, str] = {
    "x_t": r"$x_t$", "h_prev": r"$h_{t-1}$", "r_t": r"$r_t$", "z_t": r"$z_t$", "n_t": r"$n_t$", "h_t": r"$h_t$",
}


def draw_gru_cell(
    ax: Axes | None = None,
    *,
    highlight: str | Iterable[str] | None = None,
    values: Mapping[str, Any] | None = None,
    title: str | None = None,
) -> Axes:
    """The GRU cell for one time step (:mod:`lstm_course.gru`), drawn in :func:`draw_cell`'s style.

    Drawn: :math:`h_{t-1}` along the top (the GRU's only state) and into :math:`[h_{t-1}, x_t]`; the
    reset gate :math:`r_t` and update gate :math:`z_t` (σ blocks); :math:`r_t \\odot (W_{nh} h_{t-1} +
    b_{nh})` into the candidate :math:`n_t` (tanh block), which also reads :math:`x_t`;
    :math:`h_t = (1 - z_t) \\odot n_t + z_t \\odot h_{t-1}` (⊙, ``1−`` and + nodes); a dashed arrow
    carrying :math:`h_t` to step t+1. The wire from :math:`n_t` crosses the one from :math:`z_t`.

    ``highlight``: one of :data:`GRU_PARTS` or an iterable of them. ``values``: any of
    ``x_t, h_prev, r_t, z_t, n_t, h_t`` (scalars or small arrays), written on the wires.
    """
    parts = _parse_highlight(highlight, GRU_PARTS)
    ax, values, vals = _cell_canvas(ax, values, tuple(GRU_SYMBOLS))
    d = _Diagram(ax, _diagram_scale(ax), palette=GRU_PARTS)
    box = bool(vals)

    def lab(key: str) -> str:
        return _wire_label(GRU_SYMBOLS[key], vals, key)

    def vsize(key: str, base: float) -> float:
        return _value_size(vals, key, base)

    _cell_frame(ax, d.scale, "GRU cell, step $t$", 7.9)

    yc, yb, yg, yn = 5.9, 1.6, 3.2, 4.6  # h path, gate bus, gates, the candidate's way up
    xc, xr, xq, xn, xu, xp = 2.3, 3.6, 5.0, 6.6, 8.6, 10.4  # concat, reset, r ⊙, candidate, update, (1-z) ⊙ and +
    xe, xend = 12.3, 14.7

    # h_{t-1} along the top, and down into the concatenation; x_t from below
    d.wire([(-0.6, yc), (xu - 0.28, yc)], ("hidden", "inputs"))
    d.text((-0.6, yc + 0.12), lab("h_prev"), ("hidden", "inputs"), ha="left", va="bottom",
           size=vsize("h_prev", 13), box=box)
    d.wire([(1.4, yc), (1.4, yb), (xc - 0.75, yb)], "inputs")
    d.wire([(xc, -0.9), (xc, yb - 0.35)], "inputs")
    d.text((xc + 0.15, -0.55), lab("x_t"), "inputs", ha="left", va="center", size=vsize("x_t", 13), box=box)
    d.block((xc, yb), r"$[h_{t-1}, x_t]$", "inputs", w=1.5, h=0.7, size=12)
    d.wire([(xc + 0.75, yb), (xu, yb)], "inputs", arrow=False)
    for x, part in ((xr, "reset"), (xn, "candidate"), (xu, "update")):
        d.wire([(x, yb), (x, yg - 0.35)], ("inputs", part))
    d.text((xn + 0.12, 2.2), r"$x_t$ only", ("inputs", "candidate"), ha="left", size=10)

    # gates
    d.block((xr, yg), r"$\sigma$", "reset")
    d.block((xn, yg), r"$\tanh$", "candidate", w=1.0, size=13)
    d.block((xu, yg), r"$\sigma$", "update")

    # the reset gate scales the hidden half of the candidate
    d.wire([(xr + 0.45, yg), (xq - 0.28, yg)], "reset")
    d.text((xr + 0.5, yg - 0.25), lab("r_t"), "reset", ha="left", va="top", size=vsize("r_t", 13), box=box)
    d.wire([(xq, yc), (xq, yg + 0.28)], ("hidden", "reset"))
    d.text((xq - 0.15, 4.35), r"$W_{nh} h_{t-1} + b_{nh}$", ("hidden", "reset"), ha="right", size=10)
    d.node((xq, yg), r"$\odot$", "reset")
    d.wire([(xq + 0.28, yg), (xn - 0.5, yg)], ("reset", "candidate"))

    # the candidate n_t goes up to (1 - z_t) ⊙ n_t
    d.wire([(xn, yg + 0.35), (xn, yn), (xp - 0.28, yn)], "candidate")
    d.text((xn + 0.15, 4.05), lab("n_t"), "candidate", ha="left", size=vsize("n_t", 13), box=box)

    # the update gate: z_t ⊙ h_{t-1} on the top line, 1 - z_t onto the candidate
    d.wire([(xu, yg + 0.35), (xu, yc - 0.28)], "update")
    d.text((xu + 0.15, 3.95), lab("z_t"), "update", ha="left", size=vsize("z_t", 13), box=box)
    d.node((xu, yc), r"$\odot$", ("update", "hidden"))
    d.wire([(xu + 0.45, yg), (xp - 0.45, yg)], "update")
    d.block((xp, yg), r"$1-$", "update", size=13)
    d.wire([(xp, yg + 0.35), (xp, yn - 0.28)], "update")
    d.text((xp + 0.15, 3.95), r"$1 - z_t$", "update", ha="left", size=11)
    d.node((xp, yn), r"$\odot$", ("update", "candidate"))
    d.wire([(xp, yn + 0.28), (xp, yc - 0.28)], ("update", "candidate", "hidden"))
    d.text((xp - 0.15, 5.2), r"$(1-z_t) \odot n_t$", ("update", "candidate"), ha="right", size=11)

    # h_t = z_t ⊙ h_{t-1} + (1 - z_t) ⊙ n_t, to the next step and out
    d.wire([(xu + 0.28, yc), (xp - 0.28, yc)], "hidden")
    d.text(((xu + xp) / 2, yc + 0.22), r"$z_t \odot h_{t-1}$", ("update", "hidden"), va="bottom", size=11)
    d.node((xp, yc), "$+$", "hidden")
    d.wire([(xp + 0.28, yc), (xe, yc)], "hidden", arrow=False)
    d.wire([(xe, yc), (xend, yc)], "hidden", dashed=True)
    d.text((xe + 0.1, yc + 0.12), lab("h_t"), "hidden", ha="left", va="bottom", size=vsize("h_t", 13), box=box)
    d.text((xe + 0.1, yc - 0.15), r"$\to$ step $t{+}1$", "hidden", ha="left", va="top", size=10)
    d.wire([(11.6, yc), (11.6, -0.9)], "hidden")
    d.text((11.45, -0.55), GRU_SYMBOLS["h_t"] + " (output)", "hidden", ha="right", va="center", size=12)

    d.colour(parts)
    if title:
        ax.set_title(title, fontsize=13 * d.scale)
    ax._lstm_parts = d.parts  # type: ignore[attr-defined]
    alt = ("Diagram of one GRU cell step: h_{t-1} runs along the top and into the concatenation [h_{t-1}, x_t], "
           "which feeds the reset gate r_t and the update gate z_t (sigmoid); r_t multiplies the hidden half "
           "W_nh h_{t-1} + b_nh on its way into the candidate n_t (tanh), which also reads x_t; along the top "
           "h_{t-1} is multiplied by z_t and n_t by 1 - z_t, and their sum is h_t; a dashed arrow carries h_t "
           "to the next step. There is no cell state.")
    return _cell_alt(ax, alt, parts, values)
