"""PackedSequence input, proj_size (LSTMP) and second derivatives / torch.func of lstm_course.LSTM and GRU.

Against torch.nn.LSTM / nn.GRU in float64 (lstm_course/packed.py, layer.py): packed outputs, final states
at each sequence's own last step, every gradient; LSTMP within 1e-10; double backward through the
hand-written backward (create_graph=True), batched gradients, vmap and jacrev.
"""

from __future__ import annotations

import pytest
import torch
from _parity import copy_weights, max_parity_error
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from lstm_course import GRU, LSTM

F64 = torch.float64
T, B, I, H = 6, 4, 3, 5
LENGTHS = torch.tensor([6, 2, 4, 1])  # unsorted; 6 = T


def _pair(kind: str, seed: int = 0, **kw):
    ref_cls, our_cls = (torch.nn.LSTM, LSTM) if kind == "LSTM" else (torch.nn.GRU, GRU)
    ref, ours = ref_cls(I, H, dtype=F64, **kw), our_cls(I, H, dtype=F64, **kw)
    copy_weights(ref, ours, seed=seed, ours_first=bool(seed % 2))
    return ref, ours


def _states(state):
    return state if isinstance(state, tuple) else (state,)


def _packed_run(module, x, lengths, hx, enforce_sorted, batch_first):
    """Packed output data, final states, and the gradients of a weighted sum w.r.t. x, hx and the weights."""
    x = x.detach().clone().requires_grad_()
    hx = None if hx is None else tuple(h.detach().clone().requires_grad_() for h in hx)
    packed = pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    out, state = module(packed, hx if hx is None or len(hx) == 2 else hx[0])
    parts = [out.data, *_states(state)]
    gen = torch.Generator().manual_seed(5)
    loss = sum((p * torch.randn(p.shape, generator=gen, dtype=F64)).sum() for p in parts)
    leaves = [x, *(hx or ()), *module.parameters()]
    return out, parts + list(torch.autograd.grad(loss, leaves))


@pytest.mark.parametrize("kind,kw", [
    ("LSTM", {}), ("LSTM", {"num_layers": 2, "bidirectional": True}), ("LSTM", {"proj_size": 2, "num_layers": 2}),
    ("LSTM", {"proj_size": 3, "bidirectional": True, "bias": False}),
    ("GRU", {}), ("GRU", {"num_layers": 2, "bidirectional": True}),
], ids=["lstm", "lstm-2-bi", "lstmp-2", "lstmp-bi-nobias", "gru", "gru-2-bi"])
@pytest.mark.parametrize("enforce_sorted", [True, False], ids=["sorted", "unsorted"])
@pytest.mark.parametrize("with_hx", [False, True], ids=["no-hx", "hx"])
def test_packed_matches_torch(kind, kw, enforce_sorted, with_hx):
    batch_first = enforce_sorted  # both layouts, without doubling the cases
    ref, ours = _pair(kind, **kw)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(*((B, T, I) if batch_first else (T, B, I)), generator=gen, dtype=F64)
    lengths = LENGTHS.sort(descending=True).values if enforce_sorted else LENGTHS
    hx = None
    if with_hx:
        LD = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
        sizes = [kw.get("proj_size") or H] + ([H] if kind == "LSTM" else [])
        hx = tuple(torch.randn(LD, B, s, generator=gen, dtype=F64) for s in sizes)
    ours_out, got = _packed_run(ours, x, lengths, hx, enforce_sorted, batch_first)
    ref_out, expected = _packed_run(ref, x, lengths, hx, enforce_sorted, batch_first)
    for field in ("batch_sizes", "sorted_indices", "unsorted_indices"):
        mine, theirs = getattr(ours_out, field), getattr(ref_out, field)
        assert (mine is None and theirs is None) or torch.equal(mine, theirs), field
    assert len(got) == len(expected)
    for k, (g, e) in enumerate(zip(got, expected, strict=True)):
        assert g.shape == e.shape, k
        torch.testing.assert_close(g, e, atol=1e-10, rtol=1e-10, msg=lambda m, k=k: f"part {k}: {m}")


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_final_state_is_each_sequences_own_last_step(kind):
    """h_n of a packed batch is the padded output at t = length - 1 of each sequence, in the caller's order;
    a padded (unpacked) run would give the state after the padding instead."""
    _, ours = _pair(kind, bidirectional=True)
    x = torch.randn(T, B, I, dtype=F64)
    out, state = ours(pack_padded_sequence(x, LENGTHS, enforce_sorted=False))
    h_n = _states(state)[0]  # (2, B, H): forward, reverse
    padded, lengths = pad_packed_sequence(out)  # (T, B, 2H)
    assert torch.equal(lengths, LENGTHS)
    for b, n in enumerate(LENGTHS.tolist()):
        torch.testing.assert_close(h_n[0, b], padded[n - 1, b, :H], atol=0, rtol=0)  # forward: own last step
        torch.testing.assert_close(h_n[1, b], padded[0, b, H:], atol=0, rtol=0)  # reverse: ends at t = 1
        assert padded[n:, b].abs().sum() == 0  # nothing past its end
        alone = ours(x[:n, b:b + 1])  # the sequence on its own, unpadded
        torch.testing.assert_close(_states(alone[1])[0][:, 0], h_n[:, b], atol=1e-12, rtol=0)
    padded_run = _states(ours(x)[1])[0]
    assert not torch.allclose(padded_run[0, 1], h_n[0, 1])  # padding would change sequence 1's state


@pytest.mark.parametrize("kw", [{"proj_size": 2}, {"proj_size": 4, "num_layers": 3, "bidirectional": True},
                                {"proj_size": 1, "batch_first": True, "bias": False}], ids=str)
@pytest.mark.parametrize("with_hx", [False, True], ids=["no-hx", "hx"])
def test_proj_size_matches_torch_within_1e_10(kw, with_hx):
    ref, ours = _pair("LSTM", seed=3, **kw)
    assert [(n, p.shape) for n, p in ours.named_parameters()] == [(n, p.shape) for n, p in ref.named_parameters()]
    P = kw["proj_size"]
    assert ours.weight_hr_l0.shape == (P, H)
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(*((B, T, I) if kw.get("batch_first") else (T, B, I)), generator=gen, dtype=F64).requires_grad_()
    hx = None
    if with_hx:
        LD = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
        hx = tuple(torch.randn(LD, B, s, generator=gen, dtype=F64).requires_grad_() for s in (P, H))
    err, _ = max_parity_error(ref, ours, x, hx)
    assert err <= 1e-10
    out, (h_n, c_n) = ours(x, hx)
    assert out.shape[-1] == P * (2 if kw.get("bidirectional") else 1) and h_n.shape[-1] == P and c_n.shape[-1] == H


def test_proj_size_and_packed_refuse_return_gates_clearly():
    with pytest.raises(ValueError, match="return_gates=True is for an LSTM without projections"):
        LSTM(3, 4, proj_size=2)(torch.randn(5, 3), return_gates=True)
    packed = pack_padded_sequence(torch.randn(4, 2, 3), torch.tensor([4, 2]))
    with pytest.raises(ValueError, match="pad_packed_sequence"):
        LSTM(3, 4)(packed, return_gates=True)
    with pytest.raises(ValueError, match="cell_weights.*proj_size=2"):
        LSTM(3, 4, proj_size=2).cell_weights()


# ----- second derivatives and torch.func -------------------------------------------------------------


def _double_backward(module, x, hx):
    out, (h_n, c_n) = module(x, hx)
    loss = (out.pow(2) * torch.linspace(0.5, 1.5, out.shape[-1], dtype=F64)).sum() + h_n.sum() + c_n.pow(3).sum()
    leaves = [x, *hx, *module.parameters()]
    grads = torch.autograd.grad(loss, leaves, create_graph=True)
    second = sum((g * g).sum() for g in grads)
    return torch.autograd.grad(second, leaves)


@pytest.mark.parametrize("num_layers,bidirectional", [(1, False), (2, True)])
def test_double_backward_through_the_fast_path_matches_torch(num_layers, bidirectional):
    """create_graph=True through _LSTMFunction: the backward falls back to the composed path, differentiably."""
    ref, ours = _pair("LSTM", num_layers=num_layers, bidirectional=bidirectional)
    gen = torch.Generator().manual_seed(4)
    LD = num_layers * (2 if bidirectional else 1)
    x = torch.randn(T, B, I, generator=gen, dtype=F64, requires_grad=True)
    hx = tuple(torch.randn(LD, B, H, generator=gen, dtype=F64, requires_grad=True) for _ in range(2))
    got, expected = _double_backward(ours, x, hx), _double_backward(ref, x, hx)
    for k, (g, e) in enumerate(zip(got, expected, strict=True)):
        assert g.abs().sum() > 0, k  # never a silent zero
        torch.testing.assert_close(g, e, atol=1e-9, rtol=1e-9, msg=lambda m, k=k: f"leaf {k}: {m}")


def test_gradgradcheck_one_layer_full():
    """Finite differences (not the fast mode) check the second derivatives of the one-layer fast path."""
    _, ours = _pair("LSTM", seed=5)
    gen = torch.Generator().manual_seed(6)
    x = torch.randn(3, 2, I, generator=gen, dtype=F64, requires_grad=True)
    h0, c0 = (torch.randn(1, 2, H, generator=gen, dtype=F64, requires_grad=True) for _ in range(2))

    def f(x, h0, c0):
        out, (h_n, c_n) = ours(x, (h0, c0))
        return out, h_n, c_n

    assert torch.autograd.gradgradcheck(f, (x, h0, c0))
    assert torch.autograd.gradcheck(f, (x, h0, c0), check_batched_grad=True)


def test_batched_gradients_vmap_and_jacrev_match_torch():
    ref, ours = _pair("LSTM", seed=7)
    gen = torch.Generator().manual_seed(8)
    x = torch.randn(4, 2, I, generator=gen, dtype=F64, requires_grad=True)
    # autograd's batched gradients (vmap over the backward of the hand-written Function)
    out, out_ref = ours(x)[0], ref(x)[0]
    eye = torch.eye(out.numel(), dtype=F64).view(-1, *out.shape)[:7]
    (batched,) = torch.autograd.grad(out, x, eye, is_grads_batched=True)
    (batched_ref,) = torch.autograd.grad(out_ref, x, eye, is_grads_batched=True)
    torch.testing.assert_close(batched, batched_ref, atol=1e-10, rtol=1e-10)
    assert batched.abs().sum() > 0
    # torch.func.jacrev through the module, against autograd's own Jacobian of nn.LSTM
    jac = torch.func.jacrev(lambda x: ours(x)[0])(x)
    jac_ref = torch.autograd.functional.jacobian(lambda x: ref(x)[0], x)
    torch.testing.assert_close(jac, jac_ref, atol=1e-10, rtol=1e-10)
    # vmap over a batch of unbatched sequences equals the batched call
    seqs = torch.randn(3, 5, I, generator=gen, dtype=F64)  # 3 sequences (T, I)
    mapped = torch.func.vmap(lambda s: ours(s)[0])(seqs)  # (3, T, H)
    torch.testing.assert_close(mapped, ours(seqs.transpose(0, 1))[0].transpose(0, 1), atol=1e-12, rtol=0)
