"""Stacked and bidirectional lstm_course.LSTM against torch.nn.LSTM (lstm_course/_stacking.py, layer.py).

Values and every gradient within 1e-10 in float64 over layers x directions x batch_first x bias x
given/omitted (h_0, c_0), state dicts both ways, dropout between layers only, the gates of every
layer and direction, and a profiler run that sees no fused RNN kernel.
"""

from __future__ import annotations

import re

import pytest
import torch
from _parity import copy_weights, max_parity_error

from lstm_course import GRU, LSTM, SequenceGates
from lstm_course.cell import lstm_step

F64 = torch.float64
T, B, I, H = 5, 3, 4, 3


def _pair(num_layers, bidirectional, *, bias=True, batch_first=False, dropout=0.0, ours_first=False, seed=0):
    kw = {"num_layers": num_layers, "bias": bias, "batch_first": batch_first, "dropout": dropout,
          "bidirectional": bidirectional, "dtype": F64}
    ref, ours = torch.nn.LSTM(I, H, **kw), LSTM(I, H, **kw)
    copy_weights(ref, ours, seed=seed, ours_first=ours_first)
    return ref, ours


def _inputs(num_layers, bidirectional, batch_first, with_hx, *, seed=1, batched=True):
    gen = torch.Generator().manual_seed(seed)
    shape = ((B, T, I) if batch_first else (T, B, I)) if batched else (T, I)
    x = torch.randn(*shape, generator=gen, dtype=F64).requires_grad_()
    LD = num_layers * (2 if bidirectional else 1)
    state = (LD, B, H) if batched else (LD, H)
    hx = tuple(torch.randn(*state, generator=gen, dtype=F64).requires_grad_() for _ in range(2)) if with_hx else None
    return x, hx


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


@pytest.mark.parametrize("with_hx", [False, True])
def test_parity_unbatched_two_layer_bidirectional(with_hx):
    ref, ours = _pair(2, True)
    x, hx = _inputs(2, True, False, with_hx, batched=False)
    out, (h_n, c_n) = ours(x, hx)
    assert out.shape == (T, 2 * H) and h_n.shape == c_n.shape == (4, H)
    err, _ = max_parity_error(ref, ours, x, hx)
    assert err <= 1e-10


def test_state_dict_names_shapes_both_ways():
    ref = torch.nn.LSTM(I, H, num_layers=3, bidirectional=True, bias=False)
    ours = LSTM(I, H, num_layers=3, bidirectional=True, bias=False)
    assert [(n, tuple(p.shape)) for n, p in ours.state_dict().items()] == \
        [(n, tuple(p.shape)) for n, p in ref.state_dict().items()]
    assert "weight_hh_l0_reverse" in ours.state_dict() and ours.weight_ih_l1.shape == (4 * H, 2 * H)
    ref.load_state_dict(ours.state_dict())  # strict both ways: no missing or unexpected keys
    ours.load_state_dict(ref.state_dict())
    assert [[tuple(p.shape) for p in ws] for ws in ours.all_weights] == \
        [[tuple(p.shape) for p in ws] for ws in ref.all_weights]
    assert "num_layers=3" in repr(ours) and "bidirectional=True" in repr(ours)


def test_dropout_eval_mode_equals_nn_lstm():
    ref, ours = _pair(3, True, dropout=0.5)
    ref.eval()
    ours.eval()
    x, hx = _inputs(3, True, False, True)
    err, _ = max_parity_error(ref, ours, x, hx)
    assert err <= 1e-10


def test_dropout_train_mode_same_masks_as_nn_lstm_when_seeded():
    """nn.LSTM draws one mask per layer output but the last, in layer order, from the global RNG; so do we."""
    ref, ours = _pair(3, True, dropout=0.4)
    x, hx = _inputs(3, True, False, True)
    torch.manual_seed(7)
    out_ref, (h_ref, c_ref) = ref(x, hx)
    torch.manual_seed(7)
    out, (h_n, c_n) = ours(x, hx)
    for got, want in ((out, out_ref), (h_n, h_ref), (c_n, c_ref)):
        torch.testing.assert_close(got, want, atol=1e-10, rtol=1e-10)
    g_ref = torch.autograd.grad(out_ref.sum(), [x, *ref.parameters()])
    g = torch.autograd.grad(out.sum(), [x, *ours.parameters()])
    for a, b in zip(g, g_ref, strict=True):
        torch.testing.assert_close(a, b, atol=1e-10, rtol=1e-10)
    ours.eval()
    assert not torch.allclose(ours(x, hx)[0], out)  # the masks did change the result


def test_dropout_acts_between_layers_only():
    """With p = 1 layer 2 reads zeros; its output (the module's) is not dropped; layer 1's h_n is intact."""
    torch.manual_seed(0)  # only for the masks of the p = 0.5 check below
    ours = LSTM(I, H, num_layers=2, dropout=1.0, dtype=F64)
    x, _ = _inputs(2, False, False, False)
    out, (h_n, c_n) = ours(x)
    one = {n.replace("_l1", "_l0"): p for n, p in ours.named_parameters() if n.endswith("_l1")}
    second = LSTM(H, H, dtype=F64)
    second.load_state_dict(one)
    out_zero_input, (h_second, _) = second(torch.zeros(T, B, H, dtype=F64))
    torch.testing.assert_close(out, out_zero_input)  # layer 2 saw zeros: layer 1's output was dropped
    assert out.abs().min() > 0  # the last layer's output itself is never dropped
    first = LSTM(I, H, dtype=F64)
    first.load_state_dict({n: p for n, p in ours.named_parameters() if n.endswith("_l0")})
    torch.testing.assert_close(h_n[0], first(x)[1][0][0])  # h_n of layer 1 is before dropout
    ours.eval()
    assert not torch.allclose(ours(x)[0], out)  # eval mode: no dropout
    half = LSTM(I, H, num_layers=2, dropout=0.5, dtype=F64)
    seen = torch.stack([half(x)[0] for _ in range(20)])  # (20, T, B, H): masks differ from call to call
    assert seen.std(0).max() > 1e-3


def _hand_run(weights, xs, h, c, reverse):
    """lstm_step over a (T, B, ·) sequence, backwards when ``reverse``; every step's values in time order."""
    order = range(xs.shape[0] - 1, -1, -1) if reverse else range(xs.shape[0])
    rows = {}
    for t in order:
        h, c, g = lstm_step(xs[t], h, c, weights, return_gates=True)
        rows[t] = (*g, c, h)
    return [torch.stack([rows[t][k] for t in range(xs.shape[0])]) for k in range(6)], h, c


@pytest.mark.parametrize("grad", [True, False], ids=["autograd-path", "no-grad-path"])
def test_return_gates_of_every_layer_and_direction(grad):
    _, ours = _pair(2, True, batch_first=True)
    x, hx = _inputs(2, True, True, True)
    with torch.set_grad_enabled(grad):
        out, (h_n, c_n), gates = ours(x, hx, return_gates=True)
    assert isinstance(gates, tuple) and len(gates) == 4 and all(isinstance(g, SequenceGates) for g in gates)
    assert all(f.shape == (B, T, H) for g in gates for f in g)
    assert out.requires_grad == grad and gates[3].f_t.requires_grad == grad
    torch.testing.assert_close(out, ours(x, hx)[0])
    xs = x.detach().transpose(0, 1)  # (T, B, I)
    with torch.no_grad():
        for layer in range(2):
            outs = []
            for d in range(2):
                k = 2 * layer + d
                want, h_last, c_last = _hand_run(ours.cell_weights(layer, reverse=bool(d)), xs, hx[0][k], hx[1][k],
                                                 reverse=bool(d))
                for name, got_t, want_t in zip(SequenceGates._fields, gates[k], want, strict=True):
                    torch.testing.assert_close(got_t.transpose(0, 1), want_t, msg=f"{name} of row {k}")
                torch.testing.assert_close(h_n[k], h_last)
                torch.testing.assert_close(c_n[k], c_last)
                outs.append(want[5])
            xs = torch.cat(outs, dim=-1)  # (T, B, 2H): the next layer's input
    torch.testing.assert_close(out.detach().transpose(0, 1), xs)


def test_one_layer_keeps_a_plain_sequence_gates():
    _, ours = _pair(1, False)
    x, _ = _inputs(1, False, False, False)
    _, _, gates = ours(x, return_gates=True)
    assert isinstance(gates, SequenceGates) and gates.f_t.shape == (T, B, H)


def test_profiler_sees_no_fused_rnn_kernel():
    """Every op of forward and backward (2 layers, both directions, dropout) is listed; none is an RNN kernel."""
    fused = re.compile(r"lstm|gru|rnn", re.IGNORECASE)

    def ops(fn) -> set[str]:
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
            fn()
        return {e.name for e in prof.events()}

    ref, ours = _pair(2, True, dropout=0.3)
    x, hx = _inputs(2, True, False, True)
    seen_ref = ops(lambda: ref(x, hx)[0].sum().backward())
    assert any(fused.search(n) for n in seen_ref)  # the instrument sees nn.LSTM's kernel

    def ours_all_paths():
        ours(x, hx)[0].sum().backward()
        ours(x, hx, return_gates=True)[0].sum().backward()
        with torch.no_grad():
            ours(x, hx)

    seen = ops(ours_all_paths)
    assert any("addmm" in n or "mm" in n for n in seen)  # it did record our products
    ours_fn = re.compile(r"_LSTMFunction(Backward)?")  # the course's own autograd.Function (Python, step math)
    assert not [n for n in seen if fused.search(ours_fn.sub("", n))]


def test_bad_hx_and_cell_weights_arguments_name_the_fix():
    ours = LSTM(I, H, num_layers=2, bidirectional=True)
    x = torch.randn(T, B, I)
    with pytest.raises(ValueError, match=r"`h_0` must have shape \(4, 3, 3\) \(num_layers · directions = 2 · 2"):
        ours(x, (torch.zeros(1, B, H), torch.zeros(4, B, H)))
    with pytest.raises(ValueError, match=r"`c_0` must have shape \(4, 3\)"):
        ours(torch.randn(T, I), (torch.zeros(4, H), torch.zeros(2, H)))
    with pytest.raises(ValueError, match=r"`layer` must be an int in \[0, 1\]"):
        ours.cell_weights(2)
    with pytest.raises(ValueError, match="needs a bidirectional LSTM"):
        LSTM(I, H).cell_weights(reverse=True)
    w = ours.cell_weights(1, reverse=True)
    assert w.W_f.shape == (H, H + 2 * H)  # layer 2 reads both directions of layer 1


@pytest.mark.parametrize("cls,kw", [(LSTM, {"num_layers": 2, "bias": False}), (GRU, {"bidirectional": True})])
def test_unpickling_a_module_saved_before_mode_and_flat_weights_existed(cls, kw):
    """A module pickled by an older lstm_course (no `mode`, `_flat_weights_names`, `_all_weights`) still loads
    and gets nn.LSTM's attributes back, in nn.LSTM's order."""
    import pickle

    old = cls(3, 4, **kw)
    state = {k: v for k, v in old.__dict__.items() if k not in ("mode", "_flat_weights_names", "_all_weights")}
    restored = pickle.loads(pickle.dumps(old))
    restored.__dict__.clear()
    restored.__setstate__(state)
    ref = (torch.nn.LSTM if cls is LSTM else torch.nn.GRU)(3, 4, **kw)
    assert restored.mode == ref.mode
    assert restored._flat_weights_names == ref._flat_weights_names
    assert [[p.shape for p in ws] for ws in restored.all_weights] == [[p.shape for p in ws] for ws in ref.all_weights]
    x = torch.randn(5, 2, 3)
    torch.testing.assert_close(restored(x)[0], old(x)[0])
