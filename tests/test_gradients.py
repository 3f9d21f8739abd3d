"""Gradient flow through time: the qualitative facts the book states, measured.

Measured at the defaults (T=50, H=32, I=8, batch 16, seeds 0-4, PyTorch's init scale), ratio of
the gradient norm at the first step to that at the last step:
RNN 5e-14; LSTM h-gradient with forget bias 0/1/2/3: 8e-12 / 1e-5 / 7e-3 / 7e-2;
LSTM c-gradient with forget bias 3: 1.2. Thresholds below sit orders of magnitude clear of these.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstm_course.gradients import (
    LSTMGradientNorms,
    RNNWeights,
    _inputs_and_readout,
    forget_path_product,
    gradient_ratio_at,
    lstm_gradient_norms,
    rnn_gradient_norms,
    rnn_step,
    rnn_weights,
    sweep_forget_bias,
    sweep_length,
    sweep_weight_scale,
)


def test_rnn_step_is_its_equation() -> None:
    gen = torch.Generator().manual_seed(0)
    w = rnn_weights(4, 3, generator=gen)
    x, h = torch.randn(2, 3, dtype=torch.float64), torch.randn(2, 4, dtype=torch.float64)
    expected = torch.stack([torch.tanh(w.W_h @ h[n] + w.W_x @ x[n] + w.b) for n in range(2)])
    assert torch.allclose(rnn_step(x, h, w), expected, atol=1e-14)
    assert torch.allclose(rnn_step(x[0], h[0], w), expected[0], atol=1e-14)


def test_rnn_weights_follow_pytorch_init_bound_times_scale() -> None:
    w = rnn_weights(16, 8, weight_scale=2.0, generator=torch.Generator().manual_seed(1))
    bound = 2.0 / 16**0.5
    assert all(float(t.abs().max()) <= bound for t in w)
    assert float(w.W_h.abs().max()) > 0.8 * bound  # not a smaller distribution


def test_rnn_norms_equal_explicit_jacobian_product() -> None:
    """∂L/∂h_k = u^T ∏_{j=k+1}^{T-1} diag(1 - h_j²) W_h, computed by hand for one seed."""
    T, H, I, B, seed = 6, 5, 3, 2, 7
    gen = torch.Generator().manual_seed(seed)
    w = rnn_weights(H, I, 1.5, generator=gen)
    x, u = _inputs_and_readout(T, B, I, H, gen)
    hs, h = [], torch.zeros(B, H, dtype=torch.float64)
    for t in range(T):
        h = torch.tanh(h @ w.W_h.T + x[t] @ w.W_x.T + w.b)
        hs.append(h)
    expected = np.zeros(T)
    for n in range(B):
        g = u.clone()  # ∂L/∂h_{T-1}
        expected[T - 1] += float(g.norm())
        for k in range(T - 2, -1, -1):
            g = (g * (1 - hs[k + 1][n] ** 2)) @ w.W_h  # through h_{k+1} = tanh(W_h h_k + …)
            expected[k] += float(g.norm())
    got = rnn_gradient_norms(T, H, I, 1.5, seeds=(seed,), batch_size=B, device="cpu")
    np.testing.assert_allclose(got, expected / B, rtol=1e-10)


def test_rnn_gradient_vanishes_over_50_steps() -> None:
    norms = rnn_gradient_norms(50)
    assert norms.shape == (50,)
    assert norms[-1] == pytest.approx(1.0)  # L = u·h_{T-1}, |u| = 1
    assert gradient_ratio_at(norms) < 1e-9  # measured 5e-14
    assert np.all(np.diff(np.log(norms[:-1])) > 0)  # shrinks at every step back


def test_lstm_with_forget_bias_keeps_its_gradient() -> None:
    norms = lstm_gradient_norms(50, forget_bias=3.0)
    assert isinstance(norms, LSTMGradientNorms)
    assert gradient_ratio_at(norms.c) > 0.1  # measured 1.2: the cell path does not vanish
    assert gradient_ratio_at(norms.h) > 1e-2  # measured 0.07
    assert gradient_ratio_at(norms.h) > 1e8 * gradient_ratio_at(rnn_gradient_norms(50))


def test_lstm_beats_rnn_even_at_forget_bias_one() -> None:
    lstm = lstm_gradient_norms(50, forget_bias=1.0).h
    rnn = rnn_gradient_norms(50)
    assert lstm[0] > 1e4 * rnn[0]  # measured 2e8


def test_raising_forget_bias_raises_early_gradient() -> None:
    rows = sweep_forget_bias([0.0, 1.0, 2.0, 3.0], T=50)
    assert rows.shape == (4, 50)
    assert np.all(np.diff(rows[:, 0]) > 0)
    assert rows[-1, 0] > 1e6 * rows[0, 0]  # measured 8e-12 -> 7e-2
    cells = sweep_forget_bias([0.0, 3.0], T=50, state="c")
    assert cells[1, 0] > cells[0, 0]


def test_rnn_weight_scale_and_length_sweeps() -> None:
    by_scale = sweep_weight_scale([0.5, 1.0, 2.0, 3.0], kind="rnn", T=30)
    assert by_scale.shape == (4, 30)
    assert np.all(np.diff(by_scale[:, 0]) > 0)  # larger recurrent weights, less vanishing
    by_length = sweep_length([5, 10, 20, 40], kind="rnn")
    assert np.all(np.diff(by_length) < 0)  # longer sequences, smaller first-step gradient
    lstm_by_length = sweep_length([5, 20, 40], kind="lstm", forget_bias=3.0)
    assert np.all(lstm_by_length > 1e-2)


def test_forget_path_product_matches_loop() -> None:
    rng = np.random.default_rng(0)
    f = rng.uniform(0.5, 1.0, size=(6, 2, 3))
    P = forget_path_product(torch.tensor(f))
    assert P.shape == f.shape
    for k in range(6):
        expected = np.ones((2, 3))
        for j in range(k + 1, 6):
            expected = expected * f[j]
        np.testing.assert_allclose(P[k], expected, rtol=1e-12)
    np.testing.assert_array_equal(forget_path_product(f[:, 0]), P[:, 0])


def test_lstm_forget_path_tracks_forget_bias() -> None:
    """With f_t ≈ σ(b_f), the mean path over k steps is near σ(b_f)^k in order of magnitude."""
    paths = lstm_gradient_norms(30, forget_bias=2.0).forget_path
    assert paths[-1] == pytest.approx(1.0)
    sigma = 1 / (1 + np.exp(-2.0))
    assert 0.1 < paths[0] / sigma**29 < 10


def test_same_numbers_on_every_device(device: torch.device) -> None:
    dtype = torch.float32 if device.type == "mps" else torch.float64
    on_device = rnn_gradient_norms(20, seeds=(0,), device=device, dtype=dtype)
    on_cpu = rnn_gradient_norms(20, seeds=(0,), device="cpu", dtype=dtype)
    np.testing.assert_allclose(on_device, on_cpu, rtol=1e-4)
    lstm_dev = lstm_gradient_norms(10, seeds=(0,), device=device, dtype=dtype)
    lstm_cpu = lstm_gradient_norms(10, seeds=(0,), device="cpu", dtype=dtype)
    np.testing.assert_allclose(lstm_dev.c, lstm_cpu.c, rtol=1e-4)


def test_deterministic_given_seeds() -> None:
    np.testing.assert_array_equal(rnn_gradient_norms(10, seeds=(3,)), rnn_gradient_norms(10, seeds=(3,)))
    assert not np.array_equal(rnn_gradient_norms(10, seeds=(3,)), rnn_gradient_norms(10, seeds=(4,)))


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="`T` must be a positive int"):
        rnn_gradient_norms(0)
    with pytest.raises(ValueError, match="`seeds` is empty"):
        lstm_gradient_norms(5, seeds=())
    with pytest.raises(ValueError, match="`kind` must be 'rnn' or 'lstm'"):
        sweep_weight_scale([1.0], kind="gru")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"`f_t` holds values outside \[0, 1\]"):
        forget_path_product(np.full((3, 2), 1.5))
    with pytest.raises(ValueError, match=r"`f_t` must have shape \(T, H\)"):
        forget_path_product(np.ones(3))
    with pytest.raises(ValueError, match="`steps_back` must be at least 0 and below T"):
        gradient_ratio_at(np.ones(5), steps_back=5)
    with pytest.raises(TypeError, match="RNNWeights"):
        rnn_step(torch.zeros(3), torch.zeros(4), (torch.zeros(4, 4), torch.zeros(4, 3), torch.zeros(4)))
    w = RNNWeights(torch.zeros(4, 4), torch.zeros(4, 3), torch.zeros(4))
    with pytest.raises(ValueError, match="`x_t` in I = 3"):
        rnn_step(torch.zeros(2), torch.zeros(4), w)
