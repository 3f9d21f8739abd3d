"""Shared pieces of the figures: colours, symbols, alt text, PNG bytes, tick positions."""

from __future__ import annotations

import io
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ._textsize import with_text_record

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
    for these flat-colour plots, which keeps pages with many widget positions light. The PNG records the size of
    the figure's smallest text (:mod:`lstm_course.viz._textsize`), which the site's tests read.
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
        return with_text_record(buf.getvalue(), fig, dpi)
    from PIL import Image  # matplotlib's own dependency

    buf.seek(0)
    with Image.open(buf) as im:
        small = im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    small.save(out, format="png", optimize=True)
    return with_text_record(out.getvalue(), fig, dpi)


def _fmt(value: Any) -> str:
    arr = to_numpy(value)
    if arr.ndim == 0:
        return f"{float(arr):.2f}"
    flat = arr.reshape(-1)
    shown = ", ".join(f"{v:.2f}" for v in flat[:3])
    return f"[{shown}{', …' if flat.size > 3 else ''}]"


# --------------------------------------------------------------------------- plot helpers

#: At most this many tick labels on a time or unit axis (more overlap on a narrow panel).
MAX_TICKS = 10


def step_ticks(T: int, max_ticks: int = MAX_TICKS) -> list[int]:
    """Tick positions for a time axis of steps :math:`t = 1 \\ldots T`: 1, then round multiples up to ``T``.

    At most ``max_ticks`` ticks (default :data:`MAX_TICKS`; fewer for a narrow panel), always starting at the
    first step, 1 (never 0).
    """
    if not isinstance(T, (int, np.integer)) or T < 1:
        raise ValueError(f"`T` must be a positive int (the number of steps), got {T!r}.")
    if not isinstance(max_ticks, (int, np.integer)) or max_ticks < 2:
        raise ValueError(f"`max_ticks` must be an int of at least 2, got {max_ticks!r}.")
    if T <= max_ticks:
        return list(range(1, T + 1))
    for step in (2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000):
        if T // step + 1 <= max_ticks:
            break
    else:
        step = 10 ** int(np.ceil(np.log10(T / (max_ticks - 1))))
    if step == 2:
        return list(range(1, T + 1, 2))  # 1, 3, 5, …: no 1 and 2 side by side
    return [1] + list(range(step, T + 1, step))


#: The legends' font size (points): at the book's 100 dpi, 13.9 px in a figure shown at its natural width.
LEGEND_SIZE = 10


def legend_below(ax: Axes, handles: list[Any] | None = None, labels: list[str] | None = None) -> None:
    """The legend under the axes (below the tick labels and the x label), in up to three columns: it never covers
    the data, and it adds height rather than width."""
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return
    ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), borderaxespad=3.0,
              ncol=min(len(handles), 3), fontsize=LEGEND_SIZE, frameon=False)
