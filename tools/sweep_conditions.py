"""Run chapter 08's conditions sweep and write lstm_course/data/conditions.json.

    OMP_NUM_THREADS=1 .venv/bin/python tools/sweep_conditions.py [--jobs 2] [--out PATH]

Every cell of :func:`lstm_course.conditions.sweep_cells` (LSTM forget bias × clipping × seeds, RNN
init scale × learning rate × seeds) is one training run of the book's default configuration with
those fields replaced, on the CPU with one thread per process. The file is committed;
tests/test_conditions.py re-runs one cell and checks it against the file.
"""

from __future__ import annotations

import argparse
import json
import sys
from multiprocessing import get_context
from pathlib import Path

import torch

from lstm_course.conditions import CONDITIONS_PATH, base_config_record, run_cell, sweep_cells


def _run(cell: dict) -> dict:
    torch.set_num_threads(1)
    result = run_cell(cell)
    print(f"{cell['kind']} b_f={cell['forget_bias']} clip={cell['clip']} scale={cell['init_scale']} "
          f"lr={cell['lr']} seed={cell['seed']}: {result['accuracy']:.3f} ({result['seconds']:.0f} s)",
          file=sys.stderr, flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1, help="processes (default 1)")
    parser.add_argument("--out", type=Path, default=CONDITIONS_PATH)
    args = parser.parse_args(argv)
    cells = sweep_cells()
    if args.jobs > 1:
        with get_context("spawn").Pool(args.jobs) as pool:
            results = pool.map(_run, cells, chunksize=1)
    else:
        results = [_run(cell) for cell in cells]
    record = {
        "about": "Chapter 08's conditions sweep; regenerate with `python tools/sweep_conditions.py`.",
        "base_config": base_config_record(),
        "evaluation": "tasks.evaluate: accuracy and loss on 1000 fresh sequences (seed 12345)",
        "torch": torch.__version__,
        "cells": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {args.out} ({len(results)} cells)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
