"""The stored measurements of the shipped reader (``tools/reader_analysis.py`` -> ``data/reader/analysis.json``).

The heavy parts of chapter 11 (the n-gram table over n = 1…8, the ablation over 20 random units, the tracker table
on every held-out character for the trained and the untrained reader) are computed once by the tool and read here;
:func:`headline` flattens the numbers the chapter quotes and :func:`band` gives each one's spread over float paths
(default, ``MKL_CBWR=COMPATIBLE``, ``MKL_CBWR=AVX2 ATEN_CPU_CAPABILITY=avx2``), measured by the tool.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["ANALYSIS_PATH", "band", "headline", "load_analysis", "seed_table", "tracker_row"]

ANALYSIS_PATH = Path(__file__).resolve().parent.parent / "data" / "reader" / "analysis.json"


@lru_cache(maxsize=2)
def _read(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def load_analysis(path: Path | str | None = None) -> dict[str, Any]:
    """The stored analysis (a fresh dict each call): keys ``ngram``, ``lstm_bits_per_char``, ``errors``,
    ``trackers``, ``extra_trackers``, ``saturation``, ``ablation``, ``check``, ``float_paths``
    (see ``tools/reader_analysis.py``)."""
    p = ANALYSIS_PATH if path is None else Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"`path`: no analysis at {p}. Run `OMP_NUM_THREADS=1 python tools/reader_analysis.py` "
                                "once the trained reader is shipped.")
    return json.loads(_read(str(p)))


def headline(analysis: dict[str, Any] | None = None) -> dict[str, float]:
    """The quotable numbers of ``analysis`` (default: the stored one), flattened: ``{"lstm_bits_per_char": …,
    "trackers.in_string.c_t.abs_r": …, "ablation.zero.unit.closers_delta": …, …}``; the keys of
    ``analysis["float_paths"]["headline"]``."""
    a = load_analysis() if analysis is None else analysis
    h: dict[str, float] = {"lstm_bits_per_char": a["lstm_bits_per_char"]}
    for row in a["ngram"]["table"]:
        h[f"ngram.{row['smoothing']}.{row['n']}.bits_per_char"] = row["bits_per_char"]
    h["ngram.best.bits_per_char"] = a["ngram"]["best_bits_per_char"]
    for row in a["errors"]["table"]:
        for key in ("p_lstm", "p_ngram", "bits_lstm", "bits_ngram", "right_lstm", "right_ngram", "only_lstm",
                    "only_ngram"):
            h[f"errors.{row['category']}.{key}"] = row[key]
    for row in [*a["trackers"], *a.get("extra_trackers", [])]:
        base = f"trackers.{row['property']}.{row['quantity']}"
        for key in ("unit", "abs_r", "untrained_abs_r", "probe_r2", "untrained_probe_r2", "probe_balanced_accuracy",
                    "untrained_probe_balanced_accuracy", "n_units_above_0.5"):
            if key in row:
                h[f"{base}.{key}"] = row[key]
    for mode, d in a["ablation"]["modes"].items():
        for key, v in d["unit"].items():
            h[f"ablation.{mode}.unit.{key}"] = v
        for key, stats in d["random"].items():
            for stat in ("mean", "min", "max"):
                h[f"ablation.{mode}.random.{key}.{stat}"] = stats[stat]
    for g, d in a["saturation"]["counts"].items():
        for key, v in d.items():
            h[f"saturation.{g}.{key}"] = v
    h["saturation.long_memory_count"] = len(a["saturation"]["long_memory_units"])
    if "check" in a:
        h["check.abs_r"] = a["check"]["abs_r"]
    return h


def band(key: str, analysis: dict[str, Any] | None = None) -> float:
    """The spread (max - min over the float paths the tool ran) of the headline number ``key``."""
    a = load_analysis() if analysis is None else analysis
    spreads = a.get("float_paths", {}).get("headline", {})
    if key not in spreads:
        raise KeyError(f"`key` {key!r} has no measured float-path spread; choose one of headline(): "
                       f"{sorted(spreads)[:5]} …")
    return float(spreads[key]["spread"])


def tracker_row(prop: str, quantity: str = "c_t", analysis: dict[str, Any] | None = None) -> dict[str, Any]:
    """The stored tracker-table row of ``prop`` (``"in_string"``, ``"column"``…) for ``quantity`` (c_t or h_t)."""
    a = load_analysis() if analysis is None else analysis
    for row in [*a["trackers"], *a.get("extra_trackers", [])]:
        if row["property"] == prop and row["quantity"] == quantity:
            return dict(row)
    raise KeyError(f"no tracker row for `prop` {prop!r} and `quantity` {quantity!r}.")


def seed_table(analysis: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """One row per seed (the shipped seed first, then those ``tools/reader_analysis.py --seeds`` added):
    ``{"seed", "lstm_bits_per_char", "in_string_unit", "in_string_abs_r", "in_string_untrained_abs_r",
    "string_or_comment_abs_r", "in_string_unit_long_memory", "zero_closers_delta", "zero_random_closers_delta_mean",
    "zero_random_closers_delta_max", "zero_others_delta"}``, and for the added seeds the random unit whose zeroing
    hurt the closing quotes most: ``"most_harmful_random_unit", "most_harmful_closers_delta",
    "most_harmful_abs_r_in_string"``; where every unit was zeroed in turn (``--scan``), the in-string unit's rank
    and the most harmful unit: ``"scan_rank_of_in_string_unit", "scan_top_unit", "scan_top_closers_delta",
    "scan_top_abs_r_in_string", "scan_median_closers_delta"``."""
    a = load_analysis() if analysis is None else analysis

    def row(seed: int, bits: float, trackers: list[dict], long_memory: dict, zero: dict) -> dict[str, Any]:
        by = {r["property"]: r for r in trackers if r["quantity"] == "c_t"}
        return {"seed": seed, "lstm_bits_per_char": bits, "in_string_unit": by["in_string"]["unit"],
                "in_string_abs_r": by["in_string"]["abs_r"],
                "in_string_untrained_abs_r": by["in_string"]["untrained_abs_r"],
                "string_or_comment_abs_r": by["string_or_comment"]["abs_r"],
                "in_string_unit_long_memory": bool(long_memory["in_string"]),
                "zero_closers_delta": zero["unit"]["closers_delta"],
                "zero_random_closers_delta_mean": zero["random"]["closers_delta"]["mean"],
                "zero_random_closers_delta_max": zero["random"]["closers_delta"]["max"],
                "zero_others_delta": zero["unit"]["others_delta"]}

    def scanned(r: dict[str, Any], scan: dict[str, Any] | None) -> dict[str, Any]:
        if scan:
            top = scan["top"][0]
            r |= {"scan_rank_of_in_string_unit": scan["rank_of_unit"], "scan_top_unit": top["unit"],
                  "scan_top_closers_delta": top["closers_delta"], "scan_top_abs_r_in_string": top["abs_r_in_string"],
                  "scan_median_closers_delta": scan["median_closers_delta"]}
        return r

    rows = [scanned(row(a["seed"], a["lstm_bits_per_char"], [*a["trackers"], *a.get("extra_trackers", [])],
                        a["saturation"]["trackers_long_memory"], a["ablation"]["modes"]["zero"]), a.get("scan"))]
    for key in sorted(a.get("seeds", {}), key=int):
        s = a["seeds"][key]
        rows.append(row(int(key), s["lstm_bits_per_char"], s["trackers"], s["trackers_long_memory"],
                        s["ablation_zero"]["modes"]["zero"]))
        scanned(rows[-1], s.get("scan"))
        worst = s["ablation_zero"].get("most_harmful_random")
        if worst:
            rows[-1] |= {"most_harmful_random_unit": worst["unit"],
                         "most_harmful_closers_delta": worst["closers_delta"],
                         "most_harmful_abs_r_in_string": worst["abs_r"]["in_string"]}
    return rows
