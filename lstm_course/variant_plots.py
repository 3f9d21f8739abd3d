r"""The figures of chapter 09 (variants): the memory of each untrained model, and the sweep seed by seed.

:func:`memory_before_training` runs each model of the variants sweep, as
:func:`lstm_course.variant_sweep.build_model` initialises it (keep-gate bias 5, input-gate bias
``input_bias``), over a batch of the recall task's sequences before any training step, and records the
size of its memory at every step: :math:`|c_t|` for the three LSTMs, :math:`|h_t|` for the GRU (its only
state). With the LSTM's input gate at :math:`\sigma(0) = 0.5` and its forget gate at
:math:`\sigma(5) \approx 0.993`, every distractor adds about half a candidate to :math:`c_t`, which keeps
growing; where :math:`|c_t|` is large, :math:`\tanh(c_t)` is flat, and the gradient that reaches
:math:`c_t` through :math:`h_t = o_t \odot \tanh(c_t)` is multiplied by
:math:`1 - \tanh^2(c_t) \approx 0`. :func:`plot_memory_before_training` draws it;
:func:`plot_sweep_by_seed` draws every seed of the sweep's ``"compare"`` part as a dot.

The forward passes run in float64 from fixed seeds, so their numbers do not depend on the CPU's rounding.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from . import viz
from .gru import gru_step
from .layout import gru_from_torch_layout
from .tasks import DEFAULT_CONFIG, RecallTask
from .variant_sweep import LENGTHS, SEEDS, SOLVED, adam_burst, build_model
from .variants import coupled_step, peephole_step

__all__ = ["MEMORY_MODELS", "memory_before_training", "model_label", "plot_clipping", "plot_memory_before_training",
           "plot_sweep_by_seed"]

#: The models of the figure: ``(kind, input_bias)``; ``input_bias`` None for the cells without an input gate.
MEMORY_MODELS: tuple[tuple[str, float | None], ...] = (
    ("lstm", 0.0), ("lstm", -5.0), ("peephole", 0.0), ("peephole", -5.0), ("gru", None), ("coupled", None))

_NAMES = {"lstm": "LSTM", "gru": "GRU", "peephole": "peephole LSTM", "coupled": "coupled LSTM", "rnn": "RNN"}
_COLOURS = {("lstm", 0.0): "#d62728", ("lstm", -2.0): "#ff9896", ("lstm", -5.0): "#1f77b4",
            ("peephole", 0.0): "#9467bd", ("peephole", -5.0): "#17becf", ("gru", None): "#2ca02c",
            ("coupled", None): "#8c564b", ("rnn", None): "#7f7f7f"}
_MARKERS = {("lstm", 0.0): "o", ("lstm", -2.0): "v", ("lstm", -5.0): "s", ("peephole", 0.0): "D",
            ("peephole", -5.0): "P", ("gru", None): "^", ("coupled", None): "X", ("rnn", None): "*"}


def model_label(kind: str, input_bias: float | None) -> str:
    """``"LSTM, b_i + 0"``, ``"GRU"``, ...: the name the chapter's table and figures give a sweep row."""
    if kind not in _NAMES:
        raise ValueError(f"`kind` must be one of {sorted(_NAMES)}, got {kind!r}.")
    return _NAMES[kind] if input_bias is None else f"{_NAMES[kind]}, b_i {input_bias:+g}"


def _memory_sequence(model: torch.nn.Module, kind: str, x: torch.Tensor) -> torch.Tensor:
    """The memory at every step, ``x (T, B, I) -> (T, B, H)``: :math:`c_t` of an LSTM, :math:`h_t` of the GRU."""
    layer = model.recurrent
    with torch.no_grad():
        if kind == "lstm":
            _, _, gates = layer(x, return_gates=True)
            return gates.c_t  # (T, B, H)
        B, H = x.shape[1], layer.hidden_size
        h, c = x.new_zeros(B, H), x.new_zeros(B, H)  # (B, H) each
        out = []
        if kind == "gru":
            w = gru_from_torch_layout(layer.weight_ih_l0, layer.weight_hh_l0, layer.bias_ih_l0, layer.bias_hh_l0)
            for x_t in x.unbind(0):
                h = gru_step(x_t, h, w)  # (B, H)
                out.append(h)
        elif kind in ("peephole", "coupled"):
            w = layer.weights()
            step = peephole_step if kind == "peephole" else coupled_step
            for x_t in x.unbind(0):
                h, c = step(x_t, h, c, w)  # (B, H) each
                out.append(c)
        else:
            raise ValueError(f"`kind` must be 'lstm', 'gru', 'peephole' or 'coupled', got {kind!r}.")
        return torch.stack(out)  # (T, B, H)


def memory_before_training(
    kind: str, input_bias: float | None = None, *, length: int = LENGTHS[-1], seeds: Sequence[int] = SEEDS,
    batch_size: int = 256,
) -> dict[str, Any]:
    r"""The untrained model's memory on ``batch_size`` sequences of the recall task of ``length`` steps, for
    each of ``seeds`` (the sweep's initial weights; the batch is drawn from the same seed), in float64.

    Returns ``abs_mean (S, T)``: mean of :math:`|c_t|` (GRU: :math:`|h_t|`) over sequences and units at
    steps 1..T; ``saturated (S,)``: the share of (sequence, unit) pairs with :math:`|c_T| > 2`;
    ``slope (S,)``: the mean of :math:`1 - \tanh^2(c_T)`, the factor by which :math:`\tanh` passes a
    gradient from :math:`h_T` to :math:`c_T` (for the GRU, which has no :math:`c`, of :math:`h_T`, as a
    comparison only); and ``kind``, ``input_bias``, ``length``, ``seeds``.
    """
    if length < 1 or batch_size < 1:
        raise ValueError(f"`length` and `batch_size` must be positive, got {length!r} and {batch_size!r}.")
    task = RecallTask(length=length, num_symbols=DEFAULT_CONFIG.task.num_symbols)
    abs_mean, saturated, slope = [], [], []
    for seed in seeds:
        cell = dict(part="compare", kind=kind, length=length, clip=DEFAULT_CONFIG.clip, window=None,
                    input_bias=input_bias, seed=seed)
        model = build_model(cell).double()
        x, _ = task.sample(batch_size, generator=torch.Generator().manual_seed(seed))
        mem = _memory_sequence(model, kind, x.double())  # (T, B, H)
        abs_mean.append(mem.abs().mean(dim=(1, 2)).numpy())
        last = mem[-1]  # (B, H)
        saturated.append(float((last.abs() > 2).double().mean()))
        slope.append(float((1 - torch.tanh(last) ** 2).mean()))
    return {"kind": kind, "input_bias": input_bias, "length": length, "seeds": list(seeds),
            "abs_mean": np.stack(abs_mean), "saturated": np.array(saturated), "slope": np.array(slope)}


def plot_memory_before_training(results: Sequence[Mapping[str, Any]], ax: Axes | None = None) -> Axes:
    """Mean :math:`|c_t|` (GRU: :math:`|h_t|`) over steps, one line per model of ``results``
    (:func:`memory_before_training`'s dicts): the mean over seeds, with the band from the lowest to the highest
    seed. A log scale, since the models differ by a factor of 100; the legend sits outside the axes."""
    if not results:
        raise ValueError("`results` must be a non-empty list of memory_before_training() dicts.")
    if ax is None:
        fig = plt.figure(figsize=(7.0, 5.6))  # pyplot: the notebook shows it
        fig.set_facecolor(viz.FACE)
        ax = fig.add_subplot(1, 1, 1)
    alt = []
    for r in results:
        key = (r["kind"], r["input_bias"])
        a = r["abs_mean"]  # (S, T)
        t = np.arange(1, a.shape[1] + 1)
        label = model_label(*key) + (r" ($|h_t|$)" if r["kind"] == "gru" else "")
        colour = _COLOURS.get(key, "#333333")
        every = max(1, len(t) // 6)  # markers staggered from line to line, so that lines on top of each other show
        ax.plot(t, a.mean(0), color=colour, label=label, linewidth=2, marker=_MARKERS.get(key, "o"),
                markevery=(len(alt) * every // len(results), every), markersize=6)
        ax.fill_between(t, a.min(0), a.max(0), color=colour, alpha=0.15, linewidth=0)
        alt.append(f"{label}: {a.mean(0)[-1]:.3g} at step {len(t)}")
    ax.axhline(2.0, color="#444444", linestyle=":", linewidth=1)
    ax.set_yscale("log")
    ax.set_xlabel("step $t$", fontsize=11)
    ax.set_ylabel("mean $|c_t|$ before training", fontsize=11)
    ax.set_title("the memory of each untrained model on the recall task (dotted: |c| = 2)", fontsize=11)
    ax.tick_params(labelsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=10, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    fig = ax.figure
    fig.tight_layout()
    viz.set_alt(fig, "Mean |c_t| over the steps of the recall task before any training, mean over "
                     f"{len(results[0]['seeds'])} seeds, log scale: " + "; ".join(alt) + ".")
    return ax


def plot_sweep_by_seed(cells: Sequence[Mapping[str, Any]], lengths: Sequence[int] | None = None) -> Figure:
    """The sweep's ``"compare"`` cells, one dot per seed: a panel per sequence length (stacked), a row per model
    and input-gate bias, the accuracy on the x axis, and "k of n" solved (accuracy ≥ :data:`SOLVED`) at the right."""
    compare = [c for c in cells if c["part"] == "compare"]
    if not compare:
        raise ValueError("`cells` holds no 'compare' cells; pass load_sweep()['cells'].")
    lengths = sorted({c["length"] for c in compare}) if lengths is None else list(lengths)
    rows: list[tuple[str, float | None]] = []
    for c in compare:
        if (c["kind"], c["input_bias"]) not in rows:
            rows.append((c["kind"], c["input_bias"]))
    fig = plt.figure(figsize=(7.0, 2.0 + 2.6 * len(lengths)))  # pyplot: the notebook shows it
    fig.set_facecolor(viz.FACE)
    axes = fig.subplots(len(lengths), 1, sharex=True, squeeze=False)[:, 0]
    alt = []
    for ax, T in zip(axes, lengths, strict=True):
        for k, key in enumerate(rows):
            accs = np.array([c["accuracy"] for c in compare
                             if c["length"] == T and (c["kind"], c["input_bias"]) == key])
            if not len(accs):
                continue
            jitter = np.linspace(-0.25, 0.25, len(accs))
            y = len(rows) - 1 - k
            ax.scatter(100 * accs, y + jitter, color=_COLOURS.get(key, "#333333"), marker=_MARKERS.get(key, "o"),
                       s=28, alpha=0.8, zorder=3)
            solved = int((accs >= SOLVED).sum())
            ax.text(1.01, y, f"{solved} of {len(accs)}", transform=ax.get_yaxis_transform(), va="center", fontsize=10)
            alt.append(f"T = {T}, {model_label(*key)}: {solved} of {len(accs)} solved, mean {100 * accs.mean():.0f} %")
        ax.set_yticks(range(len(rows)), [model_label(*key) for key in reversed(rows)], fontsize=10)
        ax.axvline(25, color="#444444", linestyle=":", linewidth=1)
        ax.set_title(f"T = {T}: accuracy of each seed (right: seeds solved, ≥ {100 * SOLVED:.0f} %)", fontsize=11)
        ax.set_xlim(15, 105)
        ax.grid(axis="x", alpha=0.3)
        ax.tick_params(labelsize=10)
    axes[-1].set_xlabel("accuracy on 1000 fresh sequences, % (dotted: chance, 25 %)", fontsize=11)
    fig.tight_layout()
    viz.set_alt(fig, "The variants sweep seed by seed: " + "; ".join(alt) + ".")
    return fig


def plot_clipping(free: Mapping[str, Sequence[float]], clipped: Mapping[str, Sequence[float]], *,
                  seed: int | None = None) -> Figure:
    """Two stacked panels over the training steps of one seed, without clipping (``free``) and clipped at 1
    (``clipped``), both ``"clip"`` cells' histories: the gradient norm before clipping (top) and how far each
    Adam step moved the weights (bottom), log scales, the unclipped run's largest gradient marked (dotted)."""
    burst = adam_burst(dict(free))
    fig = plt.figure(figsize=(7.0, 6.4))  # pyplot: the notebook shows it
    fig.set_facecolor(viz.FACE)
    axes = fig.subplots(2, 1, sharex=True)
    runs = (("no clipping", free, "#d62728", 1.6), ("clipped at 1", clipped, "#1f77b4", 1.2))
    for ax, metric, ylabel in ((axes[0], "grad_norm", r"$\|g\|$ before clipping"),
                               (axes[1], "step_norm", r"step $\|\theta_s - \theta_{s-1}\|$")):
        for label, hist, colour, width in runs:
            ys = np.asarray(hist[metric], dtype=float)
            ax.plot(np.arange(1, len(ys) + 1), ys, color=colour, linewidth=width, label=label, alpha=0.85)
        ax.axvline(burst["at"], color="#444444", linestyle=":", linewidth=1)
        ax.set_yscale("log")
        ax.set_ylabel(ylabel, fontsize=11)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=10)
    axes[0].axhline(1.0, color="#444444", linestyle="--", linewidth=1)
    axes[0].set_title("gradient norm (dashed: the threshold 1; dotted: the largest burst)", fontsize=11)
    axes[1].set_title("how far each Adam step moved the weights", fontsize=11)
    axes[1].set_xlabel("training step" + ("" if seed is None else f" (seed {seed})"), fontsize=11)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=2, fontsize=10, frameon=False)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    viz.set_alt(fig, f"Gradient norm and Adam step size over 600 training steps, with and without clipping: the "
                     f"unclipped run's largest gradient, {burst['grad']:.3g} at step {burst['at']} "
                     f"({burst['grad_ratio']:.0f} times its median), moved the weights {burst['step']:.3g} "
                     f"({burst['step_ratio']:.1f} times the median step).")
    return fig
