"""The numpy reference: forward equals the torch cell, backward equals autograd and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstm_course import from_torch_layout, lstm_step
from lstm_course.layout import GATE_ORDER, gate_slice
from lstm_course.reference import (
    from_cell_weights,
    from_torch,
    gradient_check,
    gradient_check_sequence,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
    numerical_gradient,
    rel_error,
    to_cell_weights,
    to_torch,
)

B, I, H, T = 3, 4, 5, 6
TOL = 1e-7


def _params(seed: int, scale: float = 0.5):
    rng = np.random.default_rng(seed)
    Wx = rng.standard_normal((I, 4 * H)) * scale  # (I, 4H)
    Wh = rng.standard_normal((H, 4 * H)) * scale  # (H, 4H)
    b = rng.standard_normal(4 * H) * scale  # (4H,)
    return rng, Wx, Wh, b


def _t(a: np.ndarray) -> torch.Tensor:
    return torch.tensor(a, dtype=torch.float64, requires_grad=True)


# ---------------------------------------------------------------------------- forward


@pytest.mark.parametrize("batched", [True, False])
def test_step_forward_equals_cell_lstm_step(batched: bool) -> None:
    rng, Wx, Wh, b = _params(0)
    shape = (B,) if batched else ()
    x, h, c = rng.standard_normal(shape + (I,)), rng.standard_normal(shape + (H,)), rng.standard_normal(shape + (H,))
    h_np, c_np, _ = lstm_step_forward(x, h, c, Wx, Wh, b)
    h_t, c_t = lstm_step(torch.tensor(x), torch.tensor(h), torch.tensor(c), to_cell_weights(Wx, Wh, b))
    assert h_np.shape == shape + (H,) and c_np.shape == shape + (H,)
    np.testing.assert_allclose(h_np, h_t.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(c_np, c_t.numpy(), rtol=0, atol=1e-12)


def test_sequence_forward_equals_nn_lstm() -> None:
    rng, Wx, Wh, b = _params(1)
    x, h0, c0 = rng.standard_normal((T, B, I)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
    h, cache = lstm_forward(x, h0, Wx, Wh, b, c0)
    ref = torch.nn.LSTM(I, H, dtype=torch.float64)
    with torch.no_grad():
        for name, value in zip(("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"), to_torch(Wx, Wh, b),
                               strict=True):
            getattr(ref, name).copy_(value)
        out, (h_n, c_n) = ref(torch.tensor(x), (torch.tensor(h0)[None], torch.tensor(c0)[None]))
    np.testing.assert_allclose(h, out.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(cache["c_last"], c_n[0].numpy(), rtol=0, atol=1e-12)


def test_forward_gates_follow_layout_order() -> None:
    """A bias that saturates only the forget block must keep c_prev: the reference reads gates via layout."""
    rng, Wx, Wh, b = _params(2, scale=0.0)
    b = b.copy()
    b[gate_slice("f", H)] = 50.0  # f_t ≈ 1
    b[gate_slice("i", H)] = -50.0  # i_t ≈ 0
    c_prev = rng.standard_normal((B, H))
    _, c, _ = lstm_step_forward(rng.standard_normal((B, I)), rng.standard_normal((B, H)), c_prev, Wx, Wh, b)
    np.testing.assert_allclose(c, c_prev, atol=1e-12)
    assert GATE_ORDER == ("i", "f", "g", "o")


# ---------------------------------------------------------------------------- backward vs autograd


@pytest.mark.parametrize("batched", [True, False])
def test_step_backward_matches_autograd(batched: bool) -> None:
    rng, Wx, Wh, b = _params(3)
    shape = (B,) if batched else ()
    x, h, c = rng.standard_normal(shape + (I,)), rng.standard_normal(shape + (H,)), rng.standard_normal(shape + (H,))
    dh, dc = rng.standard_normal(shape + (H,)), rng.standard_normal(shape + (H,))
    _, _, cache = lstm_step_forward(x, h, c, Wx, Wh, b)
    ours = lstm_step_backward(dh, dc, cache)

    w_ih, w_hh, b_ih = _t(Wx.T), _t(Wh.T), _t(b)  # torch layout: (4H, I), (4H, H), (4H,)
    xt, ht, ct = _t(x), _t(h), _t(c)
    h_t, c_t = lstm_step(xt, ht, ct, from_torch_layout(w_ih, w_hh, b_ih, None))
    torch.autograd.backward([h_t, c_t], [torch.tensor(dh), torch.tensor(dc)])
    theirs = (xt.grad, ht.grad, ct.grad, w_ih.grad.T, w_hh.grad.T, b_ih.grad)
    for name, a, t in zip(("dx", "dh_prev", "dc_prev", "dWx", "dWh", "db"), ours, theirs, strict=True):
        assert a.shape == tuple(t.shape), name
        assert rel_error(a, t.numpy()) < TOL, name


def test_sequence_backward_matches_nn_lstm_autograd() -> None:
    rng, Wx, Wh, b = _params(4)
    x, h0, c0 = rng.standard_normal((T, B, I)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
    dh = rng.standard_normal((T, B, H))
    _, cache = lstm_forward(x, h0, Wx, Wh, b, c0)
    dx, dh0, dc0, dWx, dWh, db = lstm_backward(dh, cache)

    ref = torch.nn.LSTM(I, H, dtype=torch.float64)
    with torch.no_grad():
        for name, value in zip(("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"), to_torch(Wx, Wh, b),
                               strict=True):
            getattr(ref, name).copy_(value)
    xt, h0t, c0t = _t(x), _t(h0[None]), _t(c0[None])
    out, _ = ref(xt, (h0t, c0t))
    out.backward(torch.tensor(dh))
    assert rel_error(dx, xt.grad.numpy()) < TOL
    assert rel_error(dh0, h0t.grad[0].numpy()) < TOL
    assert rel_error(dc0, c0t.grad[0].numpy()) < TOL
    assert rel_error(dWx, ref.weight_ih_l0.grad.T.numpy()) < TOL
    assert rel_error(dWh, ref.weight_hh_l0.grad.T.numpy()) < TOL
    assert rel_error(db, ref.bias_ih_l0.grad.numpy()) < TOL  # b = b_ih + b_hh: both get the same gradient


# ---------------------------------------------------------------------------- backward vs finite differences


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_step_gradient_check_below_tolerance(seed: int) -> None:
    rng, Wx, Wh, b = _params(seed)
    errors = gradient_check(rng.standard_normal((B, I)), rng.standard_normal((B, H)), rng.standard_normal((B, H)),
                            Wx, Wh, b, rng=np.random.default_rng(seed))
    assert set(errors) == {"x", "h_prev", "c_prev", "Wx", "Wh", "b"}
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sequence_gradient_check_below_tolerance(seed: int) -> None:
    rng, Wx, Wh, b = _params(seed)
    errors = gradient_check_sequence(rng.standard_normal((T, B, I)), rng.standard_normal((B, H)), Wx, Wh, b,
                                     rng.standard_normal((B, H)), rng=np.random.default_rng(seed))
    assert set(errors) == {"x", "h0", "c0", "Wx", "Wh", "b"}
    assert max(errors.values()) < TOL, errors


def test_gradient_check_catches_a_wrong_backward() -> None:
    """A backward that forgets the tanh' factor on the cell path must fail the check."""
    rng, Wx, Wh, b = _params(5)

    def wrong_backward(dh, dc, cache):
        grads = list(lstm_step_backward(dh, dc, cache))
        grads[2] = grads[2] * 1.01  # dc_prev off by 1 %
        return tuple(grads)

    errors = gradient_check(rng.standard_normal((B, I)), rng.standard_normal((B, H)), rng.standard_normal((B, H)),
                            Wx, Wh, b, backward=wrong_backward)
    assert errors["c_prev"] > 1e-3
    assert errors["x"] < TOL


def test_gradient_check_leaves_inputs_untouched() -> None:
    rng, Wx, Wh, b = _params(6)
    x = rng.standard_normal((B, I))
    before = x.copy(), Wx.copy()
    gradient_check(x, rng.standard_normal((B, H)), rng.standard_normal((B, H)), Wx, Wh, b)
    assert np.array_equal(x, before[0]) and np.array_equal(Wx, before[1])


@pytest.mark.parametrize("order", [2, 4])
def test_numerical_gradient_of_known_function(order: int) -> None:
    """d/dx sum(sin(x) * df) = cos(x) * df, computed independently."""
    rng = np.random.default_rng(7)
    x, df = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    x_before = x.copy()
    grad = numerical_gradient(np.sin, x, df, order=order)
    assert rel_error(grad, np.cos(x) * df) < (1e-8 if order == 2 else 1e-10)
    assert np.array_equal(x, x_before)


def test_rel_error_definition() -> None:
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert rel_error(np.array([1.0]), np.array([3.0])) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="same shape"):
        rel_error(np.zeros(2), np.zeros(3))


# ---------------------------------------------------------------------------- conversions


def test_torch_round_trip_and_cell_weights_round_trip() -> None:
    ref = torch.nn.LSTM(I, H, dtype=torch.float64)
    Wx, Wh, b = from_torch(ref.weight_ih_l0, ref.weight_hh_l0, ref.bias_ih_l0, ref.bias_hh_l0)
    np.testing.assert_array_equal(Wx, ref.weight_ih_l0.detach().numpy().T)
    np.testing.assert_array_equal(Wh, ref.weight_hh_l0.detach().numpy().T)
    np.testing.assert_allclose(b, (ref.bias_ih_l0 + ref.bias_hh_l0).detach().numpy(), atol=1e-15)
    w_ih, w_hh, b_ih, b_hh = to_torch(Wx, Wh, b)
    assert torch.equal(w_ih, ref.weight_ih_l0.detach()) and torch.equal(w_hh, ref.weight_hh_l0.detach())
    assert torch.allclose(b_ih + b_hh, ref.bias_ih_l0 + ref.bias_hh_l0)
    Wx2, Wh2, b2 = from_cell_weights(to_cell_weights(Wx, Wh, b))
    for a, a2 in ((Wx, Wx2), (Wh, Wh2), (b, b2)):
        np.testing.assert_array_equal(a, a2)


def test_gate_blocks_map_to_book_weights() -> None:
    """Column block f of Wx is the input half of the book's W_f (acting on [h, x])."""
    _, Wx, Wh, b = _params(8)
    w = to_cell_weights(Wx, Wh, b)
    np.testing.assert_array_equal(w.W_f[:, H:].numpy(), Wx[:, gate_slice("f", H)].T)
    np.testing.assert_array_equal(w.W_f[:, :H].numpy(), Wh[:, gate_slice("f", H)].T)
    np.testing.assert_array_equal(w.b_c.numpy(), b[gate_slice("g", H)])


# ---------------------------------------------------------------------------- bad input


def test_bad_input_errors_name_the_argument() -> None:
    rng, Wx, Wh, b = _params(9)
    x, h, c = rng.standard_normal((B, I)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
    with pytest.raises(ValueError, match=r"`Wx` must have shape \(I, 4H\) = \(I, 20\).*got \(4, 16\)"):
        lstm_step_forward(x, h, c, Wx[:, :16], Wh, b)
    with pytest.raises(ValueError, match=r"`Wh` must have shape \(H, 4H\)"):
        lstm_step_forward(x, h, c, Wx, Wh[:, :7], b)
    with pytest.raises(ValueError, match=r"`b` must have shape \(4H,\) = \(20,\).*got \(19,\)"):
        lstm_step_forward(x, h, c, Wx, Wh, b[:19])
    with pytest.raises(ValueError, match=r"`x` must have shape.*I = 4.*got \(3, 5\)"):
        lstm_step_forward(rng.standard_normal((B, 5)), h, c, Wx, Wh, b)
    with pytest.raises(ValueError, match=r"`h_prev` must have shape \(3, 5\).*got \(2, 5\)"):
        lstm_step_forward(x, h[:2], c, Wx, Wh, b)
    with pytest.raises(ValueError, match=r"`c_prev` must have shape \(3, 5\).*got \(3, 4\)"):
        lstm_step_forward(x, h, c[:, :4], Wx, Wh, b)
    with pytest.raises(TypeError, match=r"`x` has dtype int64.*astype"):
        lstm_step_forward(x.astype(np.int64), h, c, Wx, Wh, b)
    with pytest.raises(TypeError, match=r"`h_prev` is a torch.Tensor.*numpy\(\)"):
        lstm_step_forward(x, torch.tensor(h), c, Wx, Wh, b)
    with pytest.raises(TypeError, match=r"one dtype.*`x` is float32"):
        lstm_step_forward(x.astype(np.float32), h, c, Wx, Wh, b)
    _, _, cache = lstm_step_forward(x, h, c, Wx, Wh, b)
    with pytest.raises(ValueError, match=r"`dh` must have shape \(3, 5\)"):
        lstm_step_backward(np.zeros((B, H + 1)), None, cache)
    with pytest.raises(TypeError, match="`cache`"):
        lstm_step_backward(np.zeros((B, H)), None, {})
    with pytest.raises(ValueError, match=r"`h0` must have shape \(3, 5\)"):
        lstm_forward(rng.standard_normal((T, B, I)), h[:, :4], Wx, Wh, b)
    with pytest.raises(ValueError, match="`x` has T = 0"):
        lstm_forward(np.zeros((0, B, I)), h, Wx, Wh, b)


def test_unbatched_sequence_equals_batch_of_one() -> None:
    rng, Wx, Wh, b = _params(10)
    x, h0, c0, dh = (rng.standard_normal(s) for s in ((T, I), (H,), (H,), (T, H)))
    h, cache = lstm_forward(x, h0, Wx, Wh, b, c0)
    h1, cache1 = lstm_forward(x[:, None], h0[None], Wx, Wh, b, c0[None])
    assert h.shape == (T, H)
    np.testing.assert_allclose(h, h1[:, 0], atol=1e-14)
    grads, grads1 = lstm_backward(dh, cache), lstm_backward(dh[:, None], cache1)
    for g, g1 in zip(grads[:3], grads1[:3], strict=True):
        np.testing.assert_allclose(g, g1.reshape(g.shape), atol=1e-14)
    for g, g1 in zip(grads[3:], grads1[3:], strict=True):
        np.testing.assert_allclose(g, g1, atol=1e-14)
