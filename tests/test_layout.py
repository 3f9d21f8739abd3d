"""lstm_course.layout: the documented PyTorch layout is checked against nn.LSTM, gate by gate.

The documented layout (NOTATION.md): rows of weight_ih_l0 / weight_hh_l0 / the biases are stacked
i, f, g, o; W_* = [W_hh[rows] | W_ih[rows]] acting on [h, x]; b_* = b_ih[rows] + b_hh[rows].
This file writes that documentation down independently (DOCUMENTED_ORDER) and tests it.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstm_course.layout import GATE_ORDER, CellWeights, from_torch_layout, gate_slice, split_gates, to_torch_layout

I, H, B = 3, 4, 2
DOCUMENTED_ORDER = "ifgo"


def _random_lstm(seed: int) -> torch.nn.LSTM:
    ref = torch.nn.LSTM(I, H, dtype=torch.float64)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in ref.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64))
    return ref


def _rows(gate: str) -> slice:
    k = DOCUMENTED_ORDER.index(gate)
    return slice(k * H, (k + 1) * H)


def test_gate_order_constant_and_slices() -> None:
    assert "".join(GATE_ORDER) == DOCUMENTED_ORDER
    for gate in DOCUMENTED_ORDER:
        assert gate_slice(gate, H) == _rows(gate)
    with pytest.raises(ValueError, match=r"`gate` must be one of \('i', 'f', 'g', 'o'\), got 'c'"):
        gate_slice("c", H)


def test_every_gate_recomputed_from_documented_layout_matches_nn_lstm() -> None:
    ref = _random_lstm(0)
    gen = torch.Generator().manual_seed(1)
    x, h0, c0 = (torch.randn(shape, generator=gen, dtype=torch.float64) for shape in ((B, I), (B, H), (B, H)))
    W_ih, W_hh = ref.weight_ih_l0.detach(), ref.weight_hh_l0.detach()
    b = (ref.bias_ih_l0 + ref.bias_hh_l0).detach()

    def pre(gate: str) -> torch.Tensor:  # W_ih[rows] x + W_hh[rows] h + b[rows]
        r = _rows(gate)
        return x @ W_ih[r].T + h0 @ W_hh[r].T + b[r]

    i, f, g, o = torch.sigmoid(pre("i")), torch.sigmoid(pre("f")), torch.tanh(pre("g")), torch.sigmoid(pre("o"))
    c1 = f * c0 + i * g
    h1 = o * torch.tanh(c1)
    _, (h_n, c_n) = ref(x[None], (h0[None], c0[None]))
    assert torch.allclose(c1, c_n[0], atol=1e-12)
    assert torch.allclose(h1, h_n[0], atol=1e-12)
    # a different assignment of rows to gates does not reproduce nn.LSTM (the test can fail)
    f_swapped, i_swapped = torch.sigmoid(pre("i")), torch.sigmoid(pre("f"))
    assert not torch.allclose(f_swapped * c0 + i_swapped * g, c_n[0], atol=1e-6)


def test_from_torch_layout_is_the_documented_mapping() -> None:
    ref = _random_lstm(2)
    w = from_torch_layout(ref.weight_ih_l0, ref.weight_hh_l0, ref.bias_ih_l0, ref.bias_hh_l0)
    names = {"i": ("W_i", "b_i"), "f": ("W_f", "b_f"), "g": ("W_c", "b_c"), "o": ("W_o", "b_o")}
    for gate, (W_name, b_name) in names.items():
        r = _rows(gate)
        expected_W = torch.cat([ref.weight_hh_l0[r], ref.weight_ih_l0[r]], dim=1)  # (H, H+I), hidden first
        assert torch.equal(getattr(w, W_name), expected_W), W_name
        assert torch.allclose(getattr(w, b_name), ref.bias_ih_l0[r] + ref.bias_hh_l0[r]), b_name
    assert (w.hidden_size, w.input_size) == (H, I)


def test_round_trips() -> None:
    ref = _random_lstm(3)
    params = (ref.weight_ih_l0.detach(), ref.weight_hh_l0.detach(), ref.bias_ih_l0.detach(), ref.bias_hh_l0.detach())
    w_ih, w_hh, b_ih, b_hh = to_torch_layout(from_torch_layout(*params))
    assert torch.equal(w_ih, params[0]) and torch.equal(w_hh, params[1])
    assert torch.allclose(b_ih + b_hh, params[2] + params[3], atol=1e-15)
    assert torch.equal(b_hh, torch.zeros_like(b_hh))  # the documented convention for the summed bias
    w = from_torch_layout(*params)
    back = from_torch_layout(*to_torch_layout(w))
    assert all(torch.equal(a, b) for a, b in zip(w, back, strict=True))


def test_to_torch_layout_loads_into_nn_lstm() -> None:
    ref, other = _random_lstm(4), torch.nn.LSTM(I, H, dtype=torch.float64)
    w_ih, w_hh, b_ih, b_hh = to_torch_layout(
        from_torch_layout(ref.weight_ih_l0, ref.weight_hh_l0, ref.bias_ih_l0, ref.bias_hh_l0))
    other.load_state_dict({"weight_ih_l0": w_ih, "weight_hh_l0": w_hh, "bias_ih_l0": b_ih, "bias_hh_l0": b_hh})
    x = torch.randn(5, B, I, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    assert torch.allclose(other(x)[0], ref(x)[0], atol=1e-12)


def test_missing_biases_are_zero() -> None:
    ref = _random_lstm(6)
    w = from_torch_layout(ref.weight_ih_l0, ref.weight_hh_l0)
    assert all(torch.equal(b, torch.zeros(H, dtype=torch.float64)) for b in (w.b_f, w.b_i, w.b_c, w.b_o))


def test_from_torch_layout_is_differentiable() -> None:
    ref = _random_lstm(7)
    w = from_torch_layout(ref.weight_ih_l0, ref.weight_hh_l0, ref.bias_ih_l0, ref.bias_hh_l0)
    w.W_f.sum().backward()
    grad = ref.weight_ih_l0.grad
    assert torch.equal(grad[_rows("f")], torch.ones(H, I, dtype=torch.float64))
    assert float(grad[_rows("i")].abs().sum()) == 0.0


def test_split_gates_both_axes_torch_and_numpy() -> None:
    stacked = torch.arange(4 * H * 2).reshape(4 * H, 2)  # 4H first
    parts = split_gates(stacked, H)
    assert list(parts) == list(DOCUMENTED_ORDER)
    assert torch.equal(parts["g"], stacked[_rows("g")])
    last = np.arange(2 * 4 * H).reshape(2, 4 * H)  # 4H last
    np_parts = split_gates(last, H)
    np.testing.assert_array_equal(np_parts["o"], last[:, _rows("o")])


def test_cell_weights_fields_are_the_books_names() -> None:
    assert CellWeights._fields == ("W_f", "b_f", "W_i", "b_i", "W_c", "b_c", "W_o", "b_o")
