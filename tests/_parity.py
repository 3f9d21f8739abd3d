"""Parity of a course module with its torch.nn twin: outputs, final states and every gradient.

Shared by tests/test_stacked.py (LSTM) and tests/test_gru.py (GRU). Works for an LSTM's
``(h_n, c_n)`` and a GRU's ``h_n`` alike.
"""

from __future__ import annotations

import torch


def copy_weights(ref: torch.nn.Module, ours: torch.nn.Module, *, seed: int, ours_first: bool) -> None:
    """Give both modules the same weights: drawn in ``ref`` and loaded into ``ours``, or the other way."""
    gen = torch.Generator().manual_seed(seed)
    src, dst = (ours, ref) if ours_first else (ref, ours)
    with torch.no_grad():
        for p in src.parameters():
            p.uniform_(-0.5, 0.5, generator=gen)
    dst.load_state_dict(src.state_dict())


def _states(state) -> tuple[torch.Tensor, ...]:
    return tuple(state) if isinstance(state, (tuple, list)) else (state,)


def outputs_and_grads(module, x, hx, out_weights):
    """Output, final state(s) and the gradients of a loss weighting every output element differently."""
    out, state = module(x, hx)
    parts = (out, *_states(state))
    loss = sum((p * w).sum() for p, w in zip(parts, out_weights, strict=True))
    leaves = [x, *([] if hx is None else _states(hx)), *module.parameters()]
    return [*parts, *torch.autograd.grad(loss, leaves)]


def max_parity_error(ref, ours, x, hx) -> tuple[float, list[str]]:
    """The largest |ours - ref| over outputs and gradients, asserting shapes and dtypes agree; and the names."""
    gen = torch.Generator().manual_seed(123)
    with torch.no_grad():
        out, state = ref(x, hx)
    weights = [torch.randn(p.shape, generator=gen, dtype=p.dtype) for p in (out, *_states(state))]
    expected = outputs_and_grads(ref, x, hx, weights)
    got = outputs_and_grads(ours, x, hx, weights)
    names = ["output"] + [f"final state {k}" for k in range(len(_states(state)))] + ["d input"]
    names += [f"d hx[{k}]" for k in range(0 if hx is None else len(_states(hx)))]
    names += [f"d {n}" for n, _ in ours.named_parameters()]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]
    assert len(got) == len(expected) == len(names)
    worst = 0.0
    for name, g, e in zip(names, got, expected, strict=True):
        assert g.shape == e.shape, f"{name}: {tuple(g.shape)} vs {tuple(e.shape)}"
        assert g.dtype == e.dtype, name
        worst = max(worst, float((g - e).detach().abs().max()))
    return worst, names
