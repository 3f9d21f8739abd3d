"""lstm_course.probes on cases whose answer is known.

* A hand-set cell that writes the first symbol once (input gate open only at the marker) and then
  holds it (forget gate σ(10) everywhere): the surviving first write is ~all of |c_T| (measured
  0.9987 at T = 30) and a probe decodes the symbol at every step (1.0).
* An LSTM with PyTorch's random initial weights: its forget gates are ~0.5, so by t = T = 60 the
  first symbol has decayed away; a probe scores near chance on held-out sequences (measured 0.23
  to 0.25 for seeds 0-2, chance 0.25), while at t = 1 the same probe decodes it perfectly (1.0).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstm_course.layer import LSTM
from lstm_course.layout import CellWeights, to_torch_layout
from lstm_course.probes import (
    first_write_remainder,
    fit_probe,
    gates_over_time,
    label_variance_share,
    measure_memory,
    probe_accuracy_over_time,
    surviving_first_write_share,
    write_contributions,
)
from lstm_course.tasks import RecallTask, TrainConfig, build_model


def _write_once_cell(num_symbols: int) -> LSTM:
    """H = K units; unit k holds symbol k. i_t = σ(20·marker − 10), f_t = σ(10), c̃_t = tanh(2·onehot)."""
    K = num_symbols
    H, I = K, K + 1
    zeros_hh = torch.zeros(H, H)
    W_x_i = torch.zeros(H, I)
    W_x_i[:, K] = 20.0  # the marker channel opens the input gate
    W_x_c = torch.cat([2.0 * torch.eye(K), torch.zeros(K, 1)], dim=1)  # symbol k -> unit k
    weights = CellWeights(
        W_f=torch.zeros(H, H + I), b_f=torch.full((H,), 10.0),
        W_i=torch.cat([zeros_hh, W_x_i], 1), b_i=torch.full((H,), -10.0),
        W_c=torch.cat([zeros_hh, W_x_c], 1), b_c=torch.zeros(H),
        W_o=torch.zeros(H, H + I), b_o=torch.zeros(H),
    )
    layer = LSTM(I, H)
    with torch.no_grad():
        for p, v in zip((layer.weight_ih_l0, layer.weight_hh_l0, layer.bias_ih_l0, layer.bias_hh_l0),
                        to_torch_layout(weights), strict=True):
            p.copy_(v)
    return layer


def _run(layer: LSTM, task: RecallTask, n: int, seed: int):
    x, y = task.sample(n, generator=torch.Generator().manual_seed(seed))  # (T, n, I), (n,)
    with torch.no_grad():
        _, _, gates = layer(x, return_gates=True)  # SequenceGates, each (T, n, H)
    return gates, y


def test_write_once_cell_keeps_its_first_write_and_is_decodable_at_every_step() -> None:
    task = RecallTask(length=30, num_symbols=4)
    layer = _write_once_cell(task.num_symbols)
    fit, y_fit = _run(layer, task, 400, seed=0)
    test, y_test = _run(layer, task, 400, seed=1)
    share = surviving_first_write_share(test.f_t, test.i_t, test.c_tilde, test.c_t)  # (B,)
    assert share.shape == (400,)
    assert share.min() > 0.99  # writes once, holds: c_T is the first write
    for name in ("h_t", "c_t"):
        acc = probe_accuracy_over_time(getattr(fit, name), y_fit, getattr(test, name), y_test)
        assert acc.shape == (task.length,)
        assert acc.min() == 1.0, name
    assert label_variance_share(test.c_t[-1], y_test) > 0.999  # c_T is a function of the first symbol
    gates = gates_over_time(test, ("i_t", "f_t", "c_t"))
    assert gates["i_t"][0] > 0.99 and gates["i_t"][1:].max() < 1e-3  # open at t = 1 only
    assert gates["f_t"].min() > 0.999
    assert abs(gates["c_t"][-1] - gates["c_t"][0]) < 0.01 * gates["c_t"][0]  # |c_t| held


def test_random_lstm_forgets_the_first_symbol_probe_near_chance() -> None:
    task = RecallTask(length=60, num_symbols=4)
    layer = LSTM(task.input_size, 32)
    layer.reset_parameters(generator=torch.Generator().manual_seed(0))
    fit, y_fit = _run(layer, task, 2000, seed=10)
    test, y_test = _run(layer, task, 2000, seed=11)
    acc_h = probe_accuracy_over_time(fit.h_t, y_fit, test.h_t, y_test, steps=[1, task.length])
    acc_c = probe_accuracy_over_time(fit.c_t, y_fit, test.c_t, y_test, steps=[1, task.length])
    assert acc_h[0] == 1.0 and acc_c[0] == 1.0  # x_1 fixes h_1: decodable at once
    assert abs(acc_h[1] - task.chance) < 0.05 and abs(acc_c[1] - task.chance) < 0.05  # measured ~0.25
    share = surviving_first_write_share(test.f_t, test.i_t, test.c_tilde, test.c_t)
    assert share.max() < 1e-6  # ∏ of 59 gates near 0.5
    assert label_variance_share(test.c_t[-1], y_test) < 0.01  # c_T varies with the distractors only
    assert label_variance_share(test.c_t[0], y_test) > 0.99  # c_1 is the first symbol's write


def test_probe_scores_held_out_data_not_memorisation() -> None:
    """Random features with as many dimensions as examples fit the training labels, but not new ones."""
    gen = np.random.default_rng(0)
    X_fit, y_fit = gen.normal(size=(200, 150)), gen.integers(0, 4, 200)
    X_test, y_test = gen.normal(size=(2000, 150)), gen.integers(0, 4, 2000)
    probe = fit_probe(X_fit, y_fit, 4, ridge=1e-6)
    assert probe.accuracy(X_fit, y_fit) > 0.95
    assert abs(probe.accuracy(X_test, y_test) - 0.25) < 0.05
    assert label_variance_share(X_test, y_test) < 0.01  # (K-1)/N ≈ 0.0015 expected


def test_label_variance_share_is_the_between_class_share() -> None:
    X = np.array([[0.0], [2.0], [10.0], [12.0]])
    y = np.array([0, 0, 1, 1])
    # class means 1 and 11, grand mean 6: between 4·25 = 100, total 36+16+16+36 = 104
    assert label_variance_share(X, y) == pytest.approx(100 / 104)


def test_probe_is_deterministic_and_separates_classes_along_one_axis() -> None:
    """Three classes in a row on one axis: a linear classifier separates them (one-vs-rest least squares
    would not: its middle class never wins; a first version of this module measured 74 % here)."""
    gen = np.random.default_rng(1)
    y = gen.integers(0, 3, 300)
    X = gen.normal(size=(300, 5))
    X[:, 2] += 10.0 * y  # the label lives on one axis, 5 noise widths from each neighbour
    a, b = fit_probe(X, y), fit_probe(X, y)
    assert np.array_equal(a.weights, b.weights)
    assert a.accuracy(X, y) == 1.0
    X_const = np.concatenate([X, np.ones((300, 1))], axis=1)  # a constant feature is harmless
    assert fit_probe(X_const, y).accuracy(X_const, y) == 1.0


def test_write_contributions_sum_to_the_last_cell_state() -> None:
    """c_T = Σ_s (∏_{j=s+1}^T f_j) ⊙ i_s ⊙ c̃_s when c_0 = 0."""
    layer = LSTM(3, 6)
    layer.reset_parameters(generator=torch.Generator().manual_seed(2))
    x = torch.randn(9, 4, 3, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        _, _, g = layer(x, return_gates=True)
    w = write_contributions(g.f_t, g.i_t, g.c_tilde)  # (T, B, H)
    assert w.shape == (9, 4, 6)
    np.testing.assert_allclose(w.sum(axis=0), g.c_t[-1].numpy(), atol=1e-5)
    np.testing.assert_allclose(w[-1], (g.i_t[-1] * g.c_tilde[-1]).numpy(), atol=1e-7)  # empty product
    kept_first = g.f_t[1:].prod(dim=0)  # ∏_{j=2}^T f_j
    np.testing.assert_allclose(w[0], (kept_first * g.i_t[0] * g.c_tilde[0]).numpy(), rtol=1e-5)
    remainder = first_write_remainder(g.f_t, g.i_t, g.c_tilde)  # (T, B, H)
    np.testing.assert_allclose(remainder[-1], w[0], rtol=1e-6)
    np.testing.assert_allclose(remainder[0], (g.i_t[0] * g.c_tilde[0]).numpy(), rtol=1e-6)
    np.testing.assert_allclose(remainder[2], (g.f_t[1] * g.f_t[2] * g.i_t[0] * g.c_tilde[0]).numpy(), rtol=1e-5)
    one = surviving_first_write_share(g.f_t[:, 0], g.i_t[:, 0], g.c_tilde[:, 0], g.c_t[:, 0])  # one sequence
    assert one.shape == () and np.isclose(one, np.abs(w[0, 0]).sum() / np.abs(g.c_t[-1, 0].numpy()).sum())


def test_gates_over_time_averages_gates_and_magnitudes() -> None:
    f = torch.rand(5, 3, 2, generator=torch.Generator().manual_seed(4))
    c = torch.tensor([-1.0, 1.0]).expand(5, 3, 2)
    out = gates_over_time({"f_t": f, "c_t": c}, ("f_t", "c_t"))
    np.testing.assert_allclose(out["f_t"], f.mean(dim=(1, 2)).numpy(), rtol=1e-6)
    np.testing.assert_allclose(out["c_t"], np.ones(5))  # |c_t|, not the signed mean 0


def test_bad_arguments_name_the_argument() -> None:
    X, y = np.zeros((4, 2)), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="`labels` must be integer class labels"):
        fit_probe(X, y.astype(float))
    with pytest.raises(ValueError, match="`ridge` must be positive"):
        fit_probe(X, y, ridge=0.0)
    with pytest.raises(ValueError, match="`features` must have 2 dimensions"):
        fit_probe(np.zeros(4), y)
    states = np.zeros((3, 4, 2))
    with pytest.raises(ValueError, match=r"`steps` must be book steps in 1 … 3 \(t = 1 is the first step\)"):
        probe_accuracy_over_time(states, y, states, y, steps=[0])
    with pytest.raises(ValueError, match="`test_states` must have shape"):
        probe_accuracy_over_time(states, y, np.zeros((2, 4, 2)), y)
    with pytest.raises(ValueError, match="must share one shape"):
        write_contributions(np.ones((3, 2)), np.ones((3, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="their variance is 0"):
        label_variance_share(np.ones((4, 2)), y)
    with pytest.raises(ValueError, match="must share one shape"):
        first_write_remainder(np.ones((3, 2)), np.ones((3, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="`gates` has no 'o_t'"):
        gates_over_time({"f_t": states}, ("o_t",))
    with pytest.raises(ValueError, match="`f_t` contains NaN"):
        write_contributions(np.full((2, 2), np.nan), np.ones((2, 2)), np.ones((2, 2)))


def test_measure_memory_on_the_untrained_start_is_the_baseline_chapter_08_shows() -> None:
    """The untrained model with forget bias 5 (the training's start): every instrument, measured as the parts do.

    At t = 1 the probe reads the symbol (h_1 depends on x_1 alone); with forget gates near σ(5) the untrained
    network still holds it well above chance 20 steps later (probe on h_t measured 1.0 at t = 1, 0.977 at t = 5
    and 0.60 at t = 20, on c_t 0.76 at t = 20; 600 fit / 600 test sequences, T = 20, H = 16, seed 0); its
    read-out is at chance (0.23).
    """
    task = RecallTask(length=20, num_symbols=4)
    config = TrainConfig(task=task, hidden_size=16, forget_bias=5.0, seed=0)
    model = build_model("lstm", config, device="cpu")
    before = [p.clone() for p in model.parameters()]
    fit_x, fit_y = task.sample(600, generator=torch.Generator().manual_seed(1))
    test_x, test_y = task.sample(600, generator=torch.Generator().manual_seed(2))
    m = measure_memory(model, fit_x, fit_y, test_x, test_y, [1, 5, 20])
    assert all(torch.equal(p, q) for p, q in zip(before, model.parameters(), strict=True))  # not changed
    with torch.no_grad():
        _, _, g = model.recurrent(test_x, return_gates=True)
        _, _, fg = model.recurrent(fit_x, return_gates=True)
    assert m.steps == (1, 5, 20) and m.probe_h.shape == (3,) and m.readout.shape == (20,) and m.share.shape == (600,)
    np.testing.assert_array_equal(m.probe_c, probe_accuracy_over_time(fg.c_t, fit_y, g.c_t, test_y, [1, 5, 20]))
    np.testing.assert_allclose(m.share, surviving_first_write_share(g.f_t, g.i_t, g.c_tilde, g.c_t))
    assert m.f_dist == pytest.approx(float(g.f_t[1:].mean())) and m.i_dist == pytest.approx(float(g.i_t[1:].mean()))
    assert m.kept == pytest.approx(float(g.f_t[1:].prod(dim=0).mean()))
    assert m.explained == pytest.approx(label_variance_share(g.c_t[-1], test_y))
    np.testing.assert_allclose(m.over_time["c_t"], gates_over_time(g, ("c_t",))["c_t"])
    assert m.probe_h[0] == 1.0 and m.probe_h[-1] > task.chance + 0.2  # decodable before any training
    assert m.f_dist > 0.98 and abs(m.readout[-1] - task.chance) < 0.1  # σ(5) ≈ 0.993; an untrained read-out
    with pytest.raises(ValueError, match="`model` must be a tasks.SequenceClassifier"):
        measure_memory(model.recurrent, fit_x, fit_y, test_x, test_y, [1])
