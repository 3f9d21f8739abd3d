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
    "KEEP_WRITE_CELLS",
    "keep_write_explorer",
    "keep_write_inputs",
    "keep_write_numbers",
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


# --------------------------------------------------------------------------- coupled gates: keep or write


#: The weight of the keep gate on the marker channel where a gate reads it (``keep_write_numbers``): the
#: GRU's update gate :math:`z_t = \sigma(b + w\,m_t)` with :math:`w` = ``Z_READS_MARKER``, and the LSTM's
#: input gate :math:`i_t = \sigma(-6 + 12\,m_t)`.
Z_READS_MARKER = -12.0

#: The cells of :func:`keep_write_numbers`, in the order the explorer draws them.
KEEP_WRITE_CELLS: tuple[str, ...] = ("lstm", "lstm_marker", "gru_marker", "gru")


def keep_write_inputs(steps: int = 30, *, distractors: bool = False) -> np.ndarray:
    r"""The explorer's input sequence, ``(steps, 2)``: column 0 the marker :math:`m_t` (1 at step 1 only),
    column 1 the value :math:`v_t`: 1 at step 1 (the value to hold), then 0, or with ``distractors`` a fixed
    sequence of :math:`\pm 1` (drawn once from seed 3; they sum to -3, so a cell that adds them all up ends
    on the wrong side of 0), the one-unit picture of the task's distractor symbols."""
    if steps < 2:
        raise ValueError(f"`steps` must be at least 2 (the write, then one step to hold it), got {steps!r}.")
    x = np.zeros((steps, 2))
    x[0] = (1.0, 1.0)
    if distractors:
        signs = torch.randint(0, 2, (steps - 1,), generator=torch.Generator().manual_seed(3)).numpy()
        x[1:, 1] = 2.0 * signs - 1.0
    return x


def keep_write_numbers(b: float, *, steps: int = 30, distractors: bool = False) -> dict[str, np.ndarray]:
    r"""One unit writes :math:`\tanh(3) \approx 0.995` at step 1 (marker :math:`m_1 = 1`, value
    :math:`v_1 = 1`), then reads :math:`m_t = 0` and :math:`v_t` = 0 or, with ``distractors``, :math:`\pm 1`
    (:func:`keep_write_inputs`); the memory at every step for four cells whose keep gate has bias ``b``, all
    with the candidate :math:`\tanh(3 v_t)`:

    * ``"gru"``: a GRU whose update gate is the constant :math:`z_t = \sigma(b)`: it writes
      :math:`(1 - z_t)\,n_t` and keeps :math:`z_t` of its state per step (:func:`~lstm_course.gru.gru_step`).
    * ``"gru_marker"``: the same GRU, but :math:`z_t = \sigma(b + w\,m_t)` with :math:`w` =
      :data:`Z_READS_MARKER`: the marker opens the gate for writing, later steps keep.
    * ``"lstm"``: an LSTM with :math:`f_t = \sigma(b)` and an input gate that is always open,
      :math:`i_t = \sigma(6) \approx 1` (:func:`~lstm_course.cell.lstm_step`); its memory is :math:`c_t`.
    * ``"lstm_marker"``: the same LSTM with an input gate that opens at the marker only,
      :math:`i_t = \sigma(-6 + 12\,m_t)`: 0.998 at step 1, 0.0025 after.

    Returns arrays ``(steps,)`` for each of :data:`KEEP_WRITE_CELLS` (steps 1..``steps``), ``x`` (the inputs,
    ``(steps, 2)``) and ``z`` = :math:`\sigma(b)`.
    """
    x_seq = keep_write_inputs(steps, distractors=distractors)

    def gru_weights(w_zm: float) -> GRUWeights:  # W_r, W_z act on [h, m, v]; the candidate reads v only
        return GRUWeights(W_r=_t([[0.0, 0.0, 0.0]]), b_r=_t([0.0]), W_z=_t([[0.0, w_zm, 0.0]]), b_z=_t([float(b)]),
                          W_nx=_t([[0.0, 3.0]]), b_nx=_t([0.0]), W_nh=_t([[0.0]]), b_nh=_t([0.0]))

    def lstm_weights(w_im: float, b_i: float) -> CellWeights:  # every W acts on [h, m, v]
        return CellWeights(W_f=_t([[0.0, 0.0, 0.0]]), b_f=_t([float(b)]), W_i=_t([[0.0, w_im, 0.0]]),
                           b_i=_t([b_i]), W_c=_t([[0.0, 0.0, 3.0]]), b_c=_t([0.0]),
                           W_o=_t([[0.0, 0.0, 0.0]]), b_o=_t([6.0]))

    gru_w = {"gru": gru_weights(0.0), "gru_marker": gru_weights(Z_READS_MARKER)}
    lstm_w = {"lstm": lstm_weights(0.0, 6.0), "lstm_marker": lstm_weights(12.0, -6.0)}
    out: dict[str, list[float]] = {k: [] for k in KEEP_WRITE_CELLS}
    h = {k: _t([0.0]) for k in KEEP_WRITE_CELLS}  # (1,) each
    c = {k: _t([0.0]) for k in lstm_w}  # (1,) each
    for x_t in x_seq:
        x = _t(x_t)  # (I,) = (2,): marker, value
        for k, w in gru_w.items():
            h[k] = gru_step(x, h[k], w)  # (1,)
            out[k].append(float(h[k][0]))
        for k, w in lstm_w.items():
            h[k], c[k] = lstm_step(x, h[k], c[k], w)  # (1,) each
            out[k].append(float(c[k][0]))
    return {**{k: np.array(v) for k, v in out.items()}, "x": x_seq,
            "z": np.asarray(1 / (1 + np.exp(-float(b))))}


def keep_write_explorer(values: Sequence[float] | None = None, *, steps: int = 30) -> Explorer:
    """Slider: the keep gate's bias :math:`b` (the GRU's :math:`b_z`, the LSTM's :math:`b_f`); shows the memory of
    one write over ``steps`` steps for the four cells of :func:`keep_write_numbers`, in two panels: inputs 0
    after the write (top) and distractors :math:`\\pm 1` (bottom). Records per position:
    ``{"zeros": keep_write_numbers(b), "distractors": keep_write_numbers(b, distractors=True)}``."""
    values = list(values) if values is not None else _grid(-2, 6, 9)
    records = [{"zeros": keep_write_numbers(b, steps=steps),
                "distractors": keep_write_numbers(b, steps=steps, distractors=True)} for b in values]
    by_b = dict(zip(values, records, strict=True))
    labels = {"lstm": r"LSTM, input gate always open: $c_t$", "lstm_marker": r"LSTM, $i_t$ opens at the marker: $c_t$",
              "gru": r"GRU, constant $z_t$: $h_t$", "gru_marker": r"GRU, $z_t$ reads the marker: $h_t$"}
    colours = {"lstm": viz.CELL_PARTS["cell"], "lstm_marker": viz.CELL_PARTS["input"],
               "gru": viz.GRU_PARTS["update"], "gru_marker": viz.GRU_PARTS["reset"]}
    styles = {"lstm": {"linewidth": 2.5}, "lstm_marker": {"linewidth": 5, "alpha": 0.4},
              "gru_marker": {"linewidth": 2, "linestyle": "--"},  # coincides with lstm_marker: wide under dashed
              "gru": {"linewidth": 2, "marker": "o", "markersize": 3}}

    def view(b: float) -> Figure:
        rec = by_b[b] if b in by_b else {"zeros": keep_write_numbers(b, steps=steps),
                                         "distractors": keep_write_numbers(b, steps=steps, distractors=True)}
        fig = Figure(figsize=(6.4, 6.2))
        fig.set_facecolor(viz.FACE)
        axes = fig.subplots(2, 1, sharex=True)
        t = np.arange(1, steps + 1)
        for a, mode, title in ((axes[0], "zeros", "after the write: inputs 0"),
                               (axes[1], "distractors", r"after the write: distractors $v_t = \pm 1$")):
            n = rec[mode]
            for key in KEEP_WRITE_CELLS:
                a.plot(t, n[key], color=colours[key], label=labels[key], **styles[key])
            a.axhline(float(np.tanh(3.0)), color="#444444", linestyle=":", linewidth=1)
            a.set_title(title, fontsize=12)
            a.set_ylabel("memory", fontsize=11)
            a.grid(alpha=0.3)
            a.tick_params(labelsize=10)
        axes[0].set_ylim(-0.05, 1.1)
        axes[1].set_xticks(viz.step_ticks(steps))
        axes[1].set_xlabel("step $t$ (the write is at $t = 1$; dotted: the value written)", fontsize=11)
        fig.suptitle(f"keep-gate bias $b$ = {b:+.1f}: $\\sigma(b)$ = {float(rec['zeros']['z']):.3f}", fontsize=12)
        handles, names = axes[0].get_legend_handles_labels()
        fig.legend(handles, names, loc="lower center", ncol=2, fontsize=10, frameon=False)  # below the panels
        fig.tight_layout(rect=(0, 0.12, 1, 1))
        ends = "; ".join(
            f"{mode}: " + ", ".join(f"{key} {rec[mode][key][0]:.3f} at step 1, {rec[mode][key][-1]:.3f} at step "
                                    f"{steps}" for key in KEEP_WRITE_CELLS) for mode in ("zeros", "distractors"))
        viz.set_alt(fig, f"Keep-gate bias b = {b:.1f} (sigma(b) = {float(rec['zeros']['z']):.3f}): memory of one "
                         f"write over {steps} steps, {ends}.")
        return fig

    return explorer(view, values, description=r"keep-gate bias $b$", value=2.0, records=records)
