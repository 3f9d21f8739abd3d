"""lstm_course.cell: each equation against its formula computed here with plain torch ops."""

from __future__ import annotations

import pytest
import torch

from lstm_course.cell import (
    StepGates,
    candidate,
    cell_update,
    concat_hx,
    forget_gate,
    hidden_state,
    input_gate,
    lstm_step,
    output_gate,
)
from lstm_course.layout import CellWeights, from_torch_layout

B, I, H = 3, 4, 5
GATES = {  # function, its weight field names, its activation written independently of the library
    "forget_gate": (forget_gate, "W_f", "b_f", lambda z: 1 / (1 + torch.exp(-z))),
    "input_gate": (input_gate, "W_i", "b_i", lambda z: 1 / (1 + torch.exp(-z))),
    "candidate": (candidate, "W_c", "b_c", lambda z: (torch.exp(z) - torch.exp(-z)) / (torch.exp(z) + torch.exp(-z))),
    "output_gate": (output_gate, "W_o", "b_o", lambda z: 1 / (1 + torch.exp(-z))),
}


def _weights(seed: int = 0, dtype: torch.dtype = torch.float64, device: torch.device | str = "cpu",
             scale: float = 1.0) -> CellWeights:
    gen = torch.Generator().manual_seed(seed)
    parts = []
    for k in range(8):
        shape = (H, H + I) if k % 2 == 0 else (H,)
        parts.append(torch.randn(shape, generator=gen, dtype=torch.float64).mul(scale).to(device, dtype))
    return CellWeights(*parts)


def _inputs(seed: int = 1, batch: tuple[int, ...] = (B,), dtype: torch.dtype = torch.float64,
            device: torch.device | str = "cpu", scale: float = 1.0):
    gen = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(batch + (n,), generator=gen, dtype=torch.float64).mul(scale).to(device, dtype)
                 for n in (I, H, H))


def test_concat_puts_hidden_first() -> None:
    x, h, _ = _inputs()
    hx = concat_hx(h, x)
    assert hx.shape == (B, H + I)
    assert torch.equal(hx[:, :H], h) and torch.equal(hx[:, H:], x)


@pytest.mark.parametrize("gate", list(GATES))
def test_gate_equals_its_equation(gate: str) -> None:
    fn, W_name, b_name, act = GATES[gate]
    w = _weights()
    x, h, _ = _inputs()
    W, b = getattr(w, W_name), getattr(w, b_name)
    # W [h, x] + b, written as the hidden block times h plus the input block times x
    z = torch.einsum("kh,bh->bk", W[:, :H], h) + torch.einsum("ki,bi->bk", W[:, H:], x) + b
    assert torch.allclose(fn(h, x, W, b), act(z), rtol=0, atol=1e-12)


@pytest.mark.parametrize("gate", list(GATES))
def test_gate_ranges(gate: str) -> None:
    fn, W_name, b_name, _ = GATES[gate]
    w = _weights()
    x, h, _ = _inputs(batch=(200,))  # pre-activations of size ~3: spread out, not saturated to 0/1
    out = fn(h, x, getattr(w, W_name), getattr(w, b_name))
    low = -1.0 if gate == "candidate" else 0.0
    assert torch.all(out > low) and torch.all(out < 1.0)
    assert float(out.min()) < low + 0.2 and float(out.max()) > 0.8  # the range is used, not a constant


def test_cell_update_and_hidden_state_equations() -> None:
    gen = torch.Generator().manual_seed(2)
    f, c, i, g, o = (torch.rand(B, H, generator=gen, dtype=torch.float64) for _ in range(5))
    assert torch.allclose(cell_update(f, c, i, g), torch.addcmul(i * g, f, c), atol=1e-15)
    assert torch.equal(cell_update(torch.ones_like(f), c, torch.zeros_like(i), g), c)  # f=1, i=0 keeps memory
    assert torch.equal(cell_update(torch.zeros_like(f), c, i, g), i * g)  # f=0 forgets
    big = torch.linspace(-20, 20, H, dtype=torch.float64).expand(B, H)
    h = hidden_state(o, big)
    assert torch.allclose(h, o * (1 - 2 / (torch.exp(2 * big) + 1)), atol=1e-12)
    assert torch.all(h.abs() < 1)


def test_lstm_step_composes_the_equations() -> None:
    w = _weights()
    x, h, c = _inputs()
    h_t, c_t, gates = lstm_step(x, h, c, w, return_gates=True)
    assert isinstance(gates, StepGates)
    assert torch.equal(gates.f_t, forget_gate(h, x, w.W_f, w.b_f))
    assert torch.equal(gates.i_t, input_gate(h, x, w.W_i, w.b_i))
    assert torch.equal(gates.c_tilde, candidate(h, x, w.W_c, w.b_c))
    assert torch.equal(gates.o_t, output_gate(h, x, w.W_o, w.b_o))
    assert torch.allclose(c_t, gates.f_t * c + gates.i_t * gates.c_tilde, atol=1e-15)
    assert torch.allclose(h_t, gates.o_t * torch.tanh(c_t), atol=1e-15)
    h2, c2 = lstm_step(x, h, c, w)
    assert torch.equal(h2, h_t) and torch.equal(c2, c_t)


def test_batched_equals_unbatched() -> None:
    w = _weights()
    x, h, c = _inputs()
    h_b, c_b = lstm_step(x, h, c, w)
    for n in range(B):
        h_n, c_n = lstm_step(x[n], h[n], c[n], w)
        assert h_n.shape == (H,)
        assert torch.allclose(h_n, h_b[n], atol=1e-14) and torch.allclose(c_n, c_b[n], atol=1e-14)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_dtype_is_kept(dtype: torch.dtype) -> None:
    h_t, c_t = lstm_step(*_inputs(dtype=dtype), _weights(dtype=dtype))
    assert h_t.dtype == dtype and c_t.dtype == dtype


def test_lstm_step_equals_one_step_of_nn_lstm() -> None:
    ref = torch.nn.LSTM(I, H, dtype=torch.float64)
    gen = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for p in ref.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64))
    x, h, c = _inputs()
    out, (h_n, c_n) = ref(x[None], (h[None], c[None]))
    w = from_torch_layout(ref.weight_ih_l0, ref.weight_hh_l0, ref.bias_ih_l0, ref.bias_hh_l0)
    h_t, c_t = lstm_step(x, h, c, w)
    assert torch.allclose(h_t, h_n[0], atol=1e-12) and torch.allclose(c_t, c_n[0], atol=1e-12)


def test_gradients_flow_to_weights() -> None:
    w = CellWeights(*(p.requires_grad_() for p in _weights()))
    h_t, c_t = lstm_step(*_inputs(), w)
    (h_t.sum() + c_t.sum()).backward()
    assert all(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in w)


def test_every_device_gives_the_cpu_result(device: torch.device) -> None:
    dtype = torch.float32 if device.type == "mps" else torch.float64
    h_d, c_d, g_d = lstm_step(*_inputs(device=device, dtype=dtype), _weights(device=device, dtype=dtype),
                              return_gates=True)
    h_c, c_c = lstm_step(*_inputs(dtype=dtype), _weights(dtype=dtype))
    assert h_d.device.type == device.type and g_d.f_t.device.type == device.type
    assert torch.allclose(h_d.cpu(), h_c, atol=1e-5) and torch.allclose(c_d.cpu(), c_c, atol=1e-5)
