"""lstm_course.LSTM and GRU against torch.nn.LSTM and nn.GRU on PyTorch's own sample and error inputs.

The inputs come from the installed torch wheel: ``torch.testing._internal.common_modules.module_db``,
the entries for ``nn.LSTM`` and ``nn.GRU`` (their ``module_inputs_func`` and
``module_error_inputs_func``; the GRU's generator also yields its PackedSequence samples when asked).
No PyTorch test code is copied: the generators are imported, the checks below are this project's.
For every sample, in float32 and float64, both modules are built from the sample's constructor
arguments with the same weights (torch's ``state_dict`` loaded into ours) and must agree on the
outputs and states, every gradient, and second derivatives; then repr, pickle, ``state_dict`` both
ways, non-contiguous inputs and weights, train/eval, factory kwargs, ``gradcheck`` and
``gradgradcheck``. Every error input must raise an instance of the type torch's entry names, with a
message matching its regex.
"""

from __future__ import annotations

import io
import pickle

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

import lstm_course

common_modules = pytest.importorskip("torch.testing._internal.common_modules")  # needs `expecttest`

# torch's own CPU kernel warns that it runs LSTMP without oneDNN; that is torch's business, not ours.
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN:UserWarning")

OURS = {nn.LSTM: lstm_course.LSTM, nn.GRU: lstm_course.GRU}
INFO = {info.module_cls: info for info in common_modules.module_db if info.module_cls in OURS}
DTYPES = [(torch.float32, 1e-5), (torch.float64, 1e-10)]
#: How many samples the installed torch generates (a guard that the generators still feed these tests).
EXPECTED_SAMPLES = {nn.LSTM: 32, nn.GRU: 32}
EXPECTED_ERRORS = {nn.LSTM: 14, nn.GRU: 14}


def samples(cls: type, dtype: torch.dtype, *, requires_grad: bool = True) -> list:
    """PyTorch's sample inputs for ``cls`` (the GRU's with its PackedSequence samples)."""
    info = INFO[cls]
    extra = {"with_packed_sequence": True} if cls is nn.GRU else {}
    return list(info.module_inputs_func(info, device="cpu", dtype=dtype, requires_grad=requires_grad,
                                        training=True, **extra))


def error_samples(cls: type, dtype: torch.dtype) -> list:
    info = INFO[cls]
    return list(info.module_error_inputs_func(info, device="cpu", dtype=dtype, requires_grad=False, training=True))


def _map_leaves(obj, fn):
    """Apply ``fn`` to every tensor in the (nested) forward arguments, rebuilding tuples and PackedSequences."""
    if isinstance(obj, PackedSequence):
        return PackedSequence(fn(obj.data), obj.batch_sizes, obj.sorted_indices, obj.unsorted_indices)
    if isinstance(obj, torch.Tensor):
        return fn(obj)
    if isinstance(obj, (tuple, list)):
        return type(obj)(_map_leaves(o, fn) for o in obj)
    return obj


def _tensors(obj) -> list[torch.Tensor]:
    found: list[torch.Tensor] = []
    _map_leaves(obj, lambda t: found.append(t) or t)
    return found


def fresh(args):
    """New leaf copies of the forward arguments, keeping ``requires_grad``."""
    return _map_leaves(args, lambda t: t.detach().clone().requires_grad_(t.requires_grad))


def flat_outputs(result) -> list[torch.Tensor]:
    """``output`` (a packed output's ``.data``) and every state, as a flat list."""
    out, state = result
    out = out.data if isinstance(out, PackedSequence) else out
    return [out, *(state if isinstance(state, tuple) else (state,))]


def build(cls: type, sample, dtype: torch.dtype) -> tuple[nn.Module, nn.Module]:
    """torch's module from the sample's constructor arguments, and ours with its weights."""
    args, kwargs = sample.constructor_input.args, sample.constructor_input.kwargs
    torch.manual_seed(0)
    ref = cls(*args, **kwargs).to(dtype)
    ours = OURS[cls](*args, **kwargs).to(dtype)
    ours.load_state_dict(ref.state_dict())
    return ref, ours


def run(module: nn.Module, args, weights=None, *, second_order: bool = False):
    """Outputs, the gradients of a weighted sum of them w.r.t. inputs and parameters, and optionally the
    gradients of a weighted sum of those gradients (second derivatives)."""
    args = fresh(args)
    leaves = [t for t in _tensors(args) if t.requires_grad] + list(module.parameters())
    outs = flat_outputs(module(*args))
    if weights is None:
        gen = torch.Generator().manual_seed(7)
        weights = [torch.randn(o.shape, generator=gen, dtype=o.dtype) for o in outs]
    loss = sum((o * w).sum() for o, w in zip(outs, weights, strict=True))
    grads = torch.autograd.grad(loss, leaves, create_graph=second_order, allow_unused=True)
    grads = [torch.zeros_like(p) if g is None else g for g, p in zip(grads, leaves, strict=True)]
    result = {"outputs": outs, "grads": grads}
    if second_order:
        gen = torch.Generator().manual_seed(8)
        loss2 = sum((g * torch.randn(g.shape, generator=gen, dtype=g.dtype)).sum() for g in grads
                    if g.requires_grad)
        second = torch.autograd.grad(loss2, leaves, allow_unused=True)
        result["second"] = [torch.zeros_like(p) if g is None else g for g, p in zip(second, leaves, strict=True)]
    return result, weights


def assert_same(got, expected, tol, what):
    assert len(got) == len(expected), what
    for k, (g, e) in enumerate(zip(got, expected, strict=True)):
        assert g.shape == e.shape and g.dtype == e.dtype, f"{what}[{k}]: {g.shape}/{g.dtype} vs {e.shape}/{e.dtype}"
        torch.testing.assert_close(g.detach(), e.detach(), atol=tol, rtol=tol, msg=lambda m, k=k: f"{what}[{k}]: {m}")


def _label(cls, k, sample) -> str:
    return f"{cls.__name__} sample {k} {sample.constructor_input.kwargs}"


@pytest.mark.parametrize("dtype,tol", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU], ids=["LSTM", "GRU"])
def test_samples_outputs_gradients_and_second_derivatives(cls, dtype, tol):
    todo = samples(cls, dtype)
    assert len(todo) == EXPECTED_SAMPLES[cls]
    for k, sample in enumerate(todo):
        label = _label(cls, k, sample)
        ref, ours = build(cls, sample, dtype)
        assert repr(ours) == repr(ref), label
        assert ours.mode == ref.mode
        args = sample.forward_input.args
        expected, weights = run(ref, args, second_order=True)
        got, _ = run(ours, args, weights, second_order=True)
        assert_same(got["outputs"], expected["outputs"], tol, f"{label} outputs")
        assert_same(got["grads"], expected["grads"], tol, f"{label} gradients")
        assert_same(got["second"], expected["second"], 10 * tol, f"{label} second derivatives")
        if isinstance(args[0], PackedSequence):  # the output is packed like torch's
            out, out_ref = ours(*args)[0], ref(*args)[0]
            for field in ("batch_sizes", "sorted_indices", "unsorted_indices"):
                mine, theirs = getattr(out, field), getattr(out_ref, field)
                assert (mine is None and theirs is None) or torch.equal(mine, theirs), f"{label} {field}"


@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU], ids=["LSTM", "GRU"])
def test_samples_module_contract(cls, tmp_path):
    """state_dict both ways, pickle and weights-only torch.load, non-contiguous tensors, train/eval,
    factory kwargs and nn.LSTM's attributes, on every sample (float64)."""
    dtype = torch.float64
    for k, sample in enumerate(samples(cls, dtype)):
        label = _label(cls, k, sample)
        ref, ours = build(cls, sample, dtype)
        args = sample.forward_input.args
        expected = flat_outputs(ref(*fresh(args)))
        # nn.LSTM's attributes, name for name and shape for shape
        assert list(ours.state_dict()) == list(ref.state_dict()) == ref._flat_weights_names, label
        assert [[p.shape for p in ws] for ws in ours.all_weights] == [[p.shape for p in ws] for ws in ref.all_weights]
        assert [w.shape for w in ours._flat_weights] == [w.shape for w in ref._flat_weights], label
        ours.flatten_parameters()
        # state_dict ours -> a fresh torch module
        kwargs = sample.constructor_input.kwargs
        back = cls(*sample.constructor_input.args, **kwargs).to(dtype)
        back.load_state_dict(ours.state_dict())
        assert_same(flat_outputs(back(*fresh(args))), expected, 1e-10, f"{label} state_dict to torch")
        # pickle, and torch.save/torch.load of the whole module under the weights-only default
        assert_same(flat_outputs(pickle.loads(pickle.dumps(ours))(*fresh(args))), expected, 1e-10, f"{label} pickle")
        buffer = io.BytesIO()
        torch.save(ours, buffer)
        buffer.seek(0)
        loaded = torch.load(buffer)
        assert type(loaded) is type(ours) and repr(loaded) == repr(ours)
        assert_same(flat_outputs(loaded(*fresh(args))), expected, 1e-10, f"{label} torch.load")
        # non-contiguous inputs and parameters
        def noncontig(t):
            wide = torch.stack([t.detach(), torch.full_like(t, float("nan"))], dim=-1)
            return wide[..., 0].requires_grad_(t.requires_grad)

        odd = OURS[cls](*sample.constructor_input.args, **kwargs).to(dtype)
        for name, p in ours.named_parameters():
            setattr(odd, name, nn.Parameter(noncontig(p)))
        noncontig_args = _map_leaves(args, noncontig)
        assert not any(t.is_contiguous() for t in _tensors(noncontig_args) if t.numel() > 1)
        assert_same(flat_outputs(odd(*noncontig_args)), expected, 1e-10, f"{label} non-contiguous")
        # train / eval (no dropout in the samples: the same numbers), and the flag reaches the module
        for mode in (False, True):
            ours.train(mode)
            assert ours.training is mode
            assert_same(flat_outputs(ours(*fresh(args))), expected, 1e-10, f"{label} training={mode}")
        # factory kwargs
        for device in ("cpu", "meta"):
            made = OURS[cls](*sample.constructor_input.args, **kwargs, device=device, dtype=dtype)
            assert all(p.device.type == device and p.dtype == dtype for p in made.parameters()), label


def _as_function(module: nn.Module, args):
    """``f(*inputs, *parameters) -> outputs``: the module as a function of its grad-requiring inputs and weights."""
    names = [n for n, _ in module.named_parameters()]
    n_inputs = sum(t.requires_grad for t in _tensors(args))

    def fn(*flat):
        it = iter(flat[:n_inputs])
        call = _map_leaves(args, lambda x: next(it) if x.requires_grad else x)
        weights = dict(zip(names, flat[n_inputs:], strict=True))
        return tuple(flat_outputs(torch.func.functional_call(module, weights, call)))

    return fn


@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU], ids=["LSTM", "GRU"])
def test_samples_gradcheck_and_gradgradcheck(cls):
    """Finite differences (float64) check first derivatives w.r.t. inputs and parameters on every sample
    (with batched gradients), and second derivatives on every third sample (spread over every kind of
    sample; the second derivatives of all samples are compared with torch's above)."""
    for k, sample in enumerate(samples(cls, torch.float64)):
        _, ours = build(cls, sample, torch.float64)
        args = fresh(sample.forward_input.args)
        inputs = [t for t in _tensors(args) if t.requires_grad]
        params = [p.detach().clone().requires_grad_() for p in ours.parameters()]
        fn = _as_function(ours, args)
        label = _label(cls, k, sample)
        assert torch.autograd.gradcheck(fn, (*inputs, *params), fast_mode=True, check_batched_grad=True), label
        if k % 3 == 0:
            assert torch.autograd.gradgradcheck(fn, (*inputs, *params), fast_mode=True), label


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU], ids=["LSTM", "GRU"])
def test_error_inputs_raise_what_torch_raises(cls, dtype):
    todo = error_samples(cls, dtype)
    assert len(todo) == EXPECTED_ERRORS[cls]
    enum = common_modules.ModuleErrorEnum
    for error in todo:
        mi = error.module_error_input
        args, kwargs = mi.constructor_input.args, mi.constructor_input.kwargs
        for module_cls in (cls, OURS[cls]):  # torch first: the sample is an error there too
            with pytest.raises(error.error_type, match=error.error_regex):
                module = module_cls(*args, **kwargs)
                assert error.error_on == enum.FORWARD_ERROR, f"{module_cls.__name__}{args}{kwargs} did not raise"
                module(*mi.forward_input.args, **mi.forward_input.kwargs)
