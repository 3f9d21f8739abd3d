"""The committed variants sweep (lstm_course/data/variants.json) matches the code that made it.

The whole sweep takes about half an hour on two cores (tools/sweep_variants.py). Here one cell is re-run whose
outcome holds on every float path (issue 16): the LSTM on the 30-step task with full backpropagation (the
``"tbptt"`` part's window 30), seed 0, which solves the task by default, under ``MKL_CBWR=COMPATIBLE`` and under
``MKL_CBWR=AVX2 ATEN_CPU_CAPABILITY=avx2``. Its exact loss is not compared: that moves with the CPU's rounding.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lstm_course.conditions import base_config_record
from lstm_course.layout import gate_slice
from lstm_course.tasks import DEFAULT_CONFIG
from lstm_course.variant_sweep import (
    CELL_KEYS,
    CLIPS,
    INPUT_BIASES,
    LENGTHS,
    MODELS,
    SEEDS,
    SOLVED,
    TBPTT_LENGTH,
    WINDOWS,
    adam_burst,
    build_model,
    config_for,
    load_sweep,
    run_cell,
    summarise,
    sweep_cells,
)

RERUN = {"part": "tbptt", "kind": "lstm", "length": TBPTT_LENGTH, "clip": 1.0, "window": TBPTT_LENGTH,
         "input_bias": 0.0, "seed": 0}


@pytest.fixture(scope="module")
def record() -> dict:
    return load_sweep()


def test_file_holds_exactly_the_grid_of_the_current_code(record: dict) -> None:
    assert record["base_config"] == base_config_record(DEFAULT_CONFIG)  # the default it varied is today's
    assert [{k: c[k] for k in CELL_KEYS} for c in record["cells"]] == sweep_cells()
    assert len(SEEDS) >= 8
    for c in record["cells"]:
        assert 0.0 <= c["accuracy"] <= 1.0 and c["loss"] > 0 and c["params"] > 0 and c["cpu_seconds"] > 0
    clip_runs = [c for c in record["cells"] if c["part"] == "clip"]
    assert clip_runs and all(len(c["history"][k]) == DEFAULT_CONFIG.steps for c in clip_runs
                             for k in ("loss", "accuracy", "grad_norm", "step_norm"))


def test_a_cell_stable_on_every_float_path_reruns_as_the_file_says(record: dict) -> None:
    (stored,) = [c for c in record["cells"] if all(c[k] == v for k, v in RERUN.items())]
    fresh = run_cell({k: stored[k] for k in CELL_KEYS})
    assert fresh["params"] == stored["params"]
    assert stored["accuracy"] >= SOLVED and fresh["accuracy"] >= SOLVED  # solved, here and in the file
    assert fresh["loss"] < 0.1 and stored["loss"] < 0.1


def test_summary_groups_over_seeds_and_counts_the_solved(record: dict) -> None:
    rows = summarise(record["cells"], "compare", ("kind", "input_bias", "length"))
    assert [(r["kind"], r["input_bias"], r["length"]) for r in rows] == [
        (k, b, T) for T in LENGTHS for k in MODELS for b in INPUT_BIASES.get(k, (None,))]
    for r in rows:
        group = [c["accuracy"] for c in record["cells"] if c["part"] == "compare"
                 and (c["kind"], c["input_bias"], c["length"]) == (r["kind"], r["input_bias"], r["length"])]
        assert r["seeds"] == list(SEEDS) and r["min"] <= r["mean"] <= r["max"]
        assert r["solved"] == sum(a >= SOLVED for a in group)
    clip = summarise(record["cells"], "clip", ("clip",))
    assert [r["clip"] for r in clip] == list(CLIPS)
    tbptt = summarise(record["cells"], "tbptt", ("window",))
    assert [r["window"] for r in tbptt] == list(WINDOWS)
    with pytest.raises(ValueError, match="no cells of part"):
        summarise(record["cells"], "nothing", ("kind",))


def test_summary_counts_solved_runs_on_made_up_cells() -> None:
    accs = (1.0, 0.99, 0.98, 0.25)
    cells = [{"part": "compare", "kind": "lstm", "seed": s, "accuracy": a} for s, a in enumerate(accs)]
    (row,) = summarise(cells, "compare", ("kind",))
    assert row["solved"] == 2 and row["mean"] == pytest.approx(0.805) and (row["min"], row["max"]) == (0.25, 1.0)


def test_config_for_replaces_only_length_clip_and_seed() -> None:
    cfg = config_for({"kind": "gru", "length": 30, "clip": None, "seed": 2})
    assert (cfg.task.length, cfg.clip, cfg.seed) == (30, None, 2)
    assert (cfg.hidden_size, cfg.steps, cfg.lr, cfg.forget_bias, cfg.task.num_symbols) == (
        DEFAULT_CONFIG.hidden_size, DEFAULT_CONFIG.steps, DEFAULT_CONFIG.lr, DEFAULT_CONFIG.forget_bias,
        DEFAULT_CONFIG.task.num_symbols)
    with pytest.raises(ValueError, match="`cell` lacks"):
        config_for({"seed": 0})


def _cell(kind: str, input_bias: float | None, seed: int = 3) -> dict:
    return {"part": "compare", "kind": kind, "length": 10, "clip": 1.0, "window": None, "input_bias": input_bias,
            "seed": seed}


def test_build_model_moves_only_the_input_gate_bias() -> None:
    H = DEFAULT_CONFIG.hidden_size
    base, low = build_model(_cell("lstm", 0.0)), build_model(_cell("lstm", -5.0))
    for (name, p), q in zip(base.named_parameters(), low.parameters(), strict=True):
        diff = (q - p).detach()
        if name == "recurrent.bias_ih_l0":  # b_i = b_ih[i] + b_hh[i] moves by -5; nothing else moves
            assert torch.allclose(diff[gate_slice("i", H)], torch.full((H,), -5.0))
            diff[gate_slice("i", H)] = 0
        assert torch.equal(diff, torch.zeros_like(diff)), name
    b = build_model(_cell("lstm", -5.0)).recurrent
    b_i = (b.bias_ih_l0 + b.bias_hh_l0)[gate_slice("i", H)]
    b_f = (b.bias_ih_l0 + b.bias_hh_l0)[gate_slice("f", H)]
    bound = 2 / math.sqrt(H)  # two draws of U(-1/sqrt H, 1/sqrt H)
    assert (b_i + 5).abs().max() <= bound and (b_f - 5).abs().max() <= bound  # matched: σ(b_i) ≈ 1 - σ(b_f)
    peep0, peep5 = build_model(_cell("peephole", 0.0)).recurrent, build_model(_cell("peephole", -5.0)).recurrent
    assert torch.allclose(peep5.b_i - peep0.b_i, torch.full((H,), -5.0)) and torch.equal(peep5.b_f, peep0.b_f)
    with pytest.raises(ValueError, match="no input"):
        build_model(_cell("gru", -5.0))


def test_adam_burst_reads_the_largest_gradient_and_the_steps_around_it() -> None:
    grad = [1.0] * 100
    step = [0.01] * 100
    grad[59] = 500.0  # step 60
    step[59] = 0.05
    step[60:] = [0.001] * 40  # Adam's v remembers the burst: later steps shrink
    b = adam_burst({"grad_norm": grad, "step_norm": step}, window=20)
    assert b["at"] == 60 and b["grad"] == 500 and b["grad_ratio"] == 500 and b["step"] == 0.05
    assert b["step_ratio"] == pytest.approx(5.0) and b["after"] == pytest.approx(0.1)
    assert np.isnan(adam_burst({"grad_norm": [9.0, 1.0], "step_norm": [1.0, 1.0]})["after"])
    with pytest.raises(ValueError, match="lacks"):
        adam_burst({"grad_norm": grad})
