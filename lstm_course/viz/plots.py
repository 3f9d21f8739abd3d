"""The chapters' plots: activations, gate values, heatmaps, trajectories, gradients, learning curves, spreads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ._base import (
    CELL_PARTS,
    FACE,
    GATE_RANGES,
    LEGEND_SIZE,
    MAX_TICKS,
    SYMBOLS,
    _fmt,
    _new_axes,
    legend_below,
    set_alt,
    step_ticks,
    to_numpy,
)


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
    ax.legend(loc="lower right", fontsize=LEGEND_SIZE, frameon=False)  # a rising curve leaves it empty
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
    ncols: int | None = None,
) -> Figure:
    """Heatmaps of every gate over time: one panel per key, time :math:`t = 1 \\ldots T` across, unit up.

    The panels fill a grid ``ncols`` wide (default: as many 3.2-inch columns as the figure has, at most 2 for the
    default figure, 6.8 inches wide like the book's text column), so that the tick labels stay 10 pt and apart
    when the page shows the figure at the column's width; each time axis gets as many ticks as its width holds.

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
    n = len(arrays)
    if ncols is not None and (not isinstance(ncols, int) or ncols < 1):
        raise ValueError(f"`ncols` must be a positive int (panels per row) or None; got {ncols!r}.")
    if fig is None:
        cols = min(n, ncols or 2)
        rows = -(-n // cols)
        fig = plt.figure(figsize=(6.8 if cols > 1 else 3.6, 2.4 * rows + 0.2))
    if fig.axes:
        raise ValueError("`fig` must be an empty Figure (plot_gate_heatmaps adds one Axes per gate).")
    fig.set_facecolor(FACE)
    cols = min(n, ncols or max(1, int(fig.get_size_inches()[0] // 3.2)))
    rows = -(-n // cols)
    grid = fig.subplots(rows, cols, squeeze=False).reshape(-1)
    for spare in grid[n:]:
        spare.set_visible(False)
    axes = grid[:n]
    panel_inches = fig.get_size_inches()[0] / cols - 0.9  # less the colour bar and the unit axis
    max_ticks = int(max(3, min(MAX_TICKS, panel_inches / 0.45)))
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
        if a in grid[(rows - 1) * cols:] or a is axes[-1] or a in grid[n - cols:n]:
            a.set_xlabel("step $t$")
        a.set_xticks(step_ticks(T, max_ticks))
        a.yaxis.set_major_locator(MaxNLocator(nbins=max_ticks - 1, integer=True, min_n_ticks=1))
        fig.colorbar(im, ax=a, fraction=0.08, pad=0.03)
        ranges.append(f"{k} from {arr.min():.2g} to {arr.max():.2g} (colour scale {lo:.2g} to {hi:.2g})")
    for a in axes[::cols]:
        a.set_ylabel("unit")
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
    legend: bool = True,
) -> Axes:
    """The cell state :math:`c_t` over steps :math:`t = 1 \\ldots T` (``(T,)`` or ``(T, H)``) and, if given, the
    forget gate :math:`f_t` and the fraction of the first step's memory :math:`c_1` that the forget gates keep
    until step :math:`t`, :math:`\\prod_{j=2}^{t} f_j` (the gates of steps 2 to :math:`t`; 1 at :math:`t = 1`),
    the book's :math:`c_T = c_1 \\prod_{t=2}^{T} f_t` when nothing more is written. With ``(T, H)``
    gates, the mean over units is used. :math:`c_t` is read on the left axis; :math:`f_t` and the share kept,
    fractions from 0 to 1, on their own axis on the right (``ax._lstm_share_axes``).
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
    ax.axhline(0, color="#444444", linewidth=0.8)
    ax.set_xticks(step_ticks(T))
    ax.set_xlabel("step $t$")
    ax.set_ylabel(r"cell state $c_t$", color=CELL_PARTS["cell"])
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if f is not None:
        f_arr = to_numpy(f, "f")
        if f_arr.ndim == 1:
            f_arr = f_arr[:, None]
        if f_arr.shape[0] != T:
            raise ValueError(f"`f` must have as many steps as `c` ({T}); got shape {f_arr.shape}.")
        f_mean = f_arr.mean(axis=1)  # (T,)
        kept = np.cumprod(np.concatenate([[1.0], f_mean[1:]]))  # (T,) ∏_{j=2}^{t} f_j: 1, f_2, f_2 f_3, …
        # f_t and the share kept are fractions, not cell states: they get their own axis, on the right, 0 to 1.
        share = ax.twinx()
        share.plot(steps, f_mean, "--", color=CELL_PARTS["forget"], linewidth=1.5, label=r"$f_t$")
        share.plot(steps, kept, ":", color="#555555", linewidth=2.2,
                   label=r"$f_2 \cdots f_t$: share of $c_1$ kept")
        share.set_ylim(-0.05, 1.05)
        share.set_ylabel("gate, share kept (0 to 1)", color="#555555")
        ax._lstm_share_axes = share  # type: ignore[attr-defined]
        more_h, more_l = share.get_legend_handles_labels()
        handles, labels = handles + more_h, labels + more_l
        alt += (f", and on a separate 0-to-1 axis on the right the forget gate f_t and the fraction of the first "
                f"step's memory kept, the product of f_j for j = 2 to t (ends at {kept[-1]:.2g})")
    if legend:  # under the axes, never over the lines; ``legend=False`` for all but one of several panels
        legend_below(ax, handles, labels)
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
    legend_below(ax)
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
    legend_below(ax)
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
    panels: bool | None = None,
) -> Axes:
    """Mean and spread over seeds: one line per group ``by`` (or one line), the mean as markers and a bar
    from the lowest to the highest seed.

    ``rows``: dicts with ``x``'s value, ``mean``, ``min``, ``max`` (and ``by``'s), as
    :func:`lstm_course.variant_sweep.summarise` returns them. ``labels`` maps group values to legend text.

    ``panels``: one small panel per group (the other groups drawn thin and grey behind it), so that groups with
    the same numbers do not hide one another; the default when there are three groups or more and ``ax`` is
    ``None``. Then the first panel is returned and the Figure holds the alt text.
    """
    if not rows:
        raise ValueError("`rows` must be a non-empty list of dicts with the x value, 'mean', 'min' and 'max'.")
    for r in rows:
        missing = {x, "mean", "min", "max", *([by] if by else [])} - set(r)
        if missing:
            raise ValueError(f"every row needs {sorted(missing)}; got keys {sorted(r)}.")
    groups: dict[Any, list[Mapping[str, Any]]] = {}
    for r in rows:
        groups.setdefault(r[by] if by else None, []).append(r)
    if panels is None:
        panels = ax is None and by is not None and len(groups) >= 3
    if panels:
        if ax is not None or not by:
            raise ValueError("`panels=True` draws its own figure from the groups of `by`: pass no `ax`, and `by`.")
        return _spread_panels(groups, x, labels=labels, chance=chance, xlabel=xlabel or x, ylabel=ylabel,
                              title=title)
    ax = _new_axes(ax, (6.4, 3.6))
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
        ax.legend(fontsize=LEGEND_SIZE, frameon=False, loc="center left", bbox_to_anchor=(1.01, 0.5))
    if title:
        ax.set_title(title)
    set_alt(ax, f"{ylabel} against {xlabel or x}, mean over seeds with bars from the lowest to the highest seed: "
            + "; ".join(ends) + ".")
    return ax


def _spread_panels(groups: Mapping[Any, list[Mapping[str, Any]]], x: str, *, labels: Mapping[Any, str] | None,
                   chance: float | None, xlabel: str, ylabel: str, title: str | None) -> Axes:
    """:func:`plot_spread` as small multiples: a grid three panels wide, one group per panel."""
    n = len(groups)
    cols = min(n, 3)
    nrows = -(-n // cols)
    fig = plt.figure(figsize=(6.8, 2.3 * nrows + 0.5))
    fig.set_facecolor(FACE)
    grid = fig.subplots(nrows, cols, squeeze=False, sharex=True, sharey=True).reshape(-1)
    for spare in grid[n:]:
        spare.set_visible(False)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    series = {}
    for group, members in groups.items():
        members = sorted(members, key=lambda r: r[x])
        series[group] = (np.array([r[x] for r in members], dtype=float), np.array([r["mean"] for r in members]),
                         np.array([r["min"] for r in members]), np.array([r["max"] for r in members]))
    xs_all = sorted({float(v) for xv, *_ in series.values() for v in xv})
    ends = []
    for k, (a, (group, (xv, mean, lo, hi))) in enumerate(zip(grid, series.items(), strict=False)):
        a.set_facecolor(FACE)
        for other, (ox, om, _, _) in series.items():
            if other != group:
                a.plot(ox, om, color="#c8c8c8", linewidth=1.2, zorder=1)
        label = (labels or {}).get(group, str(group))
        a.errorbar(xv, mean, yerr=[mean - lo, hi - mean], marker="o", markersize=5, linewidth=2, capsize=3,
                   color=colours[k % len(colours)], zorder=3)
        if chance is not None:
            a.axhline(chance, color="#777777", linestyle=":", linewidth=1.5, zorder=2)
        a.set_title(label, fontsize=11)
        a.grid(alpha=0.3)
        ends.append(f"{label} from {mean[0]:.2f} to {mean[-1]:.2f}")
    first = grid[0]
    if ylabel == "accuracy":
        first.set_ylim(-0.02, 1.05)
    first.set_xticks(xs_all)
    first.set_xticklabels([f"{v:g}" for v in xs_all])
    for a in grid[:n]:
        a.tick_params(labelsize=10)
    for a in grid[:n:cols]:
        a.set_ylabel(ylabel)
    for a in grid[max(0, n - cols):n]:
        a.set_xlabel(xlabel)
        a.xaxis.set_tick_params(labelbottom=True)
    note = f"dotted line: chance ({chance:g})" if chance is not None else ""
    if title or note:
        fig.suptitle("\n".join(t for t in (title, note) if t), fontsize=11)
    fig.tight_layout()
    set_alt(first, "")
    set_alt(fig, f"{ylabel} against {xlabel}, one panel per model (the other models in grey behind it), mean over "
            "seeds with bars from the lowest to the highest seed: " + "; ".join(ends) + "."
            + (f" A dotted line marks chance, {chance:g}." if chance is not None else ""))
    return first
