"""Measure the shipped reader on the held-out files and store the numbers chapter 11 quotes.

    OMP_NUM_THREADS=1 python tools/reader_analysis.py                    # -> lstm_course/data/reader/analysis.json
    OMP_NUM_THREADS=1 python tools/reader_analysis.py --out /tmp/a.json  # one float path, elsewhere
    python tools/reader_analysis.py --combine default.json compat.json avx2.json   # add the float-path spread
    python tools/reader_analysis.py --seeds DIR/lstm_seed1.pt DIR/lstm_seed2.pt      # add other seeds (see below)

What it computes (every module is in ``lstm_course/reader``): the n-gram baseline for n = 1..8 (``ngram``), the
error analysis of the LSTM against the best n-gram (``errors``), the tracker table for the trained and the
untrained reader (``units``), the ablation of the best in-string unit against 20 random units (``ablation``) and
gate saturation (``saturation``). ``--combine`` reads the runs of one machine under different float paths
(default, ``MKL_CBWR=COMPATIBLE``, ``MKL_CBWR=AVX2 ATEN_CPU_CAPABILITY=avx2``), writes the first run's numbers and,
for each headline number, its spread (max - min) over the runs, to ``--out``. ``--seeds`` adds, for the LSTMs of
other seeds (``tools/sweep_reader.py --models-dir DIR`` saves them; they are not shipped), the tracker table on c_t
against each seed's own untrained start, its long-memory units and the zero ablation of its best in-string unit, under
``"seeds"`` in the analysis at ``--out``; ``--scan`` zeroes every unit of the shipped reader in turn and ranks them
by the loss they add on closing quotes (``"scan"``; with ``--weights DIR/lstm_seed<k>.pt`` of a seed already added,
under that seed). A re-combine keeps both sections.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lstm_course.reader import CharLSTM, build_model, corpus_files, encode, load_reader  # noqa: E402
from lstm_course.reader.ablation import (  # noqa: E402
    Intervention,
    ablation_summary,
    clamped_log_probs,
    loss_changes,
    string_closers,
)
from lstm_course.reader.analysis import headline  # noqa: E402
from lstm_course.reader.errors import error_table  # noqa: E402
from lstm_course.reader.model import Reader, next_char_log_probs  # noqa: E402
from lstm_course.reader.model import bits_per_char as lstm_bits_per_char  # noqa: E402
from lstm_course.reader.ngram import bits_per_char, fit_kneser_ney  # noqa: E402
from lstm_course.reader.saturation import gate_saturation, long_memory_units  # noqa: E402
from lstm_course.reader.units import PROPERTIES, collect, pearson_by_unit, tracker_table  # noqa: E402

DEFAULT_OUT = ROOT / "lstm_course" / "data" / "reader" / "analysis.json"
ORDERS = range(1, 9)
N_RANDOM = 20
PROPERTY_NAMES = tuple(PROPERTIES)
#: Booleans beside the five properties: what a string unit might track instead (docstrings, comments too).
EXTRA_PROPERTIES = ("string_or_comment", "in_docstring", "string_not_docstring", "after_def")


def _round(value: Any, digits: int = 6) -> Any:
    if isinstance(value, dict):
        return {k: _round(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_round(v, digits) for v in value]
    if isinstance(value, np.ndarray):
        return _round(value.tolist(), digits)
    if isinstance(value, (float, np.floating)):
        return round(float(value), digits)
    if isinstance(value, np.integer):
        return int(value)
    return value


def ngram_section(train: list[str], heldout: list[str], vocab_size: int) -> tuple[dict, Any]:
    """Plain and modified Kneser-Ney for every order: held-out bits per character, and the best model."""
    train_ids = [encode(t).numpy() for t in train]
    held_ids = [encode(t).numpy() for t in heldout]
    table, start = [], time.perf_counter()
    best_model = None
    for modified in (False, True):
        for n in ORDERS:
            model = fit_kneser_ney(train_ids, n, vocab_size, modified=modified)
            table.append({"n": n, "smoothing": "modified" if modified else "plain",
                          "bits_per_char": bits_per_char(model, held_ids),
                          "discounts": list(model.orders[-1].discounts)})
            if table[-1]["bits_per_char"] <= min(r["bits_per_char"] for r in table):
                best_model = model  # keep only the best model in memory
    best = min(table, key=lambda r: r["bits_per_char"])
    return {"table": table, "best_n": best["n"], "best_smoothing": best["smoothing"],
            "best_bits_per_char": best["bits_per_char"], "seconds": time.perf_counter() - start,
            "smoothing": "interpolated Kneser-Ney: plain (one discount per order) and modified (D1, D2, D3+)"}, \
        best_model


def analyse(reader: Reader, seed: int) -> dict[str, Any]:
    started = time.perf_counter()
    heldout_files = corpus_files("heldout")
    heldout = [t for _, t in heldout_files]
    train = [t for _, t in corpus_files("train")]
    model = reader.model
    out: dict[str, Any] = {
        "heldout_files": [p for p, _ in heldout_files],
        "heldout_chars": sum(len(t) for t in heldout),
        "float_path": {k: os.environ.get(k, "") for k in ("MKL_CBWR", "ATEN_CPU_CAPABILITY", "OMP_NUM_THREADS")},
        "torch": torch.__version__,
        "seed": seed,
    }
    t0 = time.perf_counter()
    out["ngram"], best = ngram_section(train, heldout, model.vocab_size)
    out["lstm_bits_per_char"] = lstm_bits_per_char(model, heldout)
    print(f"n-gram + LSTM bits/char: {time.perf_counter() - t0:.0f} s", flush=True)

    # error analysis: both models' probability of every held-out character but each file's first
    t0 = time.perf_counter()
    p_lstm, p_ngram = [], []
    for text in heldout:
        ids = encode(text)
        lp = next_char_log_probs(model, text)  # (T, V), row t predicts text[t+1]
        p_lstm.append(lp[torch.arange(len(text) - 1), ids[1:]].exp().double().numpy())
        p_ngram.append(2.0 ** best.log_prob(ids.numpy())[1:])
    out["errors"] = {"ngram_n": out["ngram"]["best_n"], "threshold": 0.5,
                     "table": error_table(heldout, p_lstm, p_ngram)}
    print(f"error analysis: {time.perf_counter() - t0:.0f} s", flush=True)

    # units: trained against untrained (same initialisation)
    t0 = time.perf_counter()
    trained = collect(reader.trace, heldout)
    untrained = collect(Reader(build_model("lstm", seed)).trace, heldout)
    out["trackers"] = tracker_table(trained, untrained)
    for data in (trained, untrained):  # properties the five are made of, to say what the best units track
        lab = data.labels
        lab["string_or_comment"] = lab["in_string"] | lab["in_comment"]
        lab["string_not_docstring"] = lab["in_string"] & ~lab["in_docstring"]
    out["extra_trackers"] = tracker_table(trained, untrained, EXTRA_PROPERTIES)
    print(f"trackers: {time.perf_counter() - t0:.0f} s", flush=True)

    # saturation
    sat, sat_u = gate_saturation(trained.states), gate_saturation(untrained.states)
    long_memory = long_memory_units(sat)
    tracker_units = {r["property"]: r["unit"] for r in out["trackers"] if r["quantity"] == "c_t"}
    out["saturation"] = {
        "low": 0.1, "high": 0.9, "long_memory_share": 0.5,
        "per_unit": {g: {side: v for side, v in d.items()} for g, d in sat.items()},
        "long_memory_units": long_memory,
        "untrained_long_memory_units": long_memory_units(sat_u),
        "trackers_c_t": tracker_units,
        "trackers_long_memory": {p: u in long_memory for p, u in tracker_units.items()},
        "counts": {g: {"right_half": int((d["right"] >= 0.5).sum()), "left_half": int((d["left"] >= 0.5).sum()),
                       "never": int(((d["right"] + d["left"]) < 0.1).sum())} for g, d in sat.items()},
        "untrained_counts": {g: {"right_half": int((d["right"] >= 0.5).sum()),
                                 "left_half": int((d["left"] >= 0.5).sum())} for g, d in sat_u.items()},
    }

    # ablation: the best in-string unit of c_t, zeroed or clamped to its mean outside strings, against 20 random
    t0 = time.perf_counter()
    unit = tracker_units["in_string"]
    c = trained.states["c_t"]
    outside = ~trained.labels["in_string"].astype(bool)
    out["ablation"] = ablation_summary(
        model, heldout, unit, n_random=N_RANDOM, seed=0,
        clamp_values={"zero": 0.0, "outside_mean": c[outside].mean(axis=0), "inside_mean": c[~outside].mean(axis=0)})
    out["ablation"]["most_harmful_random"] = most_harmful_random(out["ablation"], trained, long_memory)
    print(f"ablation: {time.perf_counter() - t0:.0f} s", flush=True)
    # a cheap check for the tests: the in-string unit's |r| on the smallest held-out file alone
    name, text = min(heldout_files, key=lambda f: len(f[1]))
    one = collect(reader.trace, [text], quantities=("c_t",))
    r_one = pearson_by_unit(one.states["c_t"], one.labels["in_string"])
    out["check"] = {"file": name, "unit": unit, "abs_r": float(abs(r_one[unit])),
                    "best_unit_on_file": int(np.argmax(np.abs(r_one)))}
    out["seconds"] = time.perf_counter() - started
    return _round(out)


def combine(paths: list[Path]) -> dict[str, Any]:
    runs = [json.loads(p.read_text(encoding="utf-8")) for p in paths]
    heads = [headline(r) for r in runs]
    spread = {k: {"min": min(h[k] for h in heads), "max": max(h[k] for h in heads),
                  "spread": max(h[k] for h in heads) - min(h[k] for h in heads)}
              for k in heads[0] if all(k in h for h in heads)}
    out = dict(runs[0])
    if DEFAULT_OUT.is_file():  # keep the other seeds' section (added by --seeds) across a re-combine
        previous = json.loads(DEFAULT_OUT.read_text(encoding="utf-8"))
        for key in ("seeds", "scan"):
            if key in previous and key not in out:
                out[key] = previous[key]
    out["float_paths"] = {"runs": [r["float_path"] for r in runs], "headline": _round(spread)}
    return out


def most_harmful_random(ablation: dict[str, Any], trained: Any, long_memory: list[int]) -> dict[str, Any]:
    """The random unit whose zeroing hurts closing quotes most: its loss change, its |r| with strings and
    comments, and whether it is a long-memory unit (``trained.labels`` must hold ``"string_or_comment"``)."""
    zero = ablation["modes"]["zero"]
    k = int(np.argmax(zero["random_closers_delta"]))
    worst = ablation["random_units"][k]
    c = trained.states["c_t"][:, worst]
    return {"unit": worst, "closers_delta": zero["random_closers_delta"][k],
            "abs_r": {p: abs(float(pearson_by_unit(c[:, None], trained.labels[p])[0]))
                      for p in ("in_string", "in_comment", "string_or_comment")},
            "long_memory": worst in long_memory}


def seed_summary(weights: Path, seed: int) -> dict[str, Any]:
    """The tracker table (c_t), long-memory units and the zero ablation of the best in-string unit for another
    seed's LSTM (a state_dict from ``tools/sweep_reader.py --models-dir``), against its own untrained start."""
    model = CharLSTM()
    model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    reader = Reader(model)
    heldout = [t for _, t in corpus_files("heldout")]
    trained = collect(reader.trace, heldout, quantities=("c_t", "f_t", "i_t", "o_t"))
    untrained = collect(Reader(build_model("lstm", seed)).trace, heldout, quantities=("c_t", "f_t", "i_t", "o_t"))
    for data in (trained, untrained):
        data.labels["string_or_comment"] = data.labels["in_string"] | data.labels["in_comment"]
    rows = tracker_table(trained, untrained, (*PROPERTY_NAMES, "string_or_comment"), ("c_t",))
    long_memory = long_memory_units(gate_saturation(trained.states))
    units = {r["property"]: r["unit"] for r in rows}
    ablation = ablation_summary(model, heldout, units["in_string"], n_random=N_RANDOM, seed=0,
                                clamp_values={"zero": 0.0})
    ablation["most_harmful_random"] = most_harmful_random(ablation, trained, long_memory)
    return _round({"seed": seed, "weights": weights.name, "lstm_bits_per_char": lstm_bits_per_char(model, heldout),
                   "trackers": rows, "long_memory_units": long_memory,
                   "trackers_long_memory": {p: u in long_memory for p, u in units.items()},
                   "ablation_zero": ablation})


def scan_section(reader: Reader, unit: int) -> dict[str, Any]:
    """Zero each unit's c_t in turn (all H of them) and rank the units by the loss they add on closing quotes."""
    model = reader.model
    heldout = [t for _, t in corpus_files("heldout")]
    H = model.hidden_size
    logps = clamped_log_probs(model, heldout, [Intervention((u,), (0.0,), f"zero:{u}") for u in range(H)])
    closers = np.concatenate([string_closers(t) for t in heldout])
    rows = loss_changes(np.concatenate(logps, axis=1), closers)
    closers_delta = np.array([r["closers_delta"] for r in rows])
    others_delta = np.array([r["others_delta"] for r in rows])
    data = collect(reader.trace, heldout, quantities=("c_t",))
    r_string = pearson_by_unit(data.states["c_t"], data.labels["in_string"])
    order = np.argsort(-closers_delta)
    rank = int(np.flatnonzero(order == unit)[0]) + 1
    return _round({"unit": unit, "rank_of_unit": rank, "closers_delta": closers_delta, "others_delta": others_delta,
                   "top": [{"unit": int(u), "closers_delta": float(closers_delta[u]),
                            "others_delta": float(others_delta[u]), "abs_r_in_string": float(abs(r_string[u]))}
                           for u in order[:5]],
                   "median_closers_delta": float(np.median(closers_delta))})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the JSON")
    parser.add_argument("--weights", type=Path, default=None, help="a reader state_dict (default: the shipped one)")
    parser.add_argument("--combine", type=Path, nargs="+", default=None,
                        help="runs of this script under different float paths, the first one the default path")
    parser.add_argument("--seeds", type=Path, nargs="+", default=None,
                        help="other seeds' LSTM state_dicts (lstm_seed<k>.pt from tools/sweep_reader.py --models-dir): "
                             "add their tracker tables and ablations to the analysis at --out (which must exist)")
    parser.add_argument("--scan", action="store_true",
                        help="zero every unit in turn and rank them by the loss added on closing quotes; adds 'scan' "
                             "to the analysis at --out (which must exist)")
    args = parser.parse_args(argv)
    if args.scan:
        result = json.loads(args.out.read_text(encoding="utf-8"))
        name = args.weights.stem if args.weights else ""
        if name.startswith("lstm_seed") and name[len("lstm_seed"):] in result.get("seeds", {}):
            key = name[len("lstm_seed"):]  # another seed's model: its scan goes with its summary
            model = CharLSTM()
            model.load_state_dict(torch.load(args.weights, map_location="cpu", weights_only=True))
            unit = next(r["unit"] for r in result["seeds"][key]["trackers"] if r["property"] == "in_string")
            result["seeds"][key]["scan"] = scan_section(Reader(model), int(unit))
        else:
            result["scan"] = scan_section(load_reader(args.weights), int(result["ablation"]["unit"]))
    elif args.seeds:
        result = json.loads(args.out.read_text(encoding="utf-8"))
        seeds = result.setdefault("seeds", {})
        for path in args.seeds:
            seed = int(path.stem.rsplit("seed", 1)[1])
            seeds[str(seed)] = seed_summary(path, seed)
            print(f"seed {seed}: done", flush=True)
    elif args.combine:
        result = combine(args.combine)
    else:
        reader = load_reader(args.weights)
        seed = int((reader.log or {}).get("seed", 0))
        result = analyse(reader, seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
