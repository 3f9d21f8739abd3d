"""Run the chapter "Variants and practice"'s sweep and write lstm_course/data/variants.json.

    OMP_NUM_THREADS=1 .venv/bin/python tools/sweep_variants.py [--jobs 2] [--out PATH] [--part compare]

Every cell of :func:`lstm_course.variant_sweep.sweep_cells` (five models × sequence lengths × seeds; the
LSTM with and without gradient clipping; the LSTM under truncated BPTT windows) is one training run of
the book's default configuration with those fields replaced, on the CPU with one thread per process.
The file is committed; tests/test_variant_sweep.py re-runs one cell and checks it against the file.
``--part`` re-runs one part and keeps the file's other cells.
"""

from __future__ import annotations

import argparse
import json
import sys
from multiprocessing import get_context
from pathlib import Path

import torch

from lstm_course.conditions import base_config_record
from lstm_course.variant_sweep import VARIANTS_PATH, run_cell, sweep_cells


def _run(cell: dict) -> dict:
    torch.set_num_threads(1)
    result = run_cell(cell)
    print(f"{cell['part']} {cell['kind']} T={cell['length']} clip={cell['clip']} window={cell['window']} "
          f"seed={cell['seed']}: {result['accuracy']:.3f} ({result['seconds']:.0f} s)", file=sys.stderr, flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1, help="processes (default 1)")
    parser.add_argument("--out", type=Path, default=VARIANTS_PATH)
    parser.add_argument("--part", choices=("compare", "clip", "tbptt"), default=None,
                        help="run only this part and keep the other parts' cells from --out")
    args = parser.parse_args(argv)
    cells = [c for c in sweep_cells() if args.part is None or c["part"] == args.part]
    if args.jobs > 1:
        with get_context("spawn").Pool(args.jobs) as pool:
            results = pool.map(_run, cells, chunksize=1)
    else:
        results = [_run(cell) for cell in cells]
    if args.part is not None:
        old = {json.dumps({k: c[k] for k in ("part", "kind", "length", "clip", "window", "seed")}): c
               for c in json.loads(args.out.read_text())["cells"]}
        new = {json.dumps({k: c[k] for k in ("part", "kind", "length", "clip", "window", "seed")}): c for c in results}
        results = [new.get(key, old.get(key)) for key in
                   (json.dumps({k: c[k] for k in ("part", "kind", "length", "clip", "window", "seed")})
                    for c in sweep_cells())]
    record = {
        "about": "The sweep of the chapter Variants and practice (variants, clipping, truncated BPTT); regenerate with "
                 "`python tools/sweep_variants.py`.",
        "base_config": base_config_record(),
        "evaluation": "tasks.evaluate: accuracy and loss on 1000 fresh sequences (seed 12345)",
        "timing": "training (600 steps) on one CPU thread: seconds = wall time, cpu_seconds = the thread's CPU "
                  "time, on the machine that ran the sweep",
        "torch": torch.__version__,
        "cells": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    head = json.dumps({k: v for k, v in record.items() if k != "cells"}, indent=1)[:-2]  # without "\n}"
    cells_text = ",\n".join(json.dumps(c, separators=(",", ":")) for c in results)  # one cell per line
    args.out.write_text(head + ',\n "cells": [\n' + cells_text + "\n ]\n}\n")
    print(f"wrote {args.out} ({len(results)} cells)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
