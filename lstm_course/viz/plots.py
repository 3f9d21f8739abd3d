"""The chapters' plots: activations, gate values, heatmaps, trajectories, gradients, learning curves, spreads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ._base import CELL_PARTS, FACE, GATE_RANGES, MAX_TICKS, SYMBOLS, _fmt, _new_axes, set_alt, step_ticks, to_numpy


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
