r"""The measurements behind the chapters "Variants" (09) and "Practice" (10), on the training chapter's recall task.

Three grids, each cell one training run of :func:`lstm_course.tasks.train` from the book's
:data:`~lstm_course.tasks.DEFAULT_CONFIG` (H = 32, 600 Adam steps of 32 sequences at lr 3e-3, keep-gate
bias 5, gradient clipping at norm 1) with a few fields replaced, scored by
:func:`~lstm_course.tasks.evaluate` on 1000 fresh sequences, over :data:`SEEDS` (8 seeds):

* ``"compare"``: every model of :data:`MODELS` (LSTM, GRU, peephole LSTM, coupled-gate LSTM, vanilla
  RNN) × sequence length :data:`LENGTHS`; the two cells with an input gate also × input-gate bias
  :math:`b_i` (:data:`INPUT_BIASES`: the LSTM at 0, -2 and -5, the peephole LSTM at 0 and -5; added to the drawn
  bias as the keep-gate bias 5 is added to :math:`b_f`). The GRU's and the coupled cell's write gate is
  :math:`1 - \sigma(b_\text{keep})`, so at keep-gate bias 5 it starts at :math:`1 - \sigma(5) \approx 0.007`;
  the LSTM's input gate starts at :math:`\sigma(b_i)`: 0.5 at :math:`b_i = 0`, :math:`\sigma(-5) \approx 0.007`
  at :math:`b_i = -5` (the *matched* initialisation). With the number of parameters and the training time (one
  CPU thread).
* ``"clip"``: the LSTM at T = 60 with gradient clipping at norm 1 and without (:data:`CLIPS`), with the
  training history at every step (loss, accuracy, gradient norm before clipping, and how far Adam's step
  moved the weights; :func:`adam_burst` reads it).
* ``"tbptt"``: the LSTM at T = :data:`TBPTT_LENGTH` trained with truncated backpropagation through
  time (:class:`lstm_course.practice.TruncatedBPTT`) of window :data:`WINDOWS`.

The whole sweep takes about 1,000 CPU seconds (tens of minutes on a shared machine), so
``tools/sweep_variants.py`` runs it into :data:`VARIANTS_PATH` (committed);
:func:`load_sweep` reads it, :func:`summarise` groups it over
seeds (mean, range and how many seeds solved the task, accuracy ≥ :data:`SOLVED`), and a test re-runs
a cell whose outcome holds on every float path.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .conditions import SOLVED, load_sweep_file, spread_over_seeds
from .layout import gate_slice
from .practice import TruncatedBPTT
from .tasks import DEFAULT_CONFIG, RecallTask, SequenceClassifier, TrainConfig, evaluate, train

__all__ = [
    "CELL_KEYS",
    "CLIPS",
    "INPUT_BIASES",
    "LENGTHS",
    "MODELS",
    "SEEDS",
    "SOLVED",
    "adam_burst",
    "TBPTT_LENGTH",
    "VARIANTS_PATH",
    "WINDOWS",
    "build_model",
    "config_for",
    "load_sweep",
    "run_cell",
    "summarise",
    "sweep_cells",
]

MODELS: tuple[str, ...] = ("lstm", "gru", "peephole", "coupled", "rnn")
LENGTHS: tuple[int, ...] = (100,)
#: The input-gate bias offsets of the cells that have an input gate; 0 is PyTorch's draw. The peephole cell runs at
#: 0 and at the matched -5.
INPUT_BIASES: dict[str, tuple[float, ...]] = {"lstm": (0.0, -2.0, -5.0), "peephole": (0.0, -5.0)}
SEEDS: tuple[int, ...] = tuple(range(8))
CLIPS: tuple[float | None, ...] = (1.0, None)
TBPTT_LENGTH = 30
WINDOWS: tuple[int, ...] = (5, 10, 20, 30)

#: The committed results (inside the package, so that a notebook finds them on Colab too).
VARIANTS_PATH = Path(__file__).parent / "data" / "variants.json"

Cell = dict[str, Any]

#: The fields that name a cell (the rest of a stored cell is its result).
CELL_KEYS: tuple[str, ...] = ("part", "kind", "length", "clip", "window", "input_bias", "seed")


def sweep_cells() -> list[Cell]:
    """Every cell: ``{"part", "kind", "length", "clip", "window", "input_bias", "seed"}`` (``window`` None =
    full BPTT; ``input_bias`` None for the cells without an input gate, else the offset added to :math:`b_i`)."""
    clip = DEFAULT_CONFIG.clip
    cells = [dict(part="compare", kind=kind, length=T, clip=clip, window=None, input_bias=b_i, seed=seed)
             for T in LENGTHS for kind in MODELS for b_i in INPUT_BIASES.get(kind, (None,)) for seed in SEEDS]
    cells += [dict(part="clip", kind="lstm", length=DEFAULT_CONFIG.task.length, clip=c, window=None, input_bias=0.0,
                   seed=seed) for c in CLIPS for seed in SEEDS]
    cells += [dict(part="tbptt", kind="lstm", length=TBPTT_LENGTH, clip=clip, window=k, input_bias=0.0, seed=seed)
              for k in WINDOWS for seed in SEEDS]
    return cells


def build_model(cell: Cell) -> SequenceClassifier:
    """The cell's untrained model: :class:`~lstm_course.tasks.SequenceClassifier` drawn from the cell's seed,
    keep-gate bias 5, and ``cell["input_bias"]`` added to the input gate's bias (LSTM: ``bias_ih``'s
    input rows, so that :math:`b_i = b_{ih,i} + b_{hh,i}` moves by it; peephole: ``b_i``)."""
    config = config_for(cell)
    task = config.task
    model = SequenceClassifier(cell["kind"], task.input_size, config.hidden_size, task.num_symbols,
                               forget_bias=config.forget_bias, init_scale=config.init_scale,
                               generator=torch.Generator().manual_seed(config.seed))
    b_i = cell.get("input_bias")
    if b_i:
        with torch.no_grad():
            if cell["kind"] == "lstm":
                model.recurrent.bias_ih_l0[gate_slice("i", config.hidden_size)] += b_i
            elif cell["kind"] == "peephole":
                model.recurrent.b_i += b_i
            else:
                raise ValueError(f"`cell['input_bias']` must be None for kind {cell['kind']!r}: it has no input "
                                 "gate (its write gate is 1 - keep gate).")
    return model


def config_for(cell: Cell) -> TrainConfig:
    """:data:`~lstm_course.tasks.DEFAULT_CONFIG` with the cell's sequence length, clipping and seed."""
    missing = {"kind", "length", "clip", "seed"} - set(cell)
    if missing:
        raise ValueError(f"`cell` lacks {sorted(missing)}; take cells from sweep_cells() or load_sweep().")
    task = RecallTask(length=cell["length"], num_symbols=DEFAULT_CONFIG.task.num_symbols)
    return replace(DEFAULT_CONFIG, task=task, clip=cell["clip"], seed=cell["seed"])


def _rounded(values: list[float]) -> list[float]:
    return [float(f"{v:.3g}") for v in values]


def run_cell(cell: Cell, *, history: bool | None = None) -> Cell:
    r"""Train the cell's model on the CPU; return the cell with ``accuracy``, ``loss``, ``params`` (of the
    recurrent layer), ``seconds`` (wall time of training) and ``cpu_seconds`` (this thread's CPU time, which
    other processes on a shared machine disturb less; the sweep runs torch on one thread).

    ``history`` (default: for the ``"clip"`` cells) adds the training history of every step 1..600:
    ``loss``, ``accuracy`` (of the step's batch), ``grad_norm`` (before clipping) and ``step_norm``, the norm
    :math:`\lVert \theta_s - \theta_{s-1} \rVert` of all parameters' change by Adam's step, 3 significant digits.
    """
    config = config_for(cell)
    task = config.task
    model = build_model(cell)
    trained = model if cell.get("window") is None else TruncatedBPTT(model, cell["window"])
    record = history if history is not None else cell["part"] == "clip"
    steps: list[float] = []
    hooks = _step_norm_hooks(list(model.parameters()), steps) if record else []
    start, cpu_start = time.perf_counter(), time.thread_time()
    try:
        hist = train(trained, task, config.steps, config.lr, config.batch_size, config.seed, progress=False,
                     log_every=1, clip=config.clip)
    finally:
        for hook in hooks:
            hook.remove()
    seconds, cpu_seconds = time.perf_counter() - start, time.thread_time() - cpu_start
    result = evaluate(model, task)
    out = {**cell, "accuracy": result.accuracy, "loss": result.loss,
           "params": sum(p.numel() for p in model.recurrent.parameters()), "seconds": round(seconds, 2),
           "cpu_seconds": round(cpu_seconds, 2)}
    if record:  # steps 1..600, 3 significant digits
        out["history"] = {"loss": _rounded(hist.loss), "accuracy": _rounded(hist.accuracy),
                          "grad_norm": _rounded(hist.grad_norm), "step_norm": _rounded(steps)}
    return out


def _step_norm_hooks(params: list[torch.Tensor], steps: list[float]) -> list[Any]:
    """Global optimiser hooks that append the norm of every step's change of ``params`` to ``steps``
    (:func:`~lstm_course.tasks.train` builds its Adam inside, so the hooks are global; remove them after)."""
    from torch.optim.optimizer import register_optimizer_step_post_hook, register_optimizer_step_pre_hook

    before: list[torch.Tensor] = []

    def pre(optimizer, args, kwargs) -> None:
        before[:] = [p.detach().clone() for p in params]

    def post(optimizer, args, kwargs) -> None:
        change = sum(float(((p.detach() - b) ** 2).sum()) for p, b in zip(params, before, strict=True))
        steps.append(change ** 0.5)

    return [register_optimizer_step_pre_hook(pre), register_optimizer_step_post_hook(post)]


def load_sweep(path: Path | str = VARIANTS_PATH) -> dict[str, Any]:
    """The committed sweep: ``{"base_config": ..., "cells": [cell, ...], ...}``."""
    return load_sweep_file(path, "tools/sweep_variants.py")


def summarise(cells: list[Cell], part: str, keys: tuple[str, ...], value: str = "accuracy") -> list[dict[str, Any]]:
    """Group ``part``'s cells by ``keys`` (e.g. ``("kind", "length")``) over seeds.

    One dict per group, as :func:`~lstm_course.conditions.spread_over_seeds` gives, of ``value``
    (``"accuracy"``, ``"seconds"``, ...), plus ``solved``: how many of the group's seeds reached an
    accuracy of at least :data:`~lstm_course.conditions.SOLVED`, 0.99 (e.g. 5 of ``len(row["seeds"])``), whatever
    ``value`` is.
    """
    members = [cell for cell in cells if cell["part"] == part]
    rows = spread_over_seeds(members, keys, value)
    if not rows:
        raise ValueError(f"`cells` holds no cells of part {part!r}.")
    for row in rows:
        group = [c for c in members if all(c[k] == row[k] for k in keys)]
        row["solved"] = sum(c["accuracy"] >= SOLVED for c in group)
    return rows


def adam_burst(history: dict[str, list[float]], window: int = 50) -> dict[str, float]:
    """What the largest gradient of a training run did to Adam's steps, from a ``"clip"`` cell's ``history``.

    ``at``: the step (1..600) of the largest gradient norm; ``grad``: that norm, ``grad_ratio``: it over the
    run's median norm; ``step``: how far that step moved the weights, ``step_ratio``: it over the median step;
    ``after``: the median step over the ``window`` steps after the burst over the median over the ``window``
    steps before it (NaN where the burst is at step 1).
    """
    missing = {"grad_norm", "step_norm"} - set(history)
    if missing:
        raise ValueError(f"`history` lacks {sorted(missing)}; pass a 'clip' cell's history from load_sweep().")
    g, s = np.asarray(history["grad_norm"], dtype=float), np.asarray(history["step_norm"], dtype=float)
    k = int(g.argmax())
    before, after = s[max(0, k - window):k], s[k + 1:k + 1 + window]
    return {"at": k + 1, "grad": float(g[k]), "grad_ratio": float(g[k] / np.median(g)), "step": float(s[k]),
            "step_ratio": float(s[k] / np.median(s)),
            "after": float(np.median(after) / np.median(before)) if len(before) and len(after) else float("nan")}
