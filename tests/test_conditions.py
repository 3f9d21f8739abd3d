"""The committed conditions sweep (lstm_course/data/conditions.json) matches the code that made it.

The whole sweep takes minutes (tools/sweep_conditions.py); here one cell is re-run: the LSTM with forget
bias 3, clipping 1.0, seed 1, whose accuracy (0.756 when written) is neither chance nor 100 %, so a change
in the task, the model, the initialisation or the training loop moves it. About 5-10 s on one CPU thread.
"""

from __future__ import annotations

import pytest

from lstm_course.conditions import (
    CLIPS,
    FORGET_BIASES,
    SEEDS,
    base_config_record,
    config_for,
    load_conditions,
    run_cell,
    summarise,
    sweep_cells,
)
from lstm_course.tasks import DEFAULT_CONFIG

KEYS = ("kind", "forget_bias", "clip", "init_scale", "lr", "seed")
RERUN = {"kind": "lstm", "forget_bias": 3.0, "clip": 1.0, "seed": 1}


@pytest.fixture(scope="module")
def record() -> dict:
    return load_conditions()


def test_file_holds_exactly_the_grid_of_the_current_code(record: dict) -> None:
    assert record["base_config"] == base_config_record(DEFAULT_CONFIG)  # the default it varied is today's
    stored = [{k: cell[k] for k in KEYS} for cell in record["cells"]]
    assert stored == sweep_cells()
    for cell in record["cells"]:
        assert 0.0 <= cell["accuracy"] <= 1.0 and cell["loss"] > 0


def test_one_cell_rerun_matches_the_file(record: dict) -> None:
    (stored,) = [c for c in record["cells"] if all(c[k] == v for k, v in RERUN.items())]
    fresh = run_cell({k: stored[k] for k in KEYS})
    # Same code, same seeds: identical on one machine; the tolerance allows another CPU's rounding.
    assert fresh["accuracy"] == pytest.approx(stored["accuracy"], abs=0.01)
    assert fresh["loss"] == pytest.approx(stored["loss"], rel=0.05)


def test_summary_groups_over_seeds(record: dict) -> None:
    rows = summarise(record["cells"], "lstm", ("forget_bias", "clip"))
    assert [(r["forget_bias"], r["clip"]) for r in rows] == [(fb, c) for fb in FORGET_BIASES for c in CLIPS]
    for r in rows:
        assert r["seeds"] == list(SEEDS) and r["min"] <= r["mean"] <= r["max"]
    rnn = summarise(record["cells"], "rnn", ("init_scale", "lr"))
    assert all(len(r["seeds"]) == len(SEEDS) for r in rnn)


def test_config_for_replaces_only_the_cell_fields() -> None:
    cfg = config_for({"forget_bias": None, "clip": None, "init_scale": 2.0, "lr": 1e-2, "seed": 4})
    assert cfg.forget_bias == DEFAULT_CONFIG.forget_bias and cfg.clip is None and cfg.init_scale == 2.0
    assert (cfg.task, cfg.hidden_size, cfg.steps, cfg.batch_size) == (
        DEFAULT_CONFIG.task, DEFAULT_CONFIG.hidden_size, DEFAULT_CONFIG.steps, DEFAULT_CONFIG.batch_size)
    with pytest.raises(ValueError, match="`cell` lacks"):
        config_for({"seed": 0})
    with pytest.raises(ValueError, match="`cell\\['kind'\\]` must be 'lstm' or 'rnn'"):
        run_cell({"kind": "gru", "forget_bias": 1.0, "clip": 1.0, "init_scale": 1.0, "lr": 1e-3, "seed": 0})
