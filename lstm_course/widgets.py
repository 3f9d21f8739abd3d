"""Widgets for the chapters: a slider wired to views that respond with or without a kernel.

The mechanism is :func:`explorer`. For each slider position it renders the view once (at
build time on the site) into a PNG, and puts the images in an ipywidgets ``Stack`` whose
``selected_index`` is ``jslink``-ed to the slider's ``index``. The link lives in the browser,
so the same widget responds in JupyterLab and in the static HTML of the built book, where
there is no kernel. Images are ``<img alt="…">`` inside ``HTML`` widgets, so every view has
alt text (``ipywidgets.Image`` cannot carry one). Extra controls (``live_extra``) recompute
the current view in a live kernel only.

The numbers come from plain functions (``*_numbers`` below, which call
:mod:`lstm_course.cell`), the pictures from :mod:`lstm_course.viz`; the builders only wire
them together. Each builder records, per position, the numbers it showed
(``widget.records``), which the tests read.

In the page, an explorer is a ``VBox``: the slider (``.widget-slider``, moved with the arrow keys), then
a ``Stack`` whose children are ``HTML`` widgets holding one ``<img alt="…">`` each; only the selected
child is visible. Views should be small (about 6 x 3 in at :data:`DPI`); PNGs are stored with a
256-colour palette (:func:`lstm_course.viz.to_png_bytes`), 5–15 kB per position.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as W
import numpy as np
import torch
from matplotlib.figure import Figure

from . import viz
from .cell import candidate, cell_update, forget_gate, input_gate, lstm_step
from .gru import gru_step
from .layout import CellWeights, GRUWeights

__all__ = [
    "Explorer",
    "cell_update_explorer",
    "cell_update_numbers",
    "explorer",
    "input_gate_explorer",
    "input_gate_numbers",
    "keep_write_explorer",
    "keep_write_numbers",
    "step_explorer",
    "step_numbers",
]

DPI = 85


def _img_html(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt, quote=True)}" '
            'style="max-width:100%;height:auto;display:block">')


def _render(view: Callable[..., Figure], value: Any, extras: Mapping[str, Any]) -> tuple[bytes, str]:
    fig = view(value, **extras)
    if not isinstance(fig, Figure):
        raise TypeError(f"`view` must return a matplotlib Figure; it returned {type(fig).__name__} for {value!r}.")
    alt = viz.figure_alt(fig) or f"View for value {value!r}."
    return viz.to_png_bytes(fig, dpi=DPI), alt


class Explorer(W.VBox):
    """A slider over precomputed views (``Stack`` linked in the browser), plus optional live controls.

    Attributes: ``slider`` (``SelectionSlider``), ``stack`` (``Stack`` of ``HTML`` images), ``link``
    (the ``jslink``), ``values`` (the slider's values), ``pngs`` and ``alts`` (per position),
    ``records`` (per position, what the builder computed; ``None`` for a bare explorer),
    ``extras`` (the live controls, a dict).
    """

    def __init__(
        self,
        view: Callable[..., Figure],
        values: Sequence[Any],
        *,
        description: str,
        value: Any = None,
        live_extra: Mapping[str, W.ValueWidget] | None = None,
        formatter: Callable[[Any], str] | None = None,
        records: Sequence[Any] | None = None,
    ) -> None:
        values = list(values)
        if not values:
            raise ValueError("`values` must be a non-empty sequence of slider positions.")
        if not callable(view):
            raise TypeError("`view` must be a callable value -> matplotlib Figure.")
        fmt = formatter or _default_format
        labels = [fmt(v) for v in values]
        if len(set(labels)) != len(labels):
            raise ValueError(f"`values` must give distinct labels; got {labels}. Pass `formatter=` to tell them apart.")
        index = 0 if value is None else _index_of(values, value)
        self.view = view
        self.values = values
        self.extras: dict[str, W.ValueWidget] = dict(live_extra or {})
        self.records = list(records) if records is not None else None
        self.pngs: list[bytes] = []
        self.alts: list[str] = []
        for v in values:
            png, alt = _render(view, v, self._extra_values())
            self.pngs.append(png)
            self.alts.append(alt)
        self._rendered_with = [self._extra_values()] * len(values)
        self.slider = W.SelectionSlider(
            options=list(zip(labels, range(len(values)), strict=True)), index=index, description=description,
            continuous_update=True, style={"description_width": "initial"},
            layout=W.Layout(width="min(100%, 34em)"),
        )
        self.images = [W.HTML(_img_html(p, a)) for p, a in zip(self.pngs, self.alts, strict=True)]
        self.stack = W.Stack(self.images, selected_index=index)
        self.link = W.jslink((self.slider, "index"), (self.stack, "selected_index"))
        controls: list[W.Widget] = [self.slider]
        if self.extras:
            for c in self.extras.values():
                c.observe(self._on_extra, names="value")
            self.slider.observe(self._on_index, names="index")
            controls.append(W.HBox(list(self.extras.values())))
        super().__init__(children=[*controls, self.stack])

    # -- live mode (kernel only) --------------------------------------------------------------
    def _extra_values(self) -> dict[str, Any]:
        return {k: c.value for k, c in self.extras.items()}

    def _refresh(self, i: int) -> None:
        extras = self._extra_values()
        if self._rendered_with[i] == extras:
            return
        png, alt = _render(self.view, self.values[i], extras)
        self.pngs[i], self.alts[i] = png, alt
        self._rendered_with[i] = extras
        self.images[i].value = _img_html(png, alt)

    def _on_extra(self, change: dict) -> None:
        self._refresh(self.slider.index)

    def _on_index(self, change: dict) -> None:
        self._refresh(change["new"])
        self.stack.selected_index = change["new"]

    @property
    def shown(self) -> int:
        """The index of the view the stack shows now."""
        return int(self.stack.selected_index)


def _default_format(v: Any) -> str:
    if isinstance(v, (float, np.floating)):
        return f"{float(v):+.2f}"
    return str(v)


def _index_of(values: list[Any], value: Any) -> int:
    try:
        arr = np.asarray(values, dtype=float)
        return int(np.argmin(np.abs(arr - float(value))))
    except (TypeError, ValueError):
        if value in values:
            return values.index(value)
        raise ValueError(f"`value` {value!r} is not one of `values` {values}.") from None


def explorer(
    view: Callable[..., Figure],
    values: Sequence[Any],
    *,
    description: str,
    value: Any = None,
    live_extra: Mapping[str, W.ValueWidget] | None = None,
    formatter: Callable[[Any], str] | None = None,
    records: Sequence[Any] | None = None,
) -> Explorer:
    """A ``SelectionSlider`` over ``values`` whose ``index`` is ``jslink``-ed to a ``Stack`` of the
    rendered ``view(value)`` figures; works in a live kernel and in the static site alike.

    ``view(value, **extras) -> Figure`` (closed after rendering; use ``matplotlib.figure.Figure``, not
    pyplot, to keep nothing open). ``value``: the initial position (nearest value). ``live_extra``:
    ``{name: control}`` passed to ``view`` as keyword arguments; moving one re-renders in a kernel.
    Keep positions few (9–13) and figures small: every position is an image on the page.
    """
    return Explorer(view, values, description=description, value=value, live_extra=live_extra,
                    formatter=formatter, records=records)


# --------------------------------------------------------------------------- the numbers


def _t(x: Any) -> torch.Tensor:
    return torch.as_tensor(x, dtype=torch.float64)


_W_I_X = (2.0, 1.0, -1.5)
_W_C_X = (1.5, -2.0, 0.5)


def input_gate_numbers(x_t: float) -> dict[str, np.ndarray]:
    """:math:`i_t = \\sigma(W_i[h_{t-1},x_t] + b_i)`, :math:`\\tilde c_t = \\tanh(W_c[h_{t-1},x_t] + b_c)` and
    :math:`i_t \\odot \\tilde c_t` for a scalar input ``x_t`` (I = 1), three units, :math:`h_{t-1} = 0`, zero biases."""
    H = len(_W_I_X)
    h_prev, x = torch.zeros(H, dtype=torch.float64), _t([float(x_t)])  # (H,), (1,)
    W_i = torch.cat([torch.zeros(H, H, dtype=torch.float64), _t(_W_I_X)[:, None]], dim=1)  # (H, H+1)
    W_c = torch.cat([torch.zeros(H, H, dtype=torch.float64), _t(_W_C_X)[:, None]], dim=1)  # (H, H+1)
    zero = torch.zeros(H, dtype=torch.float64)
    i_t = input_gate(h_prev, x, W_i, zero)  # (H,)
    c_tilde = candidate(h_prev, x, W_c, zero)  # (H,)
    return {"x_t": np.asarray(float(x_t)), "i_t": i_t.numpy(), "c_tilde": c_tilde.numpy(),
            "i_c_tilde": (i_t * c_tilde).numpy()}


def cell_update_numbers(b_f: float, *, steps: int = 20, write: float = 1.0) -> dict[str, np.ndarray]:
    """A one-unit cell over ``steps`` steps: step 1 writes :math:`\\tilde c_1 \\approx` ``tanh(2·write)`` through an
    open input gate, later inputs are 0 so :math:`i_t \\approx 0`, and :math:`c_t = f_t \\odot c_{t-1} + i_t \\odot
    \\tilde c_t` keeps (:math:`f_t \\to 1`) or loses (:math:`f_t \\to 0`) it; :math:`f_t = \\sigma(b_f)`.

    Returns ``{"c_t": (T,), "f_t": (T,), "i_t": (T,)}``.
    """
    H = 1
    # W_* act on [h_{t-1}, x_t]; only the input matters here
    W_f, b_f_t = torch.zeros(H, H + 1, dtype=torch.float64), _t([float(b_f)])
    W_i, b_i = _t([[0.0, 12.0]]), _t([-6.0])  # i_t ≈ 1 when x_t = 1, ≈ 0 when x_t = 0
    W_c, b_c = _t([[0.0, 2.0 * write]]), _t([0.0])
    c = torch.zeros(H, dtype=torch.float64)  # (H,)
    cs, fs, is_ = [], [], []
    for t in range(steps):
        x = _t([1.0 if t == 0 else 0.0])  # (1,)
        h = torch.zeros(H, dtype=torch.float64)  # h_{t-1} = 0 keeps the picture about the cell path
        f_t = forget_gate(h, x, W_f, b_f_t)
        i_t = input_gate(h, x, W_i, b_i)
        c = cell_update(f_t, c, i_t, candidate(h, x, W_c, b_c))  # (H,)
        cs.append(float(c[0]))
        fs.append(float(f_t[0]))
        is_.append(float(i_t[0]))
    return {"c_t": np.array(cs), "f_t": np.array(fs), "i_t": np.array(is_)}


def _step_weights() -> CellWeights:
    """Fixed one-unit weights (H = I = 1) on [h_{t-1}, x_t], chosen so each gate reacts to x_t."""
    w = {"W_f": [[0.5, -1.0]], "b_f": [1.0], "W_i": [[0.5, 1.5]], "b_i": [0.0],
         "W_c": [[0.5, 1.2]], "b_c": [0.0], "W_o": [[-0.5, 1.0]], "b_o": [0.5]}
    return CellWeights(**{k: _t(v) for k, v in w.items()})


def step_numbers(x_t: float, h_prev: float = 0.3, c_prev: float = 0.8) -> dict[str, float]:
    """One :func:`~lstm_course.cell.lstm_step` of a one-unit cell with fixed weights; every value of the step."""
    h, c, g = lstm_step(_t([float(x_t)]), _t([h_prev]), _t([c_prev]), _step_weights(), return_gates=True)
    return {"x_t": float(x_t), "h_prev": h_prev, "c_prev": c_prev, "f_t": float(g.f_t[0]), "i_t": float(g.i_t[0]),
            "c_tilde": float(g.c_tilde[0]), "c_t": float(c[0]), "o_t": float(g.o_t[0]), "h_t": float(h[0])}


# --------------------------------------------------------------------------- the views


def _fig(w: float, h: float, ncols: int = 1) -> tuple[Figure, list]:
    fig = Figure(figsize=(w, h))  # not pyplot: nothing stays open, nothing is displayed twice
    fig.set_facecolor(viz.FACE)
    axes = [fig.add_subplot(1, ncols, k + 1) for k in range(ncols)]
    return fig, axes


def _finish(fig: Figure, alt: str) -> Figure:
    fig.tight_layout()
    viz.set_alt(fig, alt)
    return fig


def _grid(lo: float, hi: float, n: int) -> list[float]:
    return [round(float(v), 6) for v in np.linspace(lo, hi, n)]


def input_gate_explorer(values: Sequence[float] | None = None) -> Explorer:
    """Slider: the input :math:`x_t`; shows :math:`i_t`, :math:`\\tilde c_t` and :math:`i_t \\odot \\tilde c_t`."""
    values = list(values) if values is not None else _grid(-2, 2, 9)
    records = [input_gate_numbers(x) for x in values]

    def view(x: float) -> Figure:
        n = input_gate_numbers(x)
        fig, (a,) = _fig(5.6, 3.0)
        viz.plot_gate_values({"i_t": n["i_t"], "c_tilde": n["c_tilde"], "i_c_tilde": n["i_c_tilde"]}, ax=a)
        a.set_ylim(-1.1, 1.1)
        return _finish(fig, f"Input x_t = {x:.2f}: input gate i_t = {viz._fmt(n['i_t'])}, candidate = "
                            f"{viz._fmt(n['c_tilde'])}, written i_t * candidate = {viz._fmt(n['i_c_tilde'])}.")

    return explorer(view, values, description=r"input $x_t$", value=1.0, records=records)


def cell_update_explorer(values: Sequence[float] | None = None, *, steps: int = 20) -> Explorer:
    """Slider: the forget-gate bias :math:`b_f`; shows :math:`c_t` over ``steps`` steps after one write."""
    values = list(values) if values is not None else _grid(-2, 6, 9)
    records = [cell_update_numbers(b, steps=steps) for b in values]

    def view(b: float) -> Figure:
        n = cell_update_numbers(b, steps=steps)
        fig, (a,) = _fig(5.6, 3.0)
        viz.plot_cell_trajectory(n["c_t"], n["f_t"], ax=a)
        a.set_ylim(-0.05, 1.05)
        return _finish(fig, f"Forget bias b_f = {b:.2f}, f_t = {n['f_t'][-1]:.3f}: the cell state written at step 1 "
                            f"({n['c_t'][0]:.2f}) is {n['c_t'][-1]:.3f} after {steps} steps.")

    return explorer(view, values, description=r"forget bias $b_f$", value=2.0, records=records)


def step_explorer(
    values: Sequence[float] | None = None, *, h_prev: float = 0.3, c_prev: float = 0.8, live: bool = False
) -> Explorer:
    """Slider: the input :math:`x_t`; shows the cell diagram annotated with every number of that step.

    ``live=True`` adds sliders for :math:`h_{t-1}` and :math:`c_{t-1}` that recompute the diagram in a
    running kernel only (the built site keeps the ``h_prev``/``c_prev`` given here), for JupyterLab use.
    """
    values = list(values) if values is not None else _grid(-2, 2, 9)
    records = [step_numbers(x, h_prev, c_prev) for x in values]

    def view(x: float, h_prev: float = h_prev, c_prev: float = c_prev) -> Figure:
        n = step_numbers(x, h_prev, c_prev)
        fig = Figure(figsize=(7.0, 4.0))
        a = fig.add_axes((0, 0, 1, 1))  # the whole figure: the diagram scales its text to the space it has
        viz.draw_cell(ax=a, values=n)
        viz.set_alt(fig, viz.figure_alt(a))
        return fig

    extra = None
    if live:
        extra = {
            "h_prev": W.FloatSlider(value=h_prev, min=-1.0, max=1.0, step=0.1, description=r"$h_{t-1}$ (live)"),
            "c_prev": W.FloatSlider(value=c_prev, min=-2.0, max=2.0, step=0.1, description=r"$c_{t-1}$ (live)"),
        }
    return explorer(view, values, description=r"input $x_t$", value=0.0, records=records, live_extra=extra)


# --------------------------------------------------------------------------- coupled gates: keep or write


#: The weight of the update gate on the marker input in the GRU whose z_t reads x_t (``keep_write_numbers``).
Z_READS_MARKER = -12.0


def keep_write_numbers(b: float, *, steps: int = 30) -> dict[str, np.ndarray]:
    r"""One unit writes :math:`\tanh(3) \approx 0.995` at step 1 (the marker :math:`x_1 = 1`), then reads
    :math:`x_t = 0`; what is left of the write at every step, for three cells whose keep gate has bias ``b``.

    * ``"gru"``: a GRU whose update gate is the constant :math:`z_t = \sigma(b)` (``W_z = 0``): it writes
      :math:`(1 - z_t)\,n_1` and keeps :math:`z_t` of it per step (:func:`~lstm_course.gru.gru_step`).
    * ``"gru_marker"``: the same GRU, but :math:`z_t = \sigma(b + w x_t)` with :math:`w` =
      :data:`Z_READS_MARKER`: the marker opens the gate for writing, later steps keep.
    * ``"lstm"``: an LSTM with :math:`f_t = \sigma(b)` and an input gate of its own,
      :math:`i_t = \sigma(6) \approx 1` (:func:`~lstm_course.cell.lstm_step`); its memory is :math:`c_t`.

    Returns arrays ``(steps,)`` for ``"gru"``, ``"gru_marker"``, ``"lstm"`` (steps 1..``steps``) and
    ``z`` = :math:`\sigma(b)`.
    """
    zero, one = _t([[0.0]]), _t([[1.0]])

    def gru_weights(w_zx: float) -> GRUWeights:  # W_r, W_z act on [h, x]; the candidate reads x only
        return GRUWeights(W_r=_t([[0.0, 0.0]]), b_r=_t([0.0]), W_z=_t([[0.0, w_zx]]), b_z=_t([float(b)]),
                          W_nx=3.0 * one, b_nx=_t([0.0]), W_nh=zero, b_nh=_t([0.0]))

    lstm = CellWeights(W_f=_t([[0.0, 0.0]]), b_f=_t([float(b)]), W_i=_t([[0.0, 0.0]]), b_i=_t([6.0]),
                       W_c=_t([[0.0, 3.0]]), b_c=_t([0.0]), W_o=_t([[0.0, 0.0]]), b_o=_t([6.0]))
    out: dict[str, list[float]] = {"gru": [], "gru_marker": [], "lstm": []}
    h = {"gru": _t([0.0]), "gru_marker": _t([0.0])}
    h_l, c_l = _t([0.0]), _t([0.0])
    for t in range(steps):
        x = _t([1.0 if t == 0 else 0.0])  # (I,) = (1,): the marker, then nothing
        h["gru"] = gru_step(x, h["gru"], gru_weights(0.0))  # (1,)
        h["gru_marker"] = gru_step(x, h["gru_marker"], gru_weights(Z_READS_MARKER))  # (1,)
        h_l, c_l = lstm_step(x, h_l, c_l, lstm)  # (1,) each
        out["gru"].append(float(h["gru"][0]))
        out["gru_marker"].append(float(h["gru_marker"][0]))
        out["lstm"].append(float(c_l[0]))
    return {**{k: np.array(v) for k, v in out.items()}, "z": np.asarray(1 / (1 + np.exp(-float(b))))}


def keep_write_explorer(values: Sequence[float] | None = None, *, steps: int = 30) -> Explorer:
    """Slider: the keep gate's bias :math:`b` (the GRU's :math:`b_z`, the LSTM's :math:`b_f`); shows what is left
    of one write over ``steps`` steps for a GRU with a constant update gate, a GRU whose update gate reads the
    marker, and an LSTM with its own input gate (:func:`keep_write_numbers`)."""
    values = list(values) if values is not None else _grid(-2, 6, 9)
    records = [keep_write_numbers(b, steps=steps) for b in values]
    labels = {"lstm": r"LSTM, own input gate: $c_t$", "gru": r"GRU, constant $z_t$: $h_t$",
              "gru_marker": r"GRU, $z_t$ reads $x_t$: $h_t$"}
    colours = {"lstm": viz.CELL_PARTS["cell"], "gru": viz.GRU_PARTS["update"], "gru_marker": viz.GRU_PARTS["reset"]}

    def view(b: float) -> Figure:
        n = keep_write_numbers(b, steps=steps)
        fig, (a,) = _fig(6.4, 3.3)
        t = np.arange(1, steps + 1)
        styles = {"lstm": {"linewidth": 5, "alpha": 0.45}, "gru_marker": {"linewidth": 2, "linestyle": "--"},
                  "gru": {"linewidth": 2, "marker": "o", "markersize": 3}}  # the first two coincide: wide under dashed
        for key in ("lstm", "gru_marker", "gru"):
            a.plot(t, n[key], color=colours[key], label=labels[key], **styles[key])
        a.set_ylim(-0.03, 1.03)
        a.set_xticks(viz.step_ticks(steps))
        a.set_xlabel("step $t$ (the write is at $t = 1$)")
        a.set_ylabel("memory left")
        a.set_title(f"keep-gate bias $b$ = {b:+.1f}: $z_t = \\sigma(b)$ = {float(n['z']):.3f}", fontsize=11)
        a.grid(alpha=0.3)
        a.legend(fontsize=8.5, frameon=False, loc="upper right")
        ends = "; ".join(f"{key} {n[key][0]:.3f} at step 1, {n[key][-1]:.3f} at step {steps}"
                         for key in ("lstm", "gru_marker", "gru"))
        return _finish(fig, f"Keep-gate bias b = {b:.1f} (z = {float(n['z']):.3f}): memory of one write over "
                            f"{steps} steps: {ends}.")

    return explorer(view, values, description=r"keep-gate bias $b$", value=2.0, records=records)
