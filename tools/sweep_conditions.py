"""Run chapter 08's conditions sweep and write lstm_course/data/conditions.json.

    OMP_NUM_THREADS=1 .venv/bin/python tools/sweep_conditions.py [--jobs 2] [--out PATH] [--cache PATH]

Every cell of :func:`lstm_course.conditions.sweep_cells` (LSTM forget bias × clipping × seeds, RNN
init scale × learning rate × seeds) is one training run of the book's default configuration with
those fields replaced, on the CPU with one thread per process. The file is committed;
tests/test_conditions.py re-runs a stable cell and checks it against the file. ``--cache`` keeps every finished
cell in a JSON-lines file as it completes, and a rerun with the same cache skips them (an interrupted sweep
resumes). The whole grid (192 runs) takes about 40 minutes on two cores of an idle machine.
"""

from __future__ import annotations

import argparse
import json
import sys
from multiprocessing import get_context
from pathlib import Path

import torch

from lstm_course.conditions import CONDITIONS_PATH, base_config_record, run_cell, sweep_cells

_KEYS = ("kind", "forget_bias", "clip", "init_scale", "lr", "steps", "seed")


def _key(cell: dict) -> str:
    return json.dumps({k: cell[k] for k in _KEYS})


def _run(job: tuple[dict, Path | None]) -> dict:
    cell, cache = job
    torch.set_num_threads(1)
    result = run_cell(cell)
    print(f"{cell['kind']} b_f={cell['forget_bias']} clip={cell['clip']} scale={cell['init_scale']} "
          f"lr={cell['lr']} steps={cell['steps']} seed={cell['seed']}: {result['accuracy']:.3f} "
          f"({result['seconds']:.0f} s)",
          file=sys.stderr, flush=True)
    if cache is not None:
        with cache.open("a") as f:  # one line per cell, appended whole
            f.write(json.dumps(result) + "\n")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1, help="processes (default 1)")
    parser.add_argument("--out", type=Path, default=CONDITIONS_PATH)
    parser.add_argument("--cache", type=Path, default=None,
                        help="JSON-lines file of finished cells: appended to, and its cells are not run again")
    args = parser.parse_args(argv)
    cells = sweep_cells()
    done: dict[str, dict] = {}
    if args.cache is not None and args.cache.exists():
        for line in args.cache.read_text().splitlines():
            if line.strip():
                cell = json.loads(line)
                done[_key(cell)] = cell
    todo = [(cell, args.cache) for cell in cells if _key(cell) not in done]
    print(f"{len(cells)} cells, {len(cells) - len(todo)} from the cache, {len(todo)} to run", file=sys.stderr)
    if args.jobs > 1:
        with get_context("spawn").Pool(args.jobs) as pool:
            fresh = pool.map(_run, todo, chunksize=1)
    else:
        fresh = [_run(job) for job in todo]
    done.update({_key(cell): cell for cell in fresh})
    results = [done[_key(cell)] for cell in cells]
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
