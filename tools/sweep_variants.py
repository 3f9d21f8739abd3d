"""Run the sweep of chapters 09 (variants) and 10 (practice) and write lstm_course/data/variants.json.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python tools/sweep_variants.py [--jobs 2] [--out PATH] [--part compare]

Every cell of :func:`lstm_course.variant_sweep.sweep_cells` (five models at T = 100, the LSTM at three
input-gate biases, × 8 seeds; the LSTM with and without gradient clipping; the LSTM under truncated BPTT
windows) is one training run of the book's default configuration with those fields replaced, on the CPU
with one thread per process. The longest runs start first. About 1,000 CPU seconds in all (the file's
``cpu_seconds``): under 15 minutes with ``--jobs 2`` on two idle cores, far longer on a shared machine.
The file is committed; tests/test_variant_sweep.py re-runs a cell and checks it against the file.
``--part`` re-runs one part and keeps the file's other cells. Each finished cell is appended to
``<out>.partial``; a sweep that was stopped resumes from it when started again.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from multiprocessing import get_context
from pathlib import Path

import torch

from lstm_course.conditions import base_config_record
from lstm_course.variant_sweep import CELL_KEYS, VARIANTS_PATH, run_cell, sweep_cells

#: Rough CPU seconds per step of sequence, by kind (the peephole and coupled cells run a Python loop).
_COST = {"lstm": 1.0, "gru": 2.0, "peephole": 3.5, "coupled": 3.0, "rnn": 0.4}


def _run(cell: dict) -> dict:
    torch.set_num_threads(1)
    result = run_cell(cell)
    print(f"{cell['part']} {cell['kind']} T={cell['length']} clip={cell['clip']} window={cell['window']} "
          f"b_i={cell['input_bias']} seed={cell['seed']}: {result['accuracy']:.3f} ({result['seconds']:.0f} s)",
          file=sys.stderr, flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1, help="processes (default 1)")
    parser.add_argument("--out", type=Path, default=VARIANTS_PATH)
    parser.add_argument("--part", choices=("compare", "clip", "tbptt"), default=None,
                        help="run only this part and keep the other parts' cells from --out")
    args = parser.parse_args(argv)
    cells = [c for c in sweep_cells() if args.part is None or c["part"] == args.part]

    def key(c: dict) -> str:
        return json.dumps({k: c.get(k) for k in CELL_KEYS})

    partial = args.out.with_name(args.out.name + ".partial")  # one finished cell a line: a killed sweep resumes
    done = {}
    if partial.exists():
        for line in partial.read_text().splitlines():
            if line.strip():
                c = json.loads(line)
                done[key(c)] = c
    # the cheap "clip" part first (the chapters' clipping text needs it first), then longest first, so that the
    # pool ends together
    todo = sorted((c for c in cells if key(c) not in done),
                  key=lambda c: (c["part"] != "clip", -_COST[c["kind"]] * c["length"]))
    print(f"{len(cells)} cells, {len(cells) - len(todo)} done before ({partial}), {len(todo)} to run",
          file=sys.stderr, flush=True)
    start = time.perf_counter()
    with partial.open("a") as log:
        if args.jobs > 1:
            with get_context("spawn").Pool(args.jobs) as pool:
                for result in pool.imap_unordered(_run, todo, chunksize=1):
                    log.write(json.dumps(result) + "\n")
                    log.flush()
                    done[key(result)] = result
        else:
            for cell in todo:
                result = _run(cell)
                log.write(json.dumps(result) + "\n")
                log.flush()
                done[key(result)] = result
    wall = time.perf_counter() - start
    new = {key(c): done[key(c)] for c in cells}
    old = {} if args.part is None else {key(c): c for c in json.loads(args.out.read_text())["cells"]}
    results = [new.get(key(c), old.get(key(c))) for c in sweep_cells()]
    record = {
        "about": "The sweep of chapters 09 (variants, input-gate biases) and 10 (clipping, truncated BPTT); "
                 "regenerate with `python tools/sweep_variants.py --jobs 2`.",
        "base_config": base_config_record(),
        "evaluation": "tasks.evaluate: accuracy and loss on 1000 fresh sequences (seed 12345)",
        "timing": "training (600 steps) on one CPU thread: seconds = wall time, cpu_seconds = the thread's CPU "
                  "time, on the machine that ran the sweep",
        "torch": torch.__version__,
        "sweep_wall_seconds": round(wall),
        "sweep_jobs": args.jobs,
        "cells": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    head = json.dumps({k: v for k, v in record.items() if k != "cells"}, indent=1)[:-2]  # without "\n}"
    cells_text = ",\n".join(json.dumps(c, separators=(",", ":")) for c in results)  # one cell per line
    args.out.write_text(head + ',\n "cells": [\n' + cells_text + "\n ]\n}\n")
    partial.unlink()
    print(f"wrote {args.out} ({len(results)} cells, {wall:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
