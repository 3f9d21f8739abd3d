"""The cell diagrams' drawing kit: :class:`_Diagram` tags each artist with the parts it belongs to."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from ._base import CELL_PARTS, FACE, GREY, GREY_TEXT, INK, _fmt, _new_axes, set_alt, to_numpy

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
