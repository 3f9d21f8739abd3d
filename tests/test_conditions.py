"""The committed conditions sweep (lstm_course/data/conditions.json) matches the code that made it.

The whole sweep takes tens of minutes (tools/sweep_conditions.py); here one cell is re-run: the chapter's own
setting (CHAPTER_CONFIG: forget bias 5, clipping 1.0, 1200 steps, seed 0), which solved the task on all 8 seeds and
under every float path that `make test` tries (tests/colab: MKL_CBWR=COMPATIBLE; MKL_CBWR=AVX2 with
ATEN_CPU_CAPABILITY=avx2). A cell whose outcome is a coin toss that rounding decides (forget bias 3: one seed gave
1.0, 0.739 or 0.271 depending only on MKL's code path, issue 16; and the default's 600 steps at forget bias 5, where
seed 4 stopped at 76.5 %) is never compared seed by seed. About 10-20 s on one CPU thread.
"""

from __future__ import annotations

import pytest

from lstm_course.conditions import (
    CHAPTER_CONFIG,
    CLIPS,
    FORGET_BIASES,
    LONG_CELLS,
    LONG_STEPS,
    SEEDS,
    SOLVED,
    base_config_record,
    config_for,
    load_conditions,
    run_cell,
    summarise,
    sweep_cells,
)
from lstm_course.tasks import DEFAULT_CONFIG

KEYS = ("kind", "forget_bias", "clip", "init_scale", "lr", "steps", "seed")
RERUN = {"kind": "lstm", "forget_bias": CHAPTER_CONFIG.forget_bias, "clip": CHAPTER_CONFIG.clip,
         "steps": CHAPTER_CONFIG.steps, "seed": 0}


@pytest.fixture(scope="module")
def record() -> dict:
    return load_conditions()


def test_file_holds_exactly_the_grid_of_the_current_code(record: dict) -> None:
    assert record["base_config"] == base_config_record(DEFAULT_CONFIG)  # the default it varied is today's
    stored = [{k: cell[k] for k in KEYS} for cell in record["cells"]]
    assert stored == sweep_cells()
    for cell in record["cells"]:
        assert 0.0 <= cell["accuracy"] <= 1.0 and cell["loss"] > 0


def test_the_chapters_setting_reruns_solved_as_stored(record: dict) -> None:
    """The cell is stable: it solved the task on every seed of the file, and solves it again here."""
    (stored,) = [c for c in record["cells"] if all(c[k] == v for k, v in RERUN.items())]
    same_setting = [c for c in record["cells"] if all(c[k] == v for k, v in RERUN.items() if k != "seed")]
    assert len(same_setting) == len(SEEDS) and all(c["accuracy"] >= SOLVED for c in same_setting), same_setting
    fresh = run_cell({k: stored[k] for k in KEYS})
    assert fresh["accuracy"] >= SOLVED, fresh  # solved again, on this machine's float path
    # The final loss of a solved run is small on every float path (0.002-0.004 stored); its digits are not compared.
    assert fresh["loss"] < 0.05 and stored["loss"] < 0.05, (fresh, stored)


def test_summary_groups_over_seeds(record: dict) -> None:
    rows = summarise(record["cells"], "lstm", ("forget_bias", "clip"))
    assert len(SEEDS) >= 8  # issue 16: at least 8 seeds per cell
    assert [(r["forget_bias"], r["clip"]) for r in rows] == [(fb, c) for fb in FORGET_BIASES for c in CLIPS]
    for r in rows:
        assert r["seeds"] == list(SEEDS) and r["min"] <= r["mean"] <= r["max"]
        assert r["solved"] == sum(c["accuracy"] >= SOLVED for c in record["cells"] if c["kind"] == "lstm"
                                  and c["forget_bias"] == r["forget_bias"] and c["clip"] == r["clip"]
                                  and c["steps"] == DEFAULT_CONFIG.steps)
    rnn = summarise(record["cells"], "rnn", ("init_scale", "lr"))
    assert all(len(r["seeds"]) == len(SEEDS) for r in rnn)
    long_lstm = summarise(record["cells"], "lstm", ("forget_bias", "clip"), steps=LONG_STEPS)
    long_rnn = summarise(record["cells"], "rnn", ("init_scale", "lr"), steps=LONG_STEPS)
    assert len(long_lstm) + len(long_rnn) == len(LONG_CELLS)
    assert all(r["seeds"] == list(SEEDS) for r in long_lstm + long_rnn)
    with pytest.raises(ValueError, match="no 'gru' cells"):
        summarise(record["cells"], "gru", ("lr",))  # type: ignore[arg-type]


def test_solved_counts_seeds_at_or_above_the_threshold() -> None:
    accuracies = [1.0, 0.99, 0.989, 0.25]
    cells = [{"kind": "lstm", "forget_bias": 3.0, "steps": 600, "seed": k, "accuracy": a}
             for k, a in enumerate(accuracies)]
    (row,) = summarise(cells, "lstm", ("forget_bias",))
    assert row["solved"] == 2 and row["seeds"] == [0, 1, 2, 3] and row["min"] == 0.25


def test_config_for_replaces_only_the_cell_fields() -> None:
    cfg = config_for({"forget_bias": None, "clip": None, "init_scale": 2.0, "lr": 1e-2, "steps": 600, "seed": 4})
    assert cfg.forget_bias == DEFAULT_CONFIG.forget_bias and cfg.clip is None and cfg.init_scale == 2.0
    assert (cfg.task, cfg.hidden_size, cfg.steps, cfg.batch_size) == (
        DEFAULT_CONFIG.task, DEFAULT_CONFIG.hidden_size, DEFAULT_CONFIG.steps, DEFAULT_CONFIG.batch_size)
    assert CHAPTER_CONFIG == config_for({"forget_bias": 5.0, "clip": 1.0, "init_scale": 1.0, "lr": DEFAULT_CONFIG.lr,
                                         "steps": LONG_STEPS, "seed": 0})
    with pytest.raises(ValueError, match="`cell` lacks"):
        config_for({"seed": 0})
    with pytest.raises(ValueError, match="`cell\\['kind'\\]` must be 'lstm' or 'rnn'"):
        run_cell({"kind": "gru", "forget_bias": 1.0, "clip": 1.0, "init_scale": 1.0, "lr": 1e-3, "steps": 10,
                  "seed": 0})
