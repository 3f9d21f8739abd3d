"""lstm_course.gru (the equations), the GRU layout and lstm_course.GRU against torch.nn.GRU."""

from __future__ import annotations

import math
import re

import pytest
import torch
from _parity import copy_weights, max_parity_error

from lstm_course import GRU
from lstm_course.gru import GRUGates, gru_candidate, gru_hidden_state, gru_step, reset_gate, update_gate
from lstm_course.gru_layer import GRUSequenceGates
from lstm_course.layout import (
    GRU_GATE_ORDER,
    GRUWeights,
    gru_from_torch_layout,
    gru_gate_slice,
    gru_to_torch_layout,
    split_gru_gates,
)

F64 = torch.float64
T, B, I, H = 5, 3, 4, 3
DOCUMENTED_ORDER = "rzn"  # torch.nn.GRU's docs: W_ir|W_iz|W_in, written down here independently


def test_gate_order_and_slices():
    assert "".join(GRU_GATE_ORDER) == DOCUMENTED_ORDER
    for k, gate in enumerate(DOCUMENTED_ORDER):
        assert gru_gate_slice(gate, H) == slice(k * H, (k + 1) * H)
    parts = split_gru_gates(torch.arange(3 * H), H)
    assert parts["z"].tolist() == list(range(H, 2 * H))
    with pytest.raises(ValueError, match=r"`gate` must be one of \('r', 'z', 'n'\), got 'h'"):
        gru_gate_slice("h", H)


def test_one_unit_by_hand():
    """H = I = 1, numbers written out: every equation is the formula, nothing more."""
    x, h = 0.5, -0.4
    w = GRUWeights(*(torch.tensor(v, dtype=F64) for v in (
        [[0.3, -0.7]], [0.1], [[-0.2, 0.9]], [0.4], [[1.1]], [-0.3], [[0.6]], [0.2])))
    sig = lambda a: 1 / (1 + math.exp(-a))  # noqa: E731
    r = sig(0.3 * h - 0.7 * x + 0.1)
    z = sig(-0.2 * h + 0.9 * x + 0.4)
    n = math.tanh(1.1 * x - 0.3 + r * (0.6 * h + 0.2))
    want = (1 - z) * n + z * h
    h_t, g = gru_step(torch.tensor([x], dtype=F64), torch.tensor([h], dtype=F64), w, return_gates=True)
    assert isinstance(g, GRUGates)
    for got, exp in ((g.r_t, r), (g.z_t, z), (g.n_t, n), (h_t, want)):
        assert abs(float(got[0]) - exp) < 1e-15


@pytest.mark.parametrize("batched", [False, True])
def test_gru_step_is_one_step_of_nn_gru(batched):
    ref = torch.nn.GRU(I, H, dtype=F64)
    with torch.no_grad():
        for p in ref.parameters():
            p.uniform_(-1, 1, generator=torch.Generator().manual_seed(0))
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(*((B, I) if batched else (I,)), generator=gen, dtype=F64)
    h = torch.randn(*((B, H) if batched else (H,)), generator=gen, dtype=F64)
    w = gru_from_torch_layout(ref.weight_ih_l0, ref.weight_hh_l0, ref.bias_ih_l0, ref.bias_hh_l0)
    want = ref(x.unsqueeze(0), h.unsqueeze(0))[1][0]
    torch.testing.assert_close(gru_step(x, h, w), want, atol=1e-12, rtol=0)
    # the step is its four functions, in order
    r = reset_gate(h, x, w.W_r, w.b_r)
    z = update_gate(h, x, w.W_z, w.b_z)
    n = gru_candidate(h, x, r, w.W_nx, w.b_nx, w.W_nh, w.b_nh)
    torch.testing.assert_close(gru_hidden_state(z, h, n), want, atol=1e-12, rtol=0)
    # the documented rows r, z, n recompute each gate of nn.GRU's formula
    rows = {g: slice(k * H, (k + 1) * H) for k, g in enumerate(DOCUMENTED_ORDER)}
    wi, wh, bi, bh = (p.detach() for p in (ref.weight_ih_l0, ref.weight_hh_l0, ref.bias_ih_l0, ref.bias_hh_l0))
    torch.testing.assert_close(r, torch.sigmoid(x @ wi[rows["r"]].T + bi[rows["r"]] + h @ wh[rows["r"]].T
                                                + bh[rows["r"]]))
    torch.testing.assert_close(n, torch.tanh(x @ wi[rows["n"]].T + bi[rows["n"]]
                                             + r * (h @ wh[rows["n"]].T + bh[rows["n"]])))


def test_layout_round_trip_gives_the_same_step():
    gen = torch.Generator().manual_seed(3)
    wi, wh, bi, bh = (torch.randn(s, generator=gen, dtype=F64) for s in ((3 * H, I), (3 * H, H), (3 * H,), (3 * H,)))
    w = gru_from_torch_layout(wi, wh, bi, bh)
    assert w.W_r.shape == (H, H + I) and w.W_nx.shape == (H, I) and w.W_nh.shape == (H, H)
    assert w.hidden_size == H and w.input_size == I
    w2 = gru_from_torch_layout(*gru_to_torch_layout(w))
    x, h = torch.randn(B, I, generator=gen, dtype=F64), torch.randn(B, H, generator=gen, dtype=F64)
    torch.testing.assert_close(gru_step(x, h, w2), gru_step(x, h, w))
    assert torch.equal(w.W_r[:, :H], wh[:H]) and torch.equal(w.W_r[:, H:], wi[:H])  # hidden first


def test_step_functions_bad_input_name_the_argument():
    w = gru_from_torch_layout(torch.zeros(3 * H, I), torch.zeros(3 * H, H))
    with pytest.raises(ValueError, match=r"`W_nh` must have shape \(3, 3\) \(H = 3 from `h_prev`, I = 4"):
        gru_candidate(torch.zeros(H), torch.zeros(I), torch.zeros(H), w.W_nx, w.b_nx, torch.zeros(H, I), w.b_nh)
    with pytest.raises(ValueError, match=r"`W_z` must have shape \(3, 7\)"):
        update_gate(torch.zeros(H), torch.zeros(I), torch.zeros(H, H), w.b_z)
    with pytest.raises(ValueError, match="one shape"):
        gru_hidden_state(torch.zeros(H), torch.zeros(B, H), torch.zeros(H))
    with pytest.raises(TypeError, match="`weights` must be a GRUWeights"):
        gru_step(torch.zeros(I), torch.zeros(H), tuple(w))


# ----- the sequence module ---------------------------------------------------------------------------


def _pair(num_layers, bidirectional, *, bias=True, batch_first=False, dropout=0.0, ours_first=False):
    kw = {"num_layers": num_layers, "bias": bias, "batch_first": batch_first, "dropout": dropout,
          "bidirectional": bidirectional, "dtype": F64}
    ref, ours = torch.nn.GRU(I, H, **kw), GRU(I, H, **kw)
    copy_weights(ref, ours, seed=0, ours_first=ours_first)
    return ref, ours


def _inputs(num_layers, bidirectional, batch_first, with_hx, *, batched=True):
    gen = torch.Generator().manual_seed(1)
    shape = ((B, T, I) if batch_first else (T, B, I)) if batched else (T, I)
    x = torch.randn(*shape, generator=gen, dtype=F64).requires_grad_()
    LD = num_layers * (2 if bidirectional else 1)
    h0 = torch.randn(*((LD, B, H) if batched else (LD, H)), generator=gen, dtype=F64).requires_grad_()
    return x, (h0 if with_hx else None)


@pytest.mark.parametrize("with_hx", [False, True], ids=["no-hx", "hx"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["TBI", "BTI"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("num_layers", [1, 2, 3])
def test_parity_outputs_and_every_gradient(num_layers, bidirectional, batch_first, bias, with_hx):
    ours_first = (num_layers + bidirectional + batch_first) % 2 == 0  # state dicts travel both ways
    ref, ours = _pair(num_layers, bidirectional, bias=bias, batch_first=batch_first, ours_first=ours_first)
    x, hx = _inputs(num_layers, bidirectional, batch_first, with_hx)
    err, _ = max_parity_error(ref, ours, x, hx)
    assert err <= 1e-10


def test_parity_unbatched_and_state_dict_names():
    ref, ours = _pair(2, True)
    assert [(n, tuple(p.shape)) for n, p in ours.state_dict().items()] == \
        [(n, tuple(p.shape)) for n, p in ref.state_dict().items()]
    for with_hx in (False, True):
        x, hx = _inputs(2, True, False, with_hx, batched=False)
        out, h_n = ours(x, hx)
        assert out.shape == (T, 2 * H) and h_n.shape == (4, H)
        assert max_parity_error(ref, ours, x, hx)[0] <= 1e-10


def test_dropout_eval_equal_and_train_same_masks_when_seeded():
    ref, ours = _pair(3, True, dropout=0.4)
    x, hx = _inputs(3, True, False, True)
    torch.manual_seed(11)
    out_ref, h_ref = ref(x, hx)
    torch.manual_seed(11)
    out, h_n = ours(x, hx)
    torch.testing.assert_close(out, out_ref, atol=1e-10, rtol=1e-10)
    torch.testing.assert_close(h_n, h_ref, atol=1e-10, rtol=1e-10)
    ref.eval()
    ours.eval()
    assert max_parity_error(ref, ours, x, hx)[0] <= 1e-10
    assert not torch.allclose(ours(x, hx)[0], out)


@pytest.mark.parametrize("grad", [True, False])
def test_return_gates_of_every_layer_and_direction(grad):
    _, ours = _pair(2, True)
    x, h0 = _inputs(2, True, False, True)
    with torch.set_grad_enabled(grad):
        out, h_n, gates = ours(x, h0, return_gates=True)
    assert len(gates) == 4 and all(isinstance(g, GRUSequenceGates) for g in gates)
    assert gates[0].z_t.requires_grad == grad
    xs = x.detach()
    with torch.no_grad():
        for layer in range(2):
            outs = []
            for d in range(2):
                k, w, h = 2 * layer + d, ours.gru_weights(layer, reverse=bool(d)), h0[2 * layer + d]
                rows = {}
                for t in (range(T - 1, -1, -1) if d else range(T)):
                    h, g = gru_step(xs[t], h, w, return_gates=True)
                    rows[t] = (*g, h)
                for j, name in enumerate(GRUSequenceGates._fields):
                    torch.testing.assert_close(gates[k][j], torch.stack([rows[t][j] for t in range(T)]), msg=name)
                torch.testing.assert_close(h_n[k], h)
                outs.append(torch.stack([rows[t][3] for t in range(T)]))
            xs = torch.cat(outs, dim=-1)
    torch.testing.assert_close(out.detach(), xs)
    _, one = _pair(1, False)
    assert isinstance(one(x, return_gates=True)[2], GRUSequenceGates)


def test_profiler_sees_no_gru_kernel():
    fused = re.compile(r"lstm|gru|rnn", re.IGNORECASE)
    _, ours = _pair(2, True, dropout=0.2)
    x, h0 = _inputs(2, True, False, True)
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        ours(x, h0)[0].sum().backward()
    names = {e.name for e in prof.events()}
    assert any("mm" in n for n in names)
    assert not [n for n in names if fused.search(n)]


def test_bad_arguments_name_the_fix():
    with pytest.raises(ValueError, match="num_layers must be greater than zero"):
        GRU(I, H, num_layers=0)
    ours = GRU(I, H, num_layers=2)
    with pytest.raises(TypeError, match="one tensor h_0"):
        ours(torch.randn(T, B, I), (torch.zeros(2, B, H), torch.zeros(2, B, H)))
    with pytest.raises(ValueError, match=r"`h_0` must have shape \(2, 3, 3\)"):
        ours(torch.randn(T, B, I), torch.zeros(1, B, H))
    with pytest.raises(ValueError, match=r"`input` must have shape \(\*, \*, 4\)"):
        ours(torch.randn(T, B, 5))
    with pytest.raises(ValueError, match="`reverse=True` needs a bidirectional GRU"):
        ours.gru_weights(reverse=True)
    x = torch.randn(T, B, I)
    x[1, 1, 1] = float("nan")
    with pytest.raises(ValueError, match="`input` contains NaN"):
        ours(x, check_finite=True)
    assert "num_layers=2" in repr(ours)


@pytest.mark.parametrize("proj_size", [0, 2])
def test_proj_size_is_refused_with_torchs_error(proj_size: int) -> None:
    """torch.nn.GRU refuses the argument itself (even 0) with a ValueError; so does ours, naming the fix."""
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM") as theirs:
        torch.nn.GRU(3, 4, proj_size=proj_size)
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM, not RNN or GRU") as ours:
        GRU(3, 4, proj_size=proj_size)
    assert type(ours.value) is type(theirs.value) and "drop `proj_size`" in str(ours.value)
