"""Train the reader's LSTM and its GRU / vanilla-RNN baselines over seeds 0, 1, 2 and write the held-out scores.

    nice -n 10 OMP_NUM_THREADS=1 .venv/bin/python tools/sweep_reader.py [--jobs 2] [--cache PATH] [--out PATH]

Every cell is one :func:`lstm_course.reader.model.train_model` run with the default
:class:`~lstm_course.reader.model.TrainSettings` (the shipped reader's), on one CPU thread per process. The LSTM
seed-0 cell IS the shipped reader: it also writes ``lstm_course/data/reader/reader_lstm.pt`` and its log
(``--no-ship`` skips that). ``--cache`` keeps every finished cell in a JSON-lines file as it completes, and a rerun
with the same cache skips them (an interrupted sweep resumes). Writes ``lstm_course/data/reader/sweep.json``:
per cell the kind, seed, hidden size, parameter count, steps, seconds, held-out bits per character and the training
loss every 50 steps, and each held-out file's score on its own. The 9 runs took 104 minutes with ``--jobs 2`` on
this 2-core machine while other analyses ran beside them (an LSTM run is about 12 minutes of CPU).
"""

from __future__ import annotations

import argparse
import json
import sys
from multiprocessing import get_context
from pathlib import Path

import torch

from lstm_course.reader.model import KINDS, SWEEP_PATH, TrainSettings, save_reader, train_model

SEEDS = (0, 1, 2)
_CURVE_EVERY = 50


def _key(cell: dict) -> str:
    return f"{cell['kind']}/{cell['seed']}"


def _run(job: tuple[str, int, Path | None, bool, Path | None]) -> dict:
    kind, seed, cache, ship, models_dir = job
    torch.set_num_threads(1)
    model, log = train_model(kind, seed, TrainSettings())
    if ship and kind == "lstm" and seed == 0:
        save_reader(model, log)
    if models_dir is not None:
        models_dir.mkdir(parents=True, exist_ok=True)
        torch.save(model.state_dict(), models_dir / f"{kind}_seed{seed}.pt")
    loss = log["loss"]
    cell = {"kind": kind, "seed": seed, "hidden_size": log["hidden_size"], "parameters": log["parameters"],
            "steps": len(loss), "seconds": log["seconds"], "heldout_bits_per_char": log["heldout_bits_per_char"],
            "heldout_bits_per_file": log["heldout_bits_per_file"],
            "final_train_loss": round(sum(loss[-100:]) / len(loss[-100:]), 5),
            "loss_every_50": [round(sum(loss[k:k + _CURVE_EVERY]) / len(loss[k:k + _CURVE_EVERY]), 5)
                              for k in range(0, len(loss), _CURVE_EVERY)]}
    print(f"{kind} seed {seed}: {cell['heldout_bits_per_char']:.4f} bits/char ({cell['seconds']:.0f} s)",
          file=sys.stderr, flush=True)
    if cache is not None:
        with cache.open("a") as f:  # one line per cell, appended whole
            f.write(json.dumps(cell) + "\n")
    return cell


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1, help="processes (default 1)")
    parser.add_argument("--out", type=Path, default=SWEEP_PATH)
    parser.add_argument("--cache", type=Path, default=None,
                        help="JSON-lines file of finished cells: appended to, and its cells are not run again")
    parser.add_argument("--no-ship", action="store_true", help="do not write the shipped reader (LSTM seed 0)")
    parser.add_argument("--models-dir", type=Path, default=None, help="also save every cell's state_dict here")
    parser.add_argument("--cached-only", action="store_true",
                        help="run nothing: write the cells already in --cache (a partial sweep says so in its record)")
    args = parser.parse_args(argv)
    cells = [(kind, seed) for kind in KINDS for seed in SEEDS]  # the LSTMs first, the shipped seed 0 first of all
    done: dict[str, dict] = {}
    if args.cache is not None and args.cache.exists():
        for line in args.cache.read_text().splitlines():
            if line.strip():
                cell = json.loads(line)
                done[_key(cell)] = cell
    todo = [(k, s, args.cache, not args.no_ship, args.models_dir) for k, s in cells
            if _key({"kind": k, "seed": s}) not in done]
    if args.cached_only:
        cells, todo = [(k, s) for k, s in cells if _key({"kind": k, "seed": s}) in done], []
    print(f"{len(cells)} cells, {len(cells) - len(todo)} from the cache, {len(todo)} to run", file=sys.stderr)
    if args.jobs > 1:
        with get_context("spawn").Pool(args.jobs) as pool:
            fresh = pool.map(_run, todo, chunksize=1)
    else:
        fresh = [_run(job) for job in todo]
    done.update({_key(cell): cell for cell in fresh})
    results = [done[_key({"kind": k, "seed": s})] for k, s in cells]
    record = {
        "about": "Held-out bits per character of the reader's LSTM and its GRU / vanilla-RNN baselines over seeds "
                 "0-2; regenerate with `python tools/sweep_reader.py`.",
        "settings": TrainSettings().__dict__,
        "evaluation": "lstm_course.reader.model.bits_per_char on the held-out files, each read whole from a zero "
                      "state, every character but the first scored",
        "torch": torch.__version__,
        "cells": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {args.out} ({len(results)} cells)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
