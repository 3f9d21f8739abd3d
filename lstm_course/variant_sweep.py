"""The measurements behind the chapter "Variants and practice", on the training chapter's recall task.

Three grids, each cell one training run of :func:`lstm_course.tasks.train` from the book's
:data:`~lstm_course.tasks.DEFAULT_CONFIG` (H = 32, 600 Adam steps of 32 sequences at lr 3e-3, keep-gate
bias 5, gradient clipping at norm 1) with a few fields replaced, scored by
:func:`~lstm_course.tasks.evaluate` on 1000 fresh sequences:

* ``"compare"``: every model of :data:`MODELS` (LSTM, GRU, peephole LSTM, coupled-gate LSTM, vanilla
  RNN) × sequence length :data:`LENGTHS` × :data:`SEEDS`; with the number of parameters and the
  training time (one CPU thread).
* ``"clip"``: the LSTM at T = 60 with gradient clipping at norm 1 and without (:data:`CLIPS`) ×
  :data:`SEEDS`, with the training history at every step (loss, accuracy, gradient norm before clipping).
* ``"tbptt"``: the LSTM at T = :data:`TBPTT_LENGTH` trained with truncated backpropagation through
  time (:class:`lstm_course.practice.TruncatedBPTT`) of window :data:`WINDOWS` × :data:`SEEDS`.

The whole sweep takes tens of minutes, so ``tools/sweep_variants.py`` runs it into
:data:`VARIANTS_PATH` (committed); :func:`load_sweep` reads it, :func:`summarise` groups it over
seeds, and a test re-runs one cell with :func:`run_cell`.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from .conditions import load_sweep_file, spread_over_seeds
from .practice import TruncatedBPTT
from .tasks import DEFAULT_CONFIG, RecallTask, SequenceClassifier, TrainConfig, evaluate, train

__all__ = [
    "CLIPS",
    "LENGTHS",
    "MODELS",
    "SEEDS",
    "TBPTT_LENGTH",
    "VARIANTS_PATH",
    "WINDOWS",
    "config_for",
    "load_sweep",
    "run_cell",
    "summarise",
    "sweep_cells",
]

MODELS: tuple[str, ...] = ("lstm", "gru", "peephole", "coupled", "rnn")
LENGTHS: tuple[int, ...] = (10, 30, 60, 100, 150)
SEEDS: tuple[int, ...] = (0, 1, 2)
CLIPS: tuple[float | None, ...] = (1.0, None)
TBPTT_LENGTH = 30
WINDOWS: tuple[int, ...] = (5, 10, 20, 30)

#: The committed results (inside the package, so that a notebook finds them on Colab too).
VARIANTS_PATH = Path(__file__).parent / "data" / "variants.json"

Cell = dict[str, Any]


def sweep_cells() -> list[Cell]:
    """Every cell: ``{"part", "kind", "length", "clip", "window", "seed"}`` (``window`` None = full BPTT)."""
    cells = [dict(part="compare", kind=kind, length=T, clip=DEFAULT_CONFIG.clip, window=None, seed=seed)
             for T in LENGTHS for kind in MODELS for seed in SEEDS]
    cells += [dict(part="clip", kind="lstm", length=DEFAULT_CONFIG.task.length, clip=clip, window=None, seed=seed)
              for clip in CLIPS for seed in SEEDS]
    cells += [dict(part="tbptt", kind="lstm", length=TBPTT_LENGTH, clip=DEFAULT_CONFIG.clip, window=k, seed=seed)
              for k in WINDOWS for seed in SEEDS]
    return cells


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
    """Train the cell's model on the CPU; return the cell with ``accuracy``, ``loss``, ``params`` (of the
    recurrent layer), ``seconds`` (wall time of training) and ``cpu_seconds`` (this thread's CPU time, which
    other processes on a shared machine disturb less; the sweep runs torch on one thread).

    ``history`` (default: for the ``"clip"`` cells) adds the training history of every step 1..600:
    ``loss``, ``accuracy`` (of the step's batch) and ``grad_norm`` (before clipping), 3 significant digits.
    """
    config = config_for(cell)
    task = config.task
    model = SequenceClassifier(cell["kind"], task.input_size, config.hidden_size, task.num_symbols,
                               forget_bias=config.forget_bias, init_scale=config.init_scale,
                               generator=torch.Generator().manual_seed(config.seed))
    trained = model if cell.get("window") is None else TruncatedBPTT(model, cell["window"])
    start, cpu_start = time.perf_counter(), time.thread_time()
    hist = train(trained, task, config.steps, config.lr, config.batch_size, config.seed, progress=False,
                 log_every=1, clip=config.clip)
    seconds, cpu_seconds = time.perf_counter() - start, time.thread_time() - cpu_start
    result = evaluate(model, task)
    out = {**cell, "accuracy": result.accuracy, "loss": result.loss,
           "params": sum(p.numel() for p in model.recurrent.parameters()), "seconds": round(seconds, 2),
           "cpu_seconds": round(cpu_seconds, 2)}
    if history if history is not None else cell["part"] == "clip":  # steps 1..600, 3 significant digits
        out["history"] = {"loss": _rounded(hist.loss), "accuracy": _rounded(hist.accuracy),
                          "grad_norm": _rounded(hist.grad_norm)}
    return out


def load_sweep(path: Path | str = VARIANTS_PATH) -> dict[str, Any]:
    """The committed sweep: ``{"base_config": ..., "cells": [cell, ...], ...}``."""
    return load_sweep_file(path, "tools/sweep_variants.py")


def summarise(cells: list[Cell], part: str, keys: tuple[str, ...], value: str = "accuracy") -> list[dict[str, Any]]:
    """Group ``part``'s cells by ``keys`` (e.g. ``("kind", "length")``) over seeds.

    One dict per group, as :func:`~lstm_course.conditions.spread_over_seeds` gives, of ``value``
    (``"accuracy"``, ``"seconds"``, ...).
    """
    rows = spread_over_seeds([cell for cell in cells if cell["part"] == part], keys, value)
    if not rows:
        raise ValueError(f"`cells` holds no cells of part {part!r}.")
    return rows
