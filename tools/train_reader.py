"""Train the shipped reader (chapter 11) and write its weights and training log.

    nice -n 10 OMP_NUM_THREADS=1 .venv/bin/python tools/train_reader.py [--out-dir DIR]

One run of :func:`lstm_course.reader.model.train_model` with ``kind="lstm"``, ``seed=0`` and the default
:class:`~lstm_course.reader.model.TrainSettings` (the same run as the LSTM seed-0 cell of tools/sweep_reader.py,
which writes the same files). Writes ``reader_lstm.pt`` (the ``state_dict``, float32) and ``reader_lstm_log.json``
(loss per step, held-out bits per character, settings, seconds) into ``lstm_course/data/reader/``.
About 12 minutes of CPU on one thread of this machine (720 s: 180 ms per step of 32 x 128 characters with H = 256;
the shipped run took 24 minutes of wall time, sharing the two cores with another training run).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from lstm_course.reader.model import LOG_PATH, WEIGHTS_PATH, TrainSettings, save_reader, train_model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=WEIGHTS_PATH.parent, help="where to write the two files")
    parser.add_argument("--steps", type=int, default=TrainSettings().steps, help="training steps (default: shipped)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    settings = TrainSettings(steps=args.steps)
    model, log = train_model("lstm", 0, settings, progress=True)
    save_reader(model, log, args.out_dir / WEIGHTS_PATH.name, args.out_dir / LOG_PATH.name)
    print(f"held-out bits/char {log['heldout_bits_per_char']:.4f}, {log['seconds']:.0f} s; wrote {args.out_dir}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
