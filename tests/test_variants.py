"""lstm_course.variants: peephole and coupled-gate steps by hand, by finite differences, and as sequence modules."""

from __future__ import annotations

import math

import pytest
import torch

import lstm_course.variants as variants
from lstm_course.cell import lstm_step
from lstm_course.layout import CellWeights
from lstm_course.variants import CoupledWeights, PeepholeWeights, VariantLSTM, coupled_step, peephole_step

F64 = torch.float64


def _sig(a: float) -> float:
    return 1 / (1 + math.exp(-a))


def _t(*v: float) -> torch.Tensor:
    return torch.tensor(v, dtype=F64)


# one unit (H = I = 1): W_* = [w_h, w_x] acts on [h_{t-1}, x_t]
X, HP, CP = 0.5, -0.4, 0.8
WF, BF, WI, BI, WC, BC, WO, BO = (0.3, -0.7), 0.1, (-0.2, 0.9), 0.4, (1.1, 0.5), -0.3, (0.6, -1.2), 0.2
PF, PI, PO = 0.7, -0.5, 1.3


def test_peephole_one_unit_by_hand():
    f = _sig(WF[0] * HP + WF[1] * X + PF * CP + BF)
    i = _sig(WI[0] * HP + WI[1] * X + PI * CP + BI)
    g = math.tanh(WC[0] * HP + WC[1] * X + BC)
    c = f * CP + i * g
    o = _sig(WO[0] * HP + WO[1] * X + PO * c + BO)  # the output gate reads the new c_t
    h = o * math.tanh(c)
    w = PeepholeWeights(_t(*WF)[None], _t(BF), _t(*WI)[None], _t(BI), _t(*WC)[None], _t(BC), _t(*WO)[None], _t(BO),
                        _t(PF), _t(PI), _t(PO))
    h_t, c_t, gates = peephole_step(_t(X), _t(HP), _t(CP), w, return_gates=True)
    for got, want in ((gates.f_t, f), (gates.i_t, i), (gates.c_tilde, g), (gates.o_t, o), (c_t, c), (h_t, h)):
        assert abs(float(got[0]) - want) < 1e-15


def test_coupled_one_unit_by_hand():
    f = _sig(WF[0] * HP + WF[1] * X + BF)
    g = math.tanh(WC[0] * HP + WC[1] * X + BC)
    c = f * CP + (1 - f) * g
    h = _sig(WO[0] * HP + WO[1] * X + BO) * math.tanh(c)
    w = CoupledWeights(_t(*WF)[None], _t(BF), _t(*WC)[None], _t(BC), _t(*WO)[None], _t(BO))
    h_t, c_t, gates = coupled_step(_t(X), _t(HP), _t(CP), w, return_gates=True)
    assert abs(float(c_t[0]) - c) < 1e-15 and abs(float(h_t[0]) - h) < 1e-15
    assert abs(float(gates.i_t[0]) - (1 - f)) < 1e-15


def _random(cls, H: int, I: int, seed: int):
    gen = torch.Generator().manual_seed(seed)
    return cls(*(torch.randn((H, H + I) if n.startswith("W_") else (H,), generator=gen, dtype=F64)
                 for n in cls._fields))


@pytest.mark.parametrize("step,cls", [(peephole_step, PeepholeWeights), (coupled_step, CoupledWeights)],
                         ids=["peephole", "coupled"])
def test_autograd_matches_finite_differences(step, cls):
    B, H, I = 2, 3, 2
    gen = torch.Generator().manual_seed(5)
    x, h, c = (torch.randn(B, n, generator=gen, dtype=F64, requires_grad=True) for n in (I, H, H))
    w = [t.requires_grad_() for t in _random(cls, H, I, 6)]

    def f(x, h, c, *ws):
        return step(x, h, c, cls(*ws))

    assert torch.autograd.gradcheck(f, (x, h, c, *w))


def test_variants_reduce_to_the_lstm():
    """Peephole weights 0 give the LSTM; W_i = -W_f, b_i = -b_f make the LSTM's i_t = σ(-a_f) = 1 - f_t."""
    B, H, I = 4, 3, 2
    gen = torch.Generator().manual_seed(7)
    x, h, c = torch.randn(B, I, generator=gen, dtype=F64), *torch.randn(2, B, H, generator=gen, dtype=F64)
    p = _random(PeepholeWeights, H, I, 8)._replace(p_f=torch.zeros(H, dtype=F64), p_i=torch.zeros(H, dtype=F64),
                                                  p_o=torch.zeros(H, dtype=F64))
    lstm = CellWeights(*p[:8])
    for got, want in zip(peephole_step(x, h, c, p), lstm_step(x, h, c, lstm), strict=True):
        torch.testing.assert_close(got, want)
    k = _random(CoupledWeights, H, I, 9)
    as_lstm = CellWeights(k.W_f, k.b_f, -k.W_f, -k.b_f, k.W_c, k.b_c, k.W_o, k.b_o)
    for got, want in zip(coupled_step(x, h, c, k), lstm_step(x, h, c, as_lstm), strict=True):
        torch.testing.assert_close(got, want)


def test_steps_call_the_cell_gate_functions(monkeypatch):
    calls: list[str] = []
    for name in ("forget_gate", "input_gate", "candidate", "output_gate", "cell_update", "hidden_state"):
        real = getattr(variants, name)
        monkeypatch.setattr(variants, name, lambda *a, _r=real, _n=name: calls.append(_n) or _r(*a))
    x, h, c = torch.zeros(2, dtype=F64), torch.zeros(3, dtype=F64), torch.zeros(3, dtype=F64)
    peephole_step(x, h, c, _random(PeepholeWeights, 3, 2, 0))
    assert calls == ["forget_gate", "input_gate", "candidate", "cell_update", "output_gate", "hidden_state"]
    calls.clear()
    coupled_step(x, h, c, _random(CoupledWeights, 3, 2, 0))
    assert calls == ["forget_gate", "candidate", "cell_update", "output_gate", "hidden_state"]


@pytest.mark.parametrize("variant", ["peephole", "coupled"])
def test_sequence_module_runs_its_step_and_trains(variant):
    T, B, I, H = 6, 3, 2, 4
    m = VariantLSTM(I, H, variant, dtype=F64)
    m.reset_parameters(generator=torch.Generator().manual_seed(0))
    n_params = sum(p.numel() for p in m.parameters())
    assert n_params == (4 * (H * (H + I) + H) + 3 * H if variant == "peephole" else 3 * (H * (H + I) + H))
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(T, B, I, generator=gen, dtype=F64)
    hx = (torch.randn(1, B, H, generator=gen, dtype=F64), torch.randn(1, B, H, generator=gen, dtype=F64))
    out, (h_n, c_n) = m(x, hx)
    step = peephole_step if variant == "peephole" else coupled_step
    h, c = hx[0][0], hx[1][0]
    for t in range(T):
        h, c = step(x[t], h, c, m.weights())
        torch.testing.assert_close(out[t], h)
    torch.testing.assert_close(h_n[0], h)
    torch.testing.assert_close(c_n[0], c)
    out.sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in m.parameters())
    out_u, (h_u, _) = m(x[:, 0], (hx[0][:, 0], hx[1][:, 0]))  # unbatched (T, I)
    torch.testing.assert_close(out_u, out[:, 0].detach())
    assert h_u.shape == (1, H)


def test_bad_arguments_name_the_fix():
    with pytest.raises(ValueError, match=r"`variant` must be one of \('peephole', 'coupled'\)"):
        VariantLSTM(2, 3, "gru")
    w = _random(PeepholeWeights, 3, 2, 0)
    with pytest.raises(ValueError, match=r"`p_i` must have shape \(3,\)"):
        peephole_step(torch.zeros(2), torch.zeros(3), torch.zeros(3), w._replace(p_i=torch.zeros(4, dtype=F64)))
    with pytest.raises(TypeError, match="must be a CoupledWeights"):
        coupled_step(torch.zeros(2), torch.zeros(3), torch.zeros(3), w)
    with pytest.raises(ValueError, match=r"`c_prev` \(2,\) must have the same shape as `h_prev` \(3,\)"):
        coupled_step(torch.zeros(2), torch.zeros(3), torch.zeros(2), _random(CoupledWeights, 3, 2, 0))
    with pytest.raises(ValueError, match=r"`h_0` must have shape \(1, 5, 3\)"):
        VariantLSTM(2, 3, "coupled")(torch.zeros(4, 5, 2), (torch.zeros(5, 3), torch.zeros(1, 5, 3)))
