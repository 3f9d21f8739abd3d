"""The conditions behind chapter 08's result: which settings the LSTM's win depends on, measured.

One *cell* of the sweep is one training run of :func:`lstm_course.tasks.run_experiment`: the book's
:data:`~lstm_course.tasks.DEFAULT_CONFIG` with a few fields replaced, scored by
:func:`~lstm_course.tasks.evaluate` (1000 fresh sequences). The grid (:func:`sweep_cells`):

* LSTM: forget-bias initialisation :math:`b_f \\in` :data:`FORGET_BIASES` (added to PyTorch's
  :math:`\\mathcal U(-1/\\sqrt H, 1/\\sqrt H)` draw) × gradient clipping :data:`CLIPS` (norm 1.0 or none)
  × :data:`SEEDS`.
* RNN, given its own small search: initial weight scale :data:`RNN_INIT_SCALES` (times PyTorch's
  bound) × learning rate :data:`RNN_LRS` × :data:`SEEDS`, clipping 1.0.
* Longer training, :data:`LONG_STEPS` Adam steps instead of the default's 600, for the settings in
  :data:`LONG_CELLS`: the chapter's own setting (:data:`CHAPTER_CONFIG`: b_f 5 with clipping), which at 600 steps
  left one seed of 8 short of solving the task, the same without clipping and with b_f 3, and the RNN at PyTorch's
  scale.

Every cell records its ``steps``.

Running the whole grid takes minutes, so ``tools/sweep_conditions.py`` runs it and writes
:data:`CONDITIONS_PATH` (committed); :func:`load_conditions` reads it, :func:`summarise` groups it,
and a test re-runs one cell with :func:`run_cell` and compares it with the file.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .tasks import DEFAULT_CONFIG, TrainConfig, evaluate, run_experiment

__all__ = [
    "CHAPTER_CONFIG",
    "CLIPS",
    "CONDITIONS_PATH",
    "FORGET_BIASES",
    "LONG_CELLS",
    "LONG_STEPS",
    "RNN_INIT_SCALES",
    "RNN_LRS",
    "SEEDS",
    "SOLVED",
    "base_config_record",
    "config_for",
    "load_conditions",
    "load_sweep_file",
    "run_cell",
    "spread_over_seeds",
    "summarise",
    "sweep_cells",
]

FORGET_BIASES: tuple[float, ...] = (0.0, 1.0, 3.0, 5.0)
CLIPS: tuple[float | None, ...] = (1.0, None)
SEEDS: tuple[int, ...] = tuple(range(8))
RNN_INIT_SCALES: tuple[float, ...] = (1.0, 1.5, 2.0, 3.0)
RNN_LRS: tuple[float, ...] = (1e-3, 3e-3, 1e-2)
#: The longer training: twice the default's 600 steps.
LONG_STEPS = 2 * DEFAULT_CONFIG.steps
#: The settings also trained for :data:`LONG_STEPS`: ``(kind, forget_bias, clip, init_scale, lr)``.
LONG_CELLS: tuple[tuple[str, float | None, float | None, float, float], ...] = (
    ("lstm", 5.0, 1.0, 1.0, DEFAULT_CONFIG.lr),
    ("lstm", 5.0, None, 1.0, DEFAULT_CONFIG.lr),
    ("lstm", 3.0, 1.0, 1.0, DEFAULT_CONFIG.lr),
    ("rnn", None, 1.0, 1.0, DEFAULT_CONFIG.lr),
)
#: The training chapter's setting: :data:`~lstm_course.tasks.DEFAULT_CONFIG` (b_f 5, clipping at 1) trained for
#: :data:`LONG_STEPS` steps, which solved the task on all 8 seeds, on every float path ``make test`` tries.
CHAPTER_CONFIG: TrainConfig = replace(DEFAULT_CONFIG, steps=LONG_STEPS)

#: A run *solved* the task when its accuracy on the 1000 fresh test sequences is at least this.
SOLVED = 0.99

#: The committed results of the sweep (inside the package, so a notebook finds it on Colab too).
CONDITIONS_PATH = Path(__file__).parent / "data" / "conditions.json"

Cell = dict[str, Any]


def sweep_cells() -> list[Cell]:
    """Every cell of the grid: dicts with ``kind, forget_bias, clip, init_scale, lr, steps, seed``."""
    base = DEFAULT_CONFIG
    cells = [dict(kind="lstm", forget_bias=fb, clip=clip, init_scale=1.0, lr=base.lr, steps=base.steps, seed=seed)
             for fb in FORGET_BIASES for clip in CLIPS for seed in SEEDS]
    cells += [dict(kind="rnn", forget_bias=None, clip=1.0, init_scale=scale, lr=lr, steps=base.steps, seed=seed)
              for scale in RNN_INIT_SCALES for lr in RNN_LRS for seed in SEEDS]
    cells += [dict(kind=kind, forget_bias=fb, clip=clip, init_scale=scale, lr=lr, steps=LONG_STEPS, seed=seed)
              for kind, fb, clip, scale, lr in LONG_CELLS for seed in SEEDS]
    return cells


def config_for(cell: Cell) -> TrainConfig:
    """:data:`~lstm_course.tasks.DEFAULT_CONFIG` with the cell's ``forget_bias, clip, init_scale, lr, steps, seed``.

    ``forget_bias=None`` (the RNN's cells: it has no forget gate) keeps the default's value.
    """
    missing = {"forget_bias", "clip", "init_scale", "lr", "steps", "seed"} - set(cell)
    if missing:
        raise ValueError(f"`cell` lacks {sorted(missing)}; take cells from sweep_cells() or load_conditions().")
    forget_bias = DEFAULT_CONFIG.forget_bias if cell["forget_bias"] is None else cell["forget_bias"]
    return replace(DEFAULT_CONFIG, forget_bias=forget_bias, clip=cell["clip"], init_scale=cell["init_scale"],
                   lr=cell["lr"], steps=cell["steps"], seed=cell["seed"])


def run_cell(cell: Cell) -> Cell:
    """Train the cell's model on the CPU and return the cell with ``accuracy``, ``loss`` and ``seconds`` added."""
    kind: Literal["lstm", "rnn"] = cell.get("kind")  # type: ignore[assignment]
    if kind not in ("lstm", "rnn"):
        raise ValueError(f"`cell['kind']` must be 'lstm' or 'rnn', got {kind!r}.")
    config = config_for(cell)
    start = time.perf_counter()
    model, _ = run_experiment(kind, config, device="cpu", progress=False)
    result = evaluate(model, config.task)
    seconds = time.perf_counter() - start
    return {**cell, "accuracy": result.accuracy, "loss": result.loss, "seconds": round(seconds, 2)}


def load_conditions(path: Path | str = CONDITIONS_PATH) -> dict[str, Any]:
    """The committed sweep: ``{"base_config": ..., "cells": [cell, ...], ...}``."""
    return load_sweep_file(path, "tools/sweep_conditions.py")


def load_sweep_file(path: Path | str, script: str) -> dict[str, Any]:
    """A committed sweep's JSON at ``path``; a missing file names the ``script`` that regenerates it."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; regenerate it with `python {script}`.")
    return json.loads(path.read_text())


def base_config_record(config: TrainConfig = DEFAULT_CONFIG) -> dict[str, Any]:
    """The fields of ``config`` as plain JSON values (stored with the sweep so a changed default shows)."""
    record = asdict(config)
    record["task"] = asdict(config.task)
    return record


def summarise(cells: list[Cell], kind: Literal["lstm", "rnn"], keys: tuple[str, ...],
              steps: int = DEFAULT_CONFIG.steps) -> list[dict[str, Any]]:
    """Group ``kind``'s cells by ``keys`` (e.g. ``("forget_bias", "clip")``) over seeds (:func:`spread_over_seeds`).

    ``steps`` picks the training length (default: the default's 600 steps; :data:`LONG_STEPS` for the longer runs).
    """
    rows = spread_over_seeds([cell for cell in cells if cell["kind"] == kind and cell["steps"] == steps], keys)
    if not rows:
        raise ValueError(f"`cells` holds no {kind!r} cells of {steps} steps.")
    return rows


def spread_over_seeds(cells: list[Cell], keys: tuple[str, ...], value: str = "accuracy") -> list[dict[str, Any]]:
    """Group ``cells`` by ``keys`` and summarise ``value`` over the seeds of each group.

    Returns one dict per group, in the order first seen: the keys' values, ``mean``, ``min``, ``max``
    and ``std`` (population) of ``value``, ``seeds``, and ``solved``, how many of them reached
    :data:`SOLVED` (``value`` an accuracy), as in "5 of 8 seeds solved it".
    """
    groups: dict[tuple, list[Cell]] = {}
    for cell in cells:
        groups.setdefault(tuple(cell[k] for k in keys), []).append(cell)
    rows = []
    for values, members in groups.items():
        v = np.array([m[value] for m in members], dtype=float)
        rows.append({**dict(zip(keys, values, strict=True)), "mean": float(v.mean()), "min": float(v.min()),
                     "max": float(v.max()), "std": float(v.std()), "seeds": [m["seed"] for m in members],
                     "solved": int((v >= SOLVED).sum())})
    return rows
