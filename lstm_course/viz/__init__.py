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

# Re-exported for the chapters, widgets and tests that read them as ``viz.<name>``.
from ._base import CELL_PARTS, figure_alt, legend_below, set_alt, step_ticks, to_numpy, to_png_bytes
from ._base import FACE as FACE
from ._base import GATE_RANGES as GATE_RANGES
from ._base import GREY as GREY
from ._base import GREY_TEXT as GREY_TEXT
from ._base import INK as INK
from ._base import MAX_TICKS as MAX_TICKS
from ._base import SYMBOLS as SYMBOLS
from ._base import _fmt as _fmt
from ._diagram import BACKWARD_SYMBOLS as BACKWARD_SYMBOLS
from ._textsize import install_notebook_record as _install_notebook_record
from ._textsize import read_text_record, smallest_text_pt
from .cells import GRU_PARTS, draw_cell, draw_gru_cell
from .cells import GRU_SYMBOLS as GRU_SYMBOLS
from .plots import (
    plot_activation,
    plot_cell_trajectory,
    plot_gate_heatmaps,
    plot_gate_values,
    plot_gradient_norms,
    plot_learning_curves,
    plot_spread,
)
from .stacked import draw_stacked_lstm, stacked_shapes

_install_notebook_record()  # in a Jupyter kernel, shown figures record their smallest text size (see _textsize)

__all__ = [
    "CELL_PARTS",
    "GRU_PARTS",
    "draw_cell",
    "draw_gru_cell",
    "draw_stacked_lstm",
    "figure_alt",
    "legend_below",
    "plot_activation",
    "plot_cell_trajectory",
    "plot_gate_heatmaps",
    "plot_gate_values",
    "plot_gradient_norms",
    "plot_learning_curves",
    "plot_spread",
    "read_text_record",
    "set_alt",
    "smallest_text_pt",
    "stacked_shapes",
    "step_ticks",
    "to_numpy",
    "to_png_bytes",
]
