"""Figures for the course: the LSTM cell diagram and the plots the chapters show.

Every function takes ``ax=None`` (a new figure is made when it is ``None``), returns the
Axes (or the Figure when it makes several axes), never calls ``plt.show()`` and never
changes ``plt.rcParams`` globally. Text uses the book's symbols (``shared/NOTATION.md``)
through mathtext: :math:`f_t`, :math:`\\tilde{c}_t`, :math:`h_{t-1}`. Figures draw on an
opaque white face so they stay readable on the site's dark theme.

Alt text
--------
Each function stores a short description of what it drew on its Axes and its Figure;
:func:`figure_alt` reads it back (``figure_alt(fig)`` or ``figure_alt(ax)``). Widgets use it
for their images. In a chapter notebook, give a figure alt text on the built site with the
cell's metadata (myst-nb reads it; the text is static, so write it once)::

    {"mystnb": {"image": {"alt": "The LSTM cell with the forget gate highlighted ..."}}}

(in Jupyter: Property Inspector → Cell Metadata; checked in a Jupyter Book 1 build: the ``<img>``
gets that ``alt``). ``figure_alt(ax)`` gives a starting text. One figure per cell: the metadata applies
to every image of the cell. End the cell with ``;`` or assign the return value so that only the
figure is shown, not the ``<Axes …>`` repr. Widget views need nothing more: :mod:`lstm_course.widgets`
writes each view's ``figure_alt`` into its ``<img alt>``.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch
from matplotlib.ticker import MaxNLocator

__all__ = [
    "CELL_PARTS",
    "GRU_PARTS",
    "draw_cell",
    "draw_gru_cell",
    "draw_stacked_lstm",
    "figure_alt",
    "plot_activation",
    "plot_cell_trajectory",
    "plot_gate_heatmaps",
    "plot_gate_values",
    "plot_gradient_norms",
    "plot_learning_curves",
    "plot_spread",
    "set_alt",
    "stacked_shapes",
    "step_ticks",
    "to_numpy",
    "to_png_bytes",
]

FACE = "white"
GREY = "#c4c4c4"
GREY_TEXT = "#a0a0a0"
INK = "#222222"

#: The parts of the cell diagram that ``draw_cell(highlight=...)`` accepts, with their colours.
CELL_PARTS: dict[str, str] = {
    "forget": "#d62728",
    "input": "#2ca02c",
    "candidate": "#ff7f0e",
    "cell": "#1f77b4",
    "output": "#9467bd",
    "hidden": "#17becf",
    "inputs": "#444444",
}

# Symbols used everywhere, one place.
SYMBOLS: dict[str, str] = {
    "x_t": r"$x_t$",
    "h_prev": r"$h_{t-1}$",
    "c_prev": r"$c_{t-1}$",
    "f_t": r"$f_t$",
    "i_t": r"$i_t$",
    "c_tilde": r"$\tilde{c}_t$",
    "c_t": r"$c_t$",
    "o_t": r"$o_t$",
    "h_t": r"$h_t$",
    "f_c_prev": r"$f_t \odot c_{t-1}$",
    "i_c_tilde": r"$i_t \odot \tilde{c}_t$",
    "tanh_c_t": r"$\tanh(c_t)$",
}

GATE_RANGES: dict[str, tuple[float, float]] = {
    "f_t": (0.0, 1.0),
    "i_t": (0.0, 1.0),
    "o_t": (0.0, 1.0),
    "c_tilde": (-1.0, 1.0),
    "h_t": (-1.0, 1.0),
    "tanh_c_t": (-1.0, 1.0),
    "i_c_tilde": (-1.0, 1.0),
}


# --------------------------------------------------------------------------- utilities


def to_numpy(value: Any, name: str = "value") -> np.ndarray:
    """A float numpy array from a torch tensor, numpy array, list or scalar."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"`{name}` must be a number, a numpy array or a torch tensor; got {type(value).__name__}."
        ) from exc
    return arr


def _new_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    if ax is None:
        fig = plt.figure(figsize=figsize)
        ax = fig.add_subplot()
    if not isinstance(ax, Axes):
        raise TypeError(f"`ax` must be a matplotlib Axes or None; got {type(ax).__name__}.")
    ax.figure.set_facecolor(FACE)
    ax.set_facecolor(FACE)
    return ax


def set_alt(target: Axes | Figure, text: str) -> None:
    """Record alt text ``text`` on an Axes (and its Figure) or on a Figure."""
    if isinstance(target, Axes):
        target._lstm_alt = text  # type: ignore[attr-defined]
        fig = target.figure
        parts = [a._lstm_alt for a in fig.axes if getattr(a, "_lstm_alt", None)]
        fig._lstm_alt = " ".join(parts)  # type: ignore[attr-defined]
    elif isinstance(target, Figure):
        target._lstm_alt = text  # type: ignore[attr-defined]
    else:
        raise TypeError(f"`target` must be a matplotlib Axes or Figure; got {type(target).__name__}.")


def figure_alt(target: Axes | Figure) -> str:
    """The alt text recorded by the viz function that drew ``target`` ("" when none)."""
    if isinstance(target, (Axes, Figure)):
        return str(getattr(target, "_lstm_alt", ""))
    raise TypeError(f"`target` must be a matplotlib Axes or Figure; got {type(target).__name__}.")


def to_png_bytes(fig: Figure | Axes, *, dpi: int = 90, close: bool = True, palette: bool = True) -> bytes:
    """The figure as PNG bytes on its opaque face; ``close=True`` also releases it from pyplot.

    ``palette=True`` stores it with at most 256 colours (no dithering): about three times smaller
    for these flat-colour plots, which keeps pages with many widget positions light.
    """
    if isinstance(fig, Axes):
        fig = fig.figure
    if not isinstance(fig, Figure):
        raise TypeError(f"`fig` must be a matplotlib Figure or Axes; got {type(fig).__name__}.")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor=fig.get_facecolor(), bbox_inches="tight")
    if close:
        plt.close(fig)
    if not palette:
        return buf.getvalue()
    from PIL import Image  # matplotlib's own dependency

    buf.seek(0)
    with Image.open(buf) as im:
        small = im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    small.save(out, format="png", optimize=True)
    return out.getvalue()


def _fmt(value: Any) -> str:
    arr = to_numpy(value)
    if arr.ndim == 0:
        return f"{float(arr):.2f}"
    flat = arr.reshape(-1)
    shown = ", ".join(f"{v:.2f}" for v in flat[:3])
    return f"[{shown}{', …' if flat.size > 3 else ''}]"


# --------------------------------------------------------------------------- the cell diagram


class _Diagram:
    """Draws parts of the cell and remembers which part each artist belongs to."""

    def __init__(self, ax: Axes, scale: float = 1.0, backward: bool = False,
                 palette: Mapping[str, str] | None = None) -> None:
        self.ax = ax
        self.scale = scale  # font and line sizes follow the drawing's size, so the layout never overlaps
        self.backward = backward  # every wire drawn in reverse: arrowheads point back towards the inputs
        self.palette = dict(CELL_PARTS if palette is None else palette)  # part -> colour (the GRU has its own)
        self.parts: dict[str, list[Any]] = {p: [] for p in self.palette}
        self.tagged: list[tuple[Any, tuple[str, ...], str]] = []  # (artist, parts, kind)

    def _tag(self, artist: Any, parts: str | tuple[str, ...], kind: str) -> Any:
        parts = (parts,) if isinstance(parts, str) else parts
        for p in parts:
            self.parts[p].append(artist)
        self.tagged.append((artist, parts, kind))
        return artist

    def wire(self, xy: Sequence[tuple[float, float]], parts, *, arrow: bool = True, dashed: bool = False) -> None:
        if self.backward:
            xy = list(reversed(xy))  # the arrowhead lands where the forward wire starts
        for k, (a, b) in enumerate(zip(xy[:-1], xy[1:], strict=True)):
            last = k == len(xy) - 2
            patch = FancyArrowPatch(
                a, b, arrowstyle="-|>" if (arrow and last) else "-", mutation_scale=14 * self.scale,
                linewidth=2.0 * self.scale, linestyle="--" if dashed else "-", shrinkA=0, shrinkB=0, zorder=1,
                capstyle="round", joinstyle="round",
            )
            self.ax.add_patch(patch)
            self._tag(patch, parts, "line")

    def block(self, xy: tuple[float, float], text: str, parts, *, w: float = 0.9, h: float = 0.7, size=15) -> None:
        x, y = xy
        box = FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.12",
                             linewidth=2.0 * self.scale, zorder=3)
        self.ax.add_patch(box)
        self._tag(box, parts, "box")
        self.text(xy, text, parts, size=size, zorder=4)

    def node(self, xy: tuple[float, float], text: str, parts, *, r: float = 0.28) -> None:
        circ = Circle(xy, r, linewidth=2.0 * self.scale, zorder=3)
        self.ax.add_patch(circ)
        self._tag(circ, parts, "box")
        self.text(xy, text, parts, size=15, zorder=4)

    def text(self, xy, text: str, parts, *, size=13, ha="center", va="center", zorder=5, box=False) -> None:
        kw: dict[str, Any] = {}
        if box:
            kw["bbox"] = {"boxstyle": "round,pad=0.15", "facecolor": FACE, "edgecolor": "none", "alpha": 0.9}
        t = self.ax.text(*xy, text, fontsize=size * self.scale, ha=ha, va=va, zorder=zorder, **kw)
        self._tag(t, parts, "text")

    def colour(self, highlight: set[str] | None) -> None:
        for artist, parts, kind in self.tagged:
            on = [p for p in self.palette if p in parts and (highlight is None or p in highlight)]
            if on:
                col, text_col, fill = self.palette[on[0]], INK, _tint(self.palette[on[0]])
            else:
                col, text_col, fill = GREY, GREY_TEXT, "#f4f4f4"
            if kind == "line":
                artist.set_color(col)
            elif kind == "box":
                artist.set_edgecolor(col)
                artist.set_facecolor(fill)
            else:
                artist.set_color(text_col if on else GREY_TEXT)
            artist._lstm_colour = col  # what the tests read back


def _tint(colour: str, amount: float = 0.85) -> tuple[float, float, float]:
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(colour)
    return (r + (1 - r) * amount, g + (1 - g) * amount, b + (1 - b) * amount)


def _parse_highlight(highlight: str | Iterable[str] | None,
                     palette: Mapping[str, str] = CELL_PARTS) -> set[str] | None:
    if highlight is None:
        return None
    parts = {highlight} if isinstance(highlight, str) else set(highlight)
    unknown = parts - set(palette)
    if unknown:
        raise ValueError(
            f"`highlight` got unknown part(s) {sorted(unknown)}; "
            f"choose from {sorted(palette)} (or an iterable of them)."
        )
    return parts


def _diagram_scale(ax: Axes) -> float:
    """How big the diagram is drawn relative to the default figure (10.5 x 6 in): inches per data unit."""
    w, h = ax.figure.get_size_inches()
    pos = ax.get_position()
    inches_per_unit = min(pos.width * w / 15.8, pos.height * h / 8.75)  # the x and y ranges set below
    return max(0.3, inches_per_unit / 0.515)


_VALUE_KEYS = ("x_t", "h_prev", "c_prev", "f_t", "i_t", "c_tilde", "c_t", "o_t", "h_t")


def _cell_canvas(
    ax: Axes | None, values: Mapping[str, Any] | None, allowed: Sequence[str]
) -> tuple[Axes, dict[str, Any], dict[str, np.ndarray]]:
    """The cell diagrams' setup: ``values`` checked against ``allowed`` keys, the axes (10.5 x 6 in, equal, no frame).

    Returns the axes, ``values`` as a dict and each value as an array (for the wire labels).
    """
    values = dict(values or {})
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValueError(f"`values` got unknown key(s) {sorted(unknown)}; allowed keys: {list(allowed)}.")
    ax = _new_axes(ax, (10.5, 6.0))
    ax.set_xlim(-0.9, 14.9)
    ax.set_ylim(-1.15, 7.6)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax, values, {k: to_numpy(v, f"values[{k!r}]") for k, v in values.items()}


def _wire_label(sym: str, vals: Mapping[str, np.ndarray], key: str) -> str:
    """A wire's symbol, with ``= value`` when ``vals`` has ``key`` (an array's first four entries on a second line)."""
    if key not in vals:
        return sym
    flat = vals[key].reshape(-1)
    if flat.size == 1:
        return f"{sym} = {float(flat[0]):.2f}"
    shown = " ".join(f"{v:.1f}" for v in flat[:4]) + (" …" if flat.size > 4 else "")
    return f"{sym}\n[{shown}]"


def _value_size(vals: Mapping[str, np.ndarray], key: str, base: float) -> float:
    """A wire label's font size: ``base``, 1 smaller with a number on it, 4 smaller with an array."""
    if key not in vals:
        return base
    return base - 1 if vals[key].size == 1 else base - 4


def _cell_alt(ax: Axes, alt: str, parts: set[str] | None, values: Mapping[str, Any]) -> Axes:
    """Set a cell diagram's alt text: ``alt``, then the highlighted ``parts`` and the ``values`` if any; ``ax``."""
    if parts:
        alt += f" Highlighted: {', '.join(sorted(parts))}; the rest is greyed."
    if values:
        alt += " Values: " + "; ".join(f"{k} = {_fmt(v)}" for k, v in values.items()) + "."
    set_alt(ax, alt)
    return ax


def _cell_frame(ax: Axes, scale: float, caption: str, x: float) -> None:
    """The cell's light rounded frame (not a part) and its caption, right-aligned at ``x`` along the bottom."""
    frame = FancyBboxPatch((1.0, 0.5), 11.3, 6.3, boxstyle="round,pad=0.05,rounding_size=0.4",
                           linewidth=1.5, edgecolor="#9a9a9a", facecolor="#fafafa", zorder=0)
    ax.add_patch(frame)
    ax.text(x, 0.6, caption, fontsize=11 * scale, color="#777777", ha="right", va="bottom")


#: What each outer wire carries when the diagram is drawn backward: the gradient of the loss.
BACKWARD_SYMBOLS: dict[str, str] = {
    "x_t": r"$\delta x_t$",
    "h_prev": r"$\delta h_{t-1}$",
    "c_prev": r"$\delta c_{t-1}$",
    "c_t": r"$\delta c_t$",
    "h_t": r"$\delta h_t$",
}


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


def stacked_shapes(num_layers: int = 2, bidirectional: bool = True, *, T: int = 4, B: int = 3, I: int = 5,
                   H: int = 8) -> dict[str, tuple[int, ...]]:
    """The shape of every tensor of a stacked (bidirectional) :class:`lstm_course.LSTM`, read off a real run.

    Keys: ``input``, ``layer_output`` (every layer's output but the last, the next layer's input),
    ``output``, ``h_0`` (also ``c_0``, ``h_n``, ``c_n``), ``gates`` (one layer and direction's
    ``f_t``), and each first-direction parameter ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``.
    """
    import torch

    from .layer import LSTM  # here: viz is imported by modules the layer does not need

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


# --------------------------------------------------------------------------- plot helpers

#: At most this many tick labels on a time or unit axis (more overlap on a narrow panel).
MAX_TICKS = 10


def step_ticks(T: int) -> list[int]:
    """Tick positions for a time axis of steps :math:`t = 1 \\ldots T`: 1, then round multiples up to ``T``.

    At most :data:`MAX_TICKS` ticks, always starting at the first step, 1 (never 0).
    """
    if not isinstance(T, (int, np.integer)) or T < 1:
        raise ValueError(f"`T` must be a positive int (the number of steps), got {T!r}.")
    if T <= MAX_TICKS:
        return list(range(1, T + 1))
    for step in (2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000):
        if T // step + 1 <= MAX_TICKS:
            break
    else:
        step = 10 ** int(np.ceil(np.log10(T / (MAX_TICKS - 1))))
    if step == 2:
        return list(range(1, T + 1, 2))  # 1, 3, 5, …: no 1 and 2 side by side
    return [1] + list(range(step, T + 1, step))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


_ACTIVATIONS = {"sigmoid": (_sigmoid, (0.0, 1.0), r"$\sigma(z)$"), "tanh": (np.tanh, (-1.0, 1.0), r"$\tanh(z)$")}


def plot_activation(
    name: str,
    ax: Axes | None = None,
    mark: float | None = None,
    *,
    zlim: tuple[float, float] = (-6.0, 6.0),
    label: str | None = None,
) -> Axes:
    """The activation curve (``"sigmoid"``: :math:`\\sigma(z) = 1/(1+e^{-z})` in (0, 1), or ``"tanh"`` in
    (-1, 1)) with its range shaded and, if ``mark`` is given, the point :math:`(z, \\text{act}(z))` marked.

    ``label``: mathtext for the marked output, e.g. ``r"$f_t$"``.
    """
    if name not in _ACTIVATIONS:
        raise ValueError(f"`name` must be 'sigmoid' or 'tanh'; got {name!r}.")
    fn, (lo, hi), ylab = _ACTIVATIONS[name]
    ax = _new_axes(ax, (5, 3.2))
    z = np.linspace(*zlim, 241)
    ax.axhspan(lo, hi, color="#1f77b4", alpha=0.08, zorder=0, label=f"range ({lo:g}, {hi:g})")
    ax.plot(z, fn(z), color="#1f77b4", linewidth=2, label=ylab, gid="curve")
    ax.axhline(lo, color="#888888", linewidth=0.8, linestyle=":")
    ax.axhline(hi, color="#888888", linewidth=0.8, linestyle=":")
    ax.set_xlabel("pre-activation $z$")
    ax.set_ylabel(ylab)
    ax.set_ylim(lo - 0.12 * (hi - lo), hi + 0.3 * (hi - lo))  # room for the marked value on top
    alt = f"The {name} curve over z from {zlim[0]:g} to {zlim[1]:g}, squashing into ({lo:g}, {hi:g})."
    if mark is not None:
        zm = float(to_numpy(mark, "mark"))
        ym = float(fn(np.asarray(zm)))
        ax.plot([zm], [ym], "o", color="#d62728", markersize=8, zorder=5, gid="mark")
        ax.vlines(zm, ax.get_ylim()[0], ym, color="#d62728", linestyle="--", linewidth=1)
        fname = r"\sigma" if name == "sigmoid" else r"\tanh"
        txt = (f"{label} = " if label else "") + f"${fname}({zm:.2f})$ = {ym:.2f}"
        # a rising curve leaves the upper-left corner empty
        ax.text(0.03, 0.95, txt, transform=ax.transAxes, ha="left", va="top", color="#d62728", fontsize=11)
        alt += f" Marked: z = {zm:.2f} gives {ym:.2f}."
    ax.legend(loc="lower right", fontsize=9, frameon=False)
    ax.grid(alpha=0.3)
    set_alt(ax, alt)
    return ax


def plot_gate_values(values: Mapping[str, Any], ax: Axes | None = None, *, title: str | None = None) -> Axes:
    """Bar chart of one step's values, one group per key, one bar per unit (``(H,)`` each).

    Keys are names from NOTATION.md (``f_t``, ``i_t``, ``c_tilde``, ``o_t``, ``c_t``, ``h_t``, …); each
    group shows its range ((0, 1) for the σ gates, (-1, 1) for :math:`\\tilde c_t` and :math:`h_t`) as a band.
    """
    if not values:
        raise ValueError("`values` must be a non-empty dict like {'f_t': array of shape (H,)}.")
    arrays = {k: to_numpy(v, f"values[{k!r}]") for k, v in values.items()}
    for k, arr in arrays.items():
        if arr.ndim > 1:
            raise ValueError(f"`values[{k!r}]` must be one step's values, shape (H,); got {arr.shape}. "
                             "Pick one batch element first, e.g. f_t[0].")
    arrays = {k: arr.reshape(-1) for k, arr in arrays.items()}
    ax = _new_axes(ax, (1.6 + 1.3 * len(arrays), 3.2))
    x0 = 0.0
    centres, colours = [], {"f_t": CELL_PARTS["forget"], "i_t": CELL_PARTS["input"],
                            "c_tilde": CELL_PARTS["candidate"], "o_t": CELL_PARTS["output"],
                            "c_t": CELL_PARTS["cell"], "h_t": CELL_PARTS["hidden"],
                            "c_prev": CELL_PARTS["cell"], "f_c_prev": CELL_PARTS["forget"],
                            "i_c_tilde": CELL_PARTS["input"], "tanh_c_t": CELL_PARTS["output"]}
    for k, arr in arrays.items():
        n = arr.size
        width = 0.8 / n
        xs = x0 + (np.arange(n) - (n - 1) / 2) * width
        if k in GATE_RANGES:
            lo, hi = GATE_RANGES[k]
            ax.fill_between([x0 - 0.45, x0 + 0.45], lo, hi, color="#999999", alpha=0.12, zorder=0, linewidth=0)
        ax.bar(xs, arr, width=width * 0.9, color=colours.get(k, "#555555"), zorder=2)
        centres.append(x0)
        x0 += 1.0
    ax.axhline(0, color="#444444", linewidth=0.8)
    ax.set_xticks(centres)
    ax.set_xticklabels([SYMBOLS.get(k, k) for k in arrays], fontsize=12)
    ax.set_ylabel("value")
    ax.grid(axis="y", alpha=0.3)
    if title:
        ax.set_title(title)
    set_alt(ax, "Bar chart of one step's values: " + "; ".join(f"{k} = {_fmt(v)}" for k, v in arrays.items())
            + ". Grey bands show each gate's range.")
    return ax


def plot_gate_heatmaps(
    gates: Mapping[str, Any],
    fig: Figure | None = None,
    *,
    ax: Axes | None = None,
    keys: Sequence[str] | None = None,
) -> Figure:
    """Heatmaps of every gate over time: one panel per key, time :math:`t = 1 \\ldots T` across, unit up.

    ``gates``: dict of ``(T, H)`` arrays (as the LSTM layer returns them: ``f_t, i_t, c_tilde, o_t, c_t,
    h_t``; a ``(T, B, H)`` value uses batch element 0); row ``t - 1`` is step :math:`t`, so the first
    column is drawn at :math:`t = 1`. Each axis has at most :data:`MAX_TICKS` tick labels. Colour scales:
    (0, 1) for the σ gates, (-1, 1) for tanh values, :math:`\\pm \\max |c_t|` for :math:`c_t`; the alt
    text gives each panel's actual value range. Returns the Figure (several Axes).
    """
    if not gates:
        raise ValueError("`gates` must be a non-empty dict of (T, H) arrays, e.g. {'f_t': ..., 'i_t': ...}.")
    keys = list(keys) if keys is not None else list(gates)
    arrays = {}
    for k in keys:
        if k not in gates:
            raise ValueError(f"`keys` names {k!r}, which `gates` does not have (it has {list(gates)}).")
        a = to_numpy(gates[k], f"gates[{k!r}]")
        if a.ndim == 3:
            a = a[:, 0, :]
        elif a.ndim == 1:
            a = a[:, None]
        if a.ndim != 2:
            raise ValueError(f"`gates[{k!r}]` must be (T, H) (or (T, B, H)); got shape {a.shape}.")
        arrays[k] = a
    if fig is None and ax is not None:
        fig = ax.figure
    if fig is None:
        fig = plt.figure(figsize=(2.3 * len(arrays) + 0.8, 3.2))
    fig.set_facecolor(FACE)
    axes = fig.subplots(1, len(arrays), squeeze=False)[0] if not fig.axes else None
    if axes is None:
        raise ValueError("`fig` must be an empty Figure (plot_gate_heatmaps adds one Axes per gate).")
    ranges = []
    for a, (k, arr) in zip(axes, arrays.items(), strict=True):
        lo, hi = GATE_RANGES.get(k, (float(arr.min()), float(arr.max())))
        if k == "c_t":
            m = float(np.abs(arr).max()) or 1.0
            lo, hi = -m, m
        cmap = "viridis" if lo >= 0 else "RdBu_r"
        T, H = arr.shape
        # column t - 1 is step t: centred on t, from t - 1/2 to t + 1/2
        im = a.imshow(arr.T, aspect="auto", origin="lower", cmap=cmap, vmin=lo, vmax=hi, interpolation="nearest",
                      extent=(0.5, T + 0.5, -0.5, H - 0.5))
        a.set_title(SYMBOLS.get(k, k), fontsize=13)
        a.set_xlabel("step $t$")
        a.set_xticks(step_ticks(T))
        a.yaxis.set_major_locator(MaxNLocator(nbins=MAX_TICKS - 1, integer=True, min_n_ticks=1))
        fig.colorbar(im, ax=a, fraction=0.08, pad=0.03)
        ranges.append(f"{k} from {arr.min():.2g} to {arr.max():.2g} (colour scale {lo:.2g} to {hi:.2g})")
    axes[0].set_ylabel("unit")
    fig.tight_layout()
    T, H = next(iter(arrays.values())).shape
    set_alt(fig, f"Heatmaps of {', '.join(arrays)} over steps t = 1 to {T} (across) and {H} units (up); "
            "values: " + "; ".join(ranges) + ".")
    return fig


def plot_cell_trajectory(
    c: Any,
    f: Any | None = None,
    ax: Axes | None = None,
    *,
    title: str | None = None,
) -> Axes:
    """The cell state :math:`c_t` over steps :math:`t = 1 \\ldots T` (``(T,)`` or ``(T, H)``) and, if given, the
    forget gate :math:`f_t` and the fraction of the first step's memory :math:`c_1` that the forget gates keep
    until step :math:`t`, :math:`\\prod_{j=2}^{t} f_j` (the gates of steps 2 to :math:`t`; 1 at :math:`t = 1`),
    the book's :math:`c_T = c_1 \\prod_{t=2}^{T} f_t` when nothing more is written. With ``(T, H)``
    gates, the mean over units is used.
    """
    c_arr = to_numpy(c, "c")
    if c_arr.ndim == 1:
        c_arr = c_arr[:, None]
    if c_arr.ndim != 2:
        raise ValueError(f"`c` must be (T,) or (T, H); got shape {c_arr.shape}.")
    T = c_arr.shape[0]
    ax = _new_axes(ax, (6, 3.4))
    steps = np.arange(1, T + 1)
    for u in range(c_arr.shape[1]):
        ax.plot(steps, c_arr[:, u], "-o", color=CELL_PARTS["cell"], markersize=3, linewidth=2,
                alpha=1.0 if c_arr.shape[1] == 1 else 0.7, label=SYMBOLS["c_t"] if u == 0 else None)
    alt = f"Cell state c_t over {T} steps"
    if f is not None:
        f_arr = to_numpy(f, "f")
        if f_arr.ndim == 1:
            f_arr = f_arr[:, None]
        if f_arr.shape[0] != T:
            raise ValueError(f"`f` must have as many steps as `c` ({T}); got shape {f_arr.shape}.")
        f_mean = f_arr.mean(axis=1)  # (T,)
        kept = np.cumprod(np.concatenate([[1.0], f_mean[1:]]))  # (T,) ∏_{j=2}^{t} f_j: 1, f_2, f_2 f_3, …
        ax.plot(steps, f_mean, "--", color=CELL_PARTS["forget"], linewidth=1.5, label=r"$f_t$")
        ax.plot(steps, kept, ":", color="#555555", linewidth=2, label=r"$\prod_{j=2}^{t} f_j$ (kept of $c_1$)")
        alt += (f", with the forget gate f_t and the fraction of the first step's memory kept, the product of "
                f"f_j for j = 2 to t (ends at {kept[-1]:.2g})")
    ax.axhline(0, color="#444444", linewidth=0.8)
    ax.set_xticks(step_ticks(T))
    ax.set_xlabel("step $t$")
    ax.set_ylabel("value")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9, frameon=False, loc="best")
    if title:
        ax.set_title(title)
    set_alt(ax, alt + f"; c_t goes from {c_arr[0].mean():.2f} to {c_arr[-1].mean():.2f}.")
    return ax


def plot_gradient_norms(
    curves: Mapping[str, Any],
    ax: Axes | None = None,
    log: bool = True,
    *,
    xlabel: str = "steps back $k$",
    ylabel: str = r"gradient norm $\|\partial L / \partial h_{T-k}\|$",
    title: str | None = None,
) -> Axes:
    """Gradient-norm curves against steps back (one line per label; each ``(T,)``), log scale by default."""
    if not curves:
        raise ValueError("`curves` must be a non-empty dict like {'RNN': array (T,), 'LSTM': array (T,)}.")
    ax = _new_axes(ax, (6, 3.4))
    ends = []
    for label, y in curves.items():
        arr = to_numpy(y, f"curves[{label!r}]").reshape(-1)
        ax.plot(np.arange(arr.size), arr, linewidth=2, label=label)
        ends.append(f"{label} ends at {arr[-1]:.2g}")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9, frameon=False)
    if title:
        ax.set_title(title)
    set_alt(ax, f"Gradient norm against steps back{' (log scale)' if log else ''}: " + "; ".join(ends) + ".")
    return ax


def plot_learning_curves(
    histories: Mapping[str, Mapping[str, Sequence[float]]],
    ax: Axes | None = None,
    *,
    metric: str = "accuracy",
    chance: float | None = None,
    title: str | None = None,
) -> Axes:
    """Learning curves: ``metric`` (``"accuracy"`` or ``"loss"``) against training step, one line per model.

    A history is a dict with lists ``step``, ``loss``, ``accuracy`` (as :mod:`lstm_course.tasks` returns).
    ``chance``: draws the chance level as a dotted line.
    """
    if not histories:
        raise ValueError("`histories` must be a non-empty dict like {'LSTM': history, 'RNN': history}.")
    ax = _new_axes(ax, (6, 3.4))
    ends = []
    for label, hist in histories.items():
        if not isinstance(hist, Mapping) and hasattr(hist, "_asdict"):
            hist = hist._asdict()
        elif not isinstance(hist, Mapping) and hasattr(hist, "__dict__"):
            hist = vars(hist)
        if "step" not in hist or metric not in hist:
            raise ValueError(f"`histories[{label!r}]` must have lists 'step' and {metric!r}; got keys {list(hist)}.")
        steps, ys = to_numpy(hist["step"]), to_numpy(hist[metric])
        ax.plot(steps, ys, linewidth=2, label=label)
        ends.append(f"{label} ends at {ys[-1]:.3g}")
    if chance is not None:
        ax.axhline(chance, color="#777777", linestyle=":", linewidth=1.5, label="chance")
    if metric == "accuracy":
        ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("training step")
    ax.set_ylabel(metric)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9, frameon=False)
    if title:
        ax.set_title(title)
    set_alt(ax, f"Learning curves, {metric} against training step: " + "; ".join(ends) + ".")
    return ax



def plot_spread(
    rows: Sequence[Mapping[str, Any]],
    x: str,
    ax: Axes | None = None,
    *,
    by: str | None = None,
    labels: Mapping[Any, str] | None = None,
    chance: float | None = None,
    xlabel: str | None = None,
    ylabel: str = "accuracy",
    title: str | None = None,
) -> Axes:
    """Mean and spread over seeds: one line per group ``by`` (or one line), the mean as markers and a bar
    from the lowest to the highest seed.

    ``rows``: dicts with ``x``'s value, ``mean``, ``min``, ``max`` (and ``by``'s), as
    :func:`lstm_course.variant_sweep.summarise` returns them. ``labels`` maps group values to legend text.
    """
    if not rows:
        raise ValueError("`rows` must be a non-empty list of dicts with the x value, 'mean', 'min' and 'max'.")
    for r in rows:
        missing = {x, "mean", "min", "max", *([by] if by else [])} - set(r)
        if missing:
            raise ValueError(f"every row needs {sorted(missing)}; got keys {sorted(r)}.")
    ax = _new_axes(ax, (6.4, 3.6))
    groups: dict[Any, list[Mapping[str, Any]]] = {}
    for r in rows:
        groups.setdefault(r[by] if by else None, []).append(r)
    n = len(groups)
    xs_all = sorted({r[x] for r in rows})
    width = (min(np.diff(xs_all)) if len(xs_all) > 1 else 1.0) * 0.35
    ends = []
    for k, (group, members) in enumerate(groups.items()):
        members = sorted(members, key=lambda r: r[x])
        xv = np.array([r[x] for r in members], dtype=float) + (k - (n - 1) / 2) * width / max(n - 1, 1)
        mean = np.array([r["mean"] for r in members])
        lo, hi = mean - np.array([r["min"] for r in members]), np.array([r["max"] for r in members]) - mean
        label = (labels or {}).get(group, str(group)) if by else None
        ax.errorbar(xv, mean, yerr=[lo, hi], marker="o", markersize=5, linewidth=1.8, capsize=3, label=label)
        ends.append(f"{label or ylabel} from {mean[0]:.2f} to {mean[-1]:.2f}")
    if chance is not None:
        ax.axhline(chance, color="#777777", linestyle=":", linewidth=1.5, label="chance")
    if ylabel == "accuracy":
        ax.set_ylim(-0.02, 1.05)
    ax.set_xticks(xs_all)
    ax.set_xlabel(xlabel or x)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if by or chance is not None:  # beside the plot: the lines fill the whole range of the axes
        ax.legend(fontsize=9, frameon=False, loc="center left", bbox_to_anchor=(1.01, 0.5))
    if title:
        ax.set_title(title)
    set_alt(ax, f"{ylabel} against {xlabel or x}, mean over seeds with bars from the lowest to the highest seed: "
            + "; ".join(ends) + ".")
    return ax
