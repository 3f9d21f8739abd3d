"""The committed variants sweep (lstm_course/data/variants.json) matches the code that made it.

The whole sweep takes tens of minutes (tools/sweep_variants.py); here one cell is re-run: the GRU on the
10-step task with seed 0, a few seconds on one CPU thread. Same code, same seeds: the same numbers on one
machine; the tolerance allows another CPU's rounding.
"""

from __future__ import annotations

import pytest

from lstm_course.conditions import base_config_record
from lstm_course.tasks import DEFAULT_CONFIG
from lstm_course.variant_sweep import (
    CLIPS,
    LENGTHS,
    MODELS,
    SEEDS,
    WINDOWS,
    config_for,
    load_sweep,
    run_cell,
    summarise,
    sweep_cells,
)

KEYS = ("part", "kind", "length", "clip", "window", "seed")
RERUN = {"part": "compare", "kind": "gru", "length": 10, "seed": 0}


@pytest.fixture(scope="module")
def record() -> dict:
    return load_sweep()


def test_file_holds_exactly_the_grid_of_the_current_code(record: dict) -> None:
    assert record["base_config"] == base_config_record(DEFAULT_CONFIG)  # the default it varied is today's
    assert [{k: c[k] for k in KEYS} for c in record["cells"]] == sweep_cells()
    for c in record["cells"]:
        assert 0.0 <= c["accuracy"] <= 1.0 and c["loss"] > 0 and c["params"] > 0 and c["cpu_seconds"] > 0
    clip_runs = [c for c in record["cells"] if c["part"] == "clip"]
    assert all(len(c["history"]["grad_norm"]) == DEFAULT_CONFIG.steps for c in clip_runs)


def test_one_cell_rerun_matches_the_file(record: dict) -> None:
    (stored,) = [c for c in record["cells"] if all(c[k] == v for k, v in RERUN.items())]
    fresh = run_cell({k: stored[k] for k in KEYS})
    assert fresh["params"] == stored["params"]
    assert fresh["accuracy"] == pytest.approx(stored["accuracy"], abs=0.01)
    assert fresh["loss"] == pytest.approx(stored["loss"], rel=0.05, abs=1e-3)


def test_summary_groups_over_seeds(record: dict) -> None:
    rows = summarise(record["cells"], "compare", ("kind", "length"))
    assert [(r["kind"], r["length"]) for r in rows] == [(k, T) for T in LENGTHS for k in MODELS]
    for r in rows:
        assert r["seeds"] == list(SEEDS) and r["min"] <= r["mean"] <= r["max"]
    clip = summarise(record["cells"], "clip", ("clip",))
    assert [r["clip"] for r in clip] == list(CLIPS)
    tbptt = summarise(record["cells"], "tbptt", ("window",))
    assert [r["window"] for r in tbptt] == list(WINDOWS)
    with pytest.raises(ValueError, match="no cells of part"):
        summarise(record["cells"], "nothing", ("kind",))


def test_config_for_replaces_only_length_clip_and_seed() -> None:
    cfg = config_for({"kind": "gru", "length": 30, "clip": None, "seed": 2})
    assert (cfg.task.length, cfg.clip, cfg.seed) == (30, None, 2)
    assert (cfg.hidden_size, cfg.steps, cfg.lr, cfg.forget_bias, cfg.task.num_symbols) == (
        DEFAULT_CONFIG.hidden_size, DEFAULT_CONFIG.steps, DEFAULT_CONFIG.lr, DEFAULT_CONFIG.forget_bias,
        DEFAULT_CONFIG.task.num_symbols)
    with pytest.raises(ValueError, match="`cell` lacks"):
        config_for({"seed": 0})
