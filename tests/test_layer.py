"""lstm_course.LSTM against torch.nn.LSTM: values, every gradient, the layout, the gates, bad input."""

from __future__ import annotations

import pytest
import torch

import lstm_course
from lstm_course import LSTM, SequenceGates
from lstm_course.cell import lstm_step
from lstm_course.devices import available_devices

DEVICES = [
    pytest.param(
        "cuda", marks=pytest.mark.skipif("cuda" not in available_devices(), reason="no CUDA device on this machine")
    ),
    pytest.param(
        "mps", marks=pytest.mark.skipif("mps" not in available_devices(), reason="no MPS device on this machine")
    ),
    "cpu",
]
DTYPES = [(torch.float32, 1e-5), (torch.float64, 1e-10)]


@pytest.fixture(autouse=True)
def _no_tf32():
    """On CUDA, cuDNN's nn.LSTM would compute float32 in TF32 (10-bit mantissa) by default; compare in float32.

    Through cudnn.flags(), the context manager: torch.testing._internal (tests/test_torch_module_db.py) forbids
    setting the flags directly once imported into the same process.
    """
    if not torch.cuda.is_available():
        yield
        return
    cudnn, matmul = torch.backends.cudnn, torch.backends.cuda.matmul
    saved = matmul.allow_tf32
    matmul.allow_tf32 = False
    with cudnn.flags(enabled=cudnn.enabled, benchmark=cudnn.benchmark, deterministic=cudnn.deterministic,
                     allow_tf32=False):
        yield
    matmul.allow_tf32 = saved


def _pair(I: int, H: int, *, bias: bool = True, batch_first: bool = False, dtype=torch.float64, device="cpu",
          seed: int = 0, ours_first: bool = False):
    """nn.LSTM and lstm_course.LSTM holding the same weights, copied one way or the other."""
    gen = torch.Generator().manual_seed(seed)
    ref = torch.nn.LSTM(I, H, bias=bias, batch_first=batch_first, device=device, dtype=dtype)
    ours = LSTM(I, H, bias=bias, batch_first=batch_first, device=device, dtype=dtype)
    if ours_first:  # our init, loaded into nn.LSTM
        ours.reset_parameters(generator=gen)
        ref.load_state_dict(ours.state_dict())
    else:
        with torch.no_grad():
            for p in ref.parameters():  # drawn on the CPU (the generator's device), then copied to `device`
                p.copy_(torch.empty(p.shape, dtype=dtype).uniform_(-0.5, 0.5, generator=gen))
        ours.load_state_dict(ref.state_dict())
    return ref, ours


def _run(module, x, hx, weights):
    """Output, h_n, c_n and the gradients of a loss that weights every output element differently."""
    out, (h_n, c_n) = module(x, hx)
    w_out, w_h, w_c = weights
    loss = (out * w_out).sum() + (h_n * w_h).sum() + (c_n * w_c).sum()
    leaves = [x] + ([] if hx is None else list(hx)) + list(module.parameters())
    grads = torch.autograd.grad(loss, leaves)
    return [out, h_n, c_n, *grads]


def _assert_parity(ref, ours, x, hx, tol):
    if x.device.type != "cpu" and x.dtype == torch.float32:
        tol = 5e-5  # cuDNN sums in another order: float32 rounding differs by a few ulps of the larger terms
    gen = torch.Generator().manual_seed(123)
    out_ref, (h_ref, _) = ref(x, hx)
    weights = [torch.randn(t.shape, generator=gen, dtype=t.dtype).to(t.device) for t in (out_ref, h_ref, h_ref)]
    expected = _run(ref, x, hx, weights)
    got = _run(ours, x, hx, weights)
    names = ["output", "h_n", "c_n", "d input"] + (["d h_0", "d c_0"] if hx is not None else [])
    names += [f"d {n}" for n, _ in ours.named_parameters()]
    assert len(got) == len(expected) == len(names)
    for name, g, e in zip(names, got, expected, strict=True):
        assert g.shape == e.shape, name
        assert g.dtype == e.dtype, name
        torch.testing.assert_close(g, e, atol=tol, rtol=tol, msg=lambda m, name=name: f"{name}: {m}")


# ----- parity with nn.LSTM ---------------------------------------------------------------------------


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype,tol", DTYPES)
@pytest.mark.parametrize("with_hx", [False, True])
@pytest.mark.parametrize("ours_first", [False, True])
def test_parity_all_outputs_and_gradients(device, dtype, tol, with_hx, ours_first):
    T, B, I, H = 7, 3, 5, 6
    ref, ours = _pair(I, H, dtype=dtype, device=device, ours_first=ours_first)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(T, B, I, generator=gen, dtype=dtype).to(device).requires_grad_()
    hx = None
    if with_hx:
        hx = tuple(torch.randn(1, B, H, generator=gen, dtype=dtype).to(device).requires_grad_() for _ in range(2))
    _assert_parity(ref, ours, x, hx, tol)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype,tol", DTYPES)
def test_parity_batch_first_and_no_bias(device, dtype, tol):
    T, B, I, H = 5, 4, 3, 8
    for bias, batch_first in [(True, True), (False, False), (False, True)]:
        ref, ours = _pair(I, H, bias=bias, batch_first=batch_first, dtype=dtype, device=device)
        assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]
        gen = torch.Generator().manual_seed(2)
        shape = (B, T, I) if batch_first else (T, B, I)
        x = torch.randn(*shape, generator=gen, dtype=dtype).to(device).requires_grad_()
        hx = tuple(torch.randn(1, B, H, generator=gen, dtype=dtype).to(device).requires_grad_() for _ in range(2))
        _assert_parity(ref, ours, x, hx, tol)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype,tol", DTYPES)
@pytest.mark.parametrize("batch_first", [False, True])  # batch_first does not apply to (T, I) input
def test_parity_unbatched(device, dtype, tol, batch_first):
    T, I, H = 6, 4, 5
    ref, ours = _pair(I, H, dtype=dtype, device=device, batch_first=batch_first)
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(T, I, generator=gen, dtype=dtype).to(device).requires_grad_()
    hx = tuple(torch.randn(1, H, generator=gen, dtype=dtype).to(device).requires_grad_() for _ in range(2))
    _assert_parity(ref, ours, x, hx, tol)
    _assert_parity(ref, ours, x, None, tol)


@pytest.mark.parametrize("seed", range(4))
def test_parity_random_sizes(seed):
    gen = torch.Generator().manual_seed(seed)
    T, B, I, H = (int(v) for v in torch.randint(1, 9, (4,), generator=gen))
    batch_first = bool(seed % 2)
    ref, ours = _pair(I, H, batch_first=batch_first, seed=seed)
    shape = (B, T, I) if batch_first else (T, B, I)
    x = torch.randn(*shape, generator=gen, dtype=torch.float64).requires_grad_()
    hx = tuple(torch.randn(1, B, H, generator=gen, dtype=torch.float64).requires_grad_() for _ in range(2))
    _assert_parity(ref, ours, x, hx, 1e-10)


def test_parity_at_benchmark_sizes_float32():
    """Sizes large enough that the layer's float32 products take its oneDNN path (see layer._linear)."""
    import lstm_course.layer as layer

    T, B, I, H = 4, 32, 64, 128
    assert B * 4 * H * H >= layer._ONEDNN_MIN_MACS  # the per-step product is on the fast path
    ref, ours = _pair(I, H, dtype=torch.float32, ours_first=True)
    gen = torch.Generator().manual_seed(5)
    x = torch.randn(T, B, I, generator=gen).requires_grad_()
    hx = tuple(torch.randn(1, B, H, generator=gen).requires_grad_() for _ in range(2))
    _assert_parity(ref, ours, x, hx, 1e-5)
    with torch.no_grad():
        torch.testing.assert_close(ours(x)[0], ref(x)[0], atol=1e-5, rtol=1e-5)


def test_no_grad_and_grad_paths_agree_and_grad_only_for_params():
    ref, ours = _pair(4, 5)
    x = torch.randn(6, 2, 4, dtype=torch.float64)  # input does not require grad, the parameters do
    with torch.no_grad():
        out_ng, (h_ng, c_ng) = ours(x)
    out, (h_n, c_n) = ours(x)
    assert out.requires_grad and not out_ng.requires_grad
    torch.testing.assert_close(out, out_ng, atol=1e-12, rtol=0)
    torch.testing.assert_close(c_n, c_ng, atol=1e-12, rtol=0)
    out.sum().backward()
    ref(x)[0].sum().backward()
    for (name, p), q in zip(ours.named_parameters(), ref.parameters(), strict=True):
        torch.testing.assert_close(p.grad, q.grad, atol=1e-10, rtol=1e-10, msg=name)


def test_state_dict_keys_shapes_and_init():
    ref = torch.nn.LSTM(3, 16)
    ours = LSTM(3, 16)
    assert list(ours.state_dict()) == list(ref.state_dict())
    for (n, p), (_, q) in zip(ours.state_dict().items(), ref.state_dict().items(), strict=True):
        assert p.shape == q.shape, n
    bound = 1 / 16**0.5
    gen = torch.Generator().manual_seed(0)
    ours.reset_parameters(generator=gen)
    for n, p in ours.named_parameters():
        assert p.abs().max() <= bound, n
        assert p.abs().max() > 0.8 * bound, n  # spread over the whole interval, not a narrower one
    same = LSTM(3, 16)
    same.reset_parameters(generator=torch.Generator().manual_seed(0))
    assert torch.equal(same.weight_hh_l0, ours.weight_hh_l0)  # the generator decides, not global state


def test_dtype_and_device_arguments():
    m = LSTM(2, 3, dtype=torch.float64, device=lstm_course.get_device("cpu"))
    assert all(p.dtype == torch.float64 and p.device.type == "cpu" for p in m.parameters())
    out, (h_n, c_n) = m(torch.randn(4, 2, dtype=torch.float64))
    assert out.shape == (4, 3) and h_n.shape == (1, 3) and c_n.shape == (1, 3)


# ----- the book's layout and the gates ---------------------------------------------------------------


def test_cell_weights_recompute_each_gate_like_nn_lstm():
    """The documented layout is only true if each gate recomputed from it matches nn.LSTM's."""
    I, H, B = 3, 4, 2
    ref, ours = _pair(I, H)
    w = ours.cell_weights()
    x_t = torch.randn(B, I, dtype=torch.float64)
    h_prev = torch.randn(B, H, dtype=torch.float64)
    c_prev = torch.randn(B, H, dtype=torch.float64)
    hx = torch.cat([h_prev, x_t], dim=1)  # (B, H+I), hidden first
    # nn.LSTM's own stacked pre-activations, rows i, f, g, o as documented by PyTorch
    stacked = x_t @ ref.weight_ih_l0.T + ref.bias_ih_l0 + h_prev @ ref.weight_hh_l0.T + ref.bias_hh_l0  # (B, 4H)
    rows = {"i": stacked[:, :H], "f": stacked[:, H:2 * H], "g": stacked[:, 2 * H:3 * H], "o": stacked[:, 3 * H:]}
    torch.testing.assert_close(torch.sigmoid(hx @ w.W_f.T + w.b_f), torch.sigmoid(rows["f"]))
    torch.testing.assert_close(torch.sigmoid(hx @ w.W_i.T + w.b_i), torch.sigmoid(rows["i"]))
    torch.testing.assert_close(torch.tanh(hx @ w.W_c.T + w.b_c), torch.tanh(rows["g"]))
    torch.testing.assert_close(torch.sigmoid(hx @ w.W_o.T + w.b_o), torch.sigmoid(rows["o"]))
    # and one lstm_step with these weights is one step of nn.LSTM
    h_t, c_t = lstm_step(x_t, h_prev, c_prev, w)
    _, (h_ref, c_ref) = ref(x_t.unsqueeze(0), (h_prev.unsqueeze(0), c_prev.unsqueeze(0)))
    torch.testing.assert_close(h_t, h_ref[0])
    torch.testing.assert_close(c_t, c_ref[0])
    # the properties are the same numbers, and the view is differentiable
    for name in ("W_f", "b_f", "W_i", "b_i", "W_c", "b_c", "W_o", "b_o"):
        assert torch.equal(getattr(ours, name), getattr(w, name)), name
    w.W_f.sum().backward()
    assert ours.weight_hh_l0.grad[H:2 * H].eq(1).all() and ours.weight_hh_l0.grad[:H].eq(0).all()


@pytest.mark.parametrize("grad", [True, False], ids=["autograd-path", "no-grad-path"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_return_gates_match_lstm_step(batch_first, grad):
    T, B, I, H = 5, 2, 3, 4
    _, ours = _pair(I, H, batch_first=batch_first)
    x = torch.randn(B, T, I, dtype=torch.float64) if batch_first else torch.randn(T, B, I, dtype=torch.float64)
    hx = (torch.randn(1, B, H, dtype=torch.float64), torch.randn(1, B, H, dtype=torch.float64))
    with torch.set_grad_enabled(grad):
        out, (h_n, c_n), gates = ours(x, hx, return_gates=True)
    assert out.requires_grad == grad
    assert isinstance(gates, SequenceGates)
    out_plain, (h_plain, c_plain) = ours(x, hx)
    torch.testing.assert_close(out, out_plain)
    torch.testing.assert_close(c_n, c_plain)
    w = ours.cell_weights()
    h, c = hx[0][0], hx[1][0]
    for t in range(T):
        x_t = x[:, t] if batch_first else x[t]
        h, c, step = lstm_step(x_t, h, c, w, return_gates=True)
        got = {name: (g[:, t] if batch_first else g[t]) for name, g in gates._asdict().items()}
        for name in ("f_t", "i_t", "c_tilde", "o_t"):
            torch.testing.assert_close(got[name], getattr(step, name), msg=f"{name} at t={t}")
        torch.testing.assert_close(got["c_t"], c)
        torch.testing.assert_close(got["h_t"], h)
    torch.testing.assert_close(h_n[0], h)


def test_return_gates_unbatched_shapes_and_differentiable():
    _, ours = _pair(3, 4)
    x = torch.randn(6, 3, dtype=torch.float64, requires_grad=True)
    out, (h_n, _), gates = ours(x, return_gates=True)
    assert all(g.shape == (6, 4) for g in gates)
    assert h_n.shape == (1, 4)
    gates.f_t.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_calls_no_fused_kernel(monkeypatch):
    """Forward and backward run with every fused LSTM entry point replaced by a trap."""

    def trap(*args, **kwargs):
        raise AssertionError("a fused LSTM kernel was called")

    monkeypatch.setattr(torch, "lstm", trap)
    monkeypatch.setattr(torch, "lstm_cell", trap)
    monkeypatch.setattr(torch._VF, "lstm", trap, raising=False)
    monkeypatch.setattr(torch._VF, "lstm_cell", trap, raising=False)
    monkeypatch.setattr(torch.nn.LSTM, "forward", trap)
    monkeypatch.setattr(torch.nn.LSTMCell, "forward", trap)
    with pytest.raises(AssertionError, match="fused"):  # the trap works
        torch.nn.LSTM(2, 3)(torch.randn(4, 1, 2))
    m = LSTM(2, 3)
    x = torch.randn(4, 1, 2, requires_grad=True)
    out, (h_n, c_n) = m(x)
    (out.sum() + c_n.sum()).backward()
    assert x.grad is not None and m.weight_hh_l0.grad is not None
    with torch.no_grad():
        m(x)
    m(x, return_gates=True)


def test_gradcheck_float64():
    """Finite differences check the hand-written backward for the input, both states and all 4 parameters."""
    m = LSTM(2, 3, dtype=torch.float64)
    gen = torch.Generator().manual_seed(4)
    x = torch.randn(4, 2, 2, generator=gen, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(1, 2, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    c0 = torch.randn(1, 2, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    names = [n for n, _ in m.named_parameters()]
    params = [p.detach().clone().requires_grad_() for p in m.parameters()]

    def f(x, h0, c0, *ps):
        out, (h_n, c_n) = torch.func.functional_call(m, dict(zip(names, ps, strict=True)), (x, (h0, c0)))
        return out, h_n, c_n

    assert torch.autograd.gradcheck(f, (x, h0, c0, *params))


# ----- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize("proj_size,error,message", [
    (4, ValueError, r"proj_size has to be smaller than hidden_size"),
    (-1, ValueError, r"proj_size must be at least 0"),
    (1.0, TypeError, r"proj_size should be of type int, got: float"),
])
def test_bad_proj_size(proj_size, error, message):
    with pytest.raises(error, match=message):
        LSTM(3, 4, proj_size=proj_size)
    with pytest.raises(error):  # nn.LSTM rejects it too
        torch.nn.LSTM(3, 4, proj_size=proj_size)


@pytest.mark.parametrize(
    "kwargs,error,message",
    [
        ({"num_layers": 0}, ValueError, r"num_layers must be greater than zero.*got 0"),
        ({"num_layers": 2.0}, TypeError, r"num_layers should be of type int, got: float"),
        ({"dropout": 1.5}, ValueError, r"dropout should be a number in range \[0, 1\].*got 1.5"),
        ({"dropout": "0.1"}, ValueError, r"dropout should be a number"),
        ({"bidirectional": 1}, TypeError, r"bidirectional should be of type bool, got: int.*bidirectional=True"),
        ({"batch_first": "False"}, TypeError, r"batch_first should be of type bool, got: str.*'False'"),
        ({"bias": 0}, TypeError, r"bias should be of type bool, got: int"),
    ],
)
def test_bad_stack_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        LSTM(3, 4, **kwargs)


def test_dropout_with_one_layer_warns_like_nn_lstm():
    with pytest.warns(UserWarning, match=r"dropout=0.5 does nothing with num_layers=1"):
        LSTM(3, 4, dropout=0.5)
    with pytest.warns(UserWarning, match="dropout"):  # nn.LSTM warns too
        torch.nn.LSTM(3, 4, dropout=0.5)


def test_bad_sizes_in_constructor():
    with pytest.raises(ValueError, match="hidden_size must be greater than zero.*got 0"):
        LSTM(3, 0)
    with pytest.raises(TypeError, match="input_size should be of type int, got: float"):
        LSTM(2.5, 3)
    with pytest.raises(TypeError, match="floating-point dtype"):
        LSTM(2, 3, dtype=torch.int64)


def test_bad_inputs_name_the_argument():
    m = LSTM(3, 4)
    # shape errors are both ValueError (the course) and RuntimeError (nn.LSTM), and quote nn.LSTM
    for error in (ValueError, RuntimeError):
        with pytest.raises(error, match=r"`input` must have shape \(\*, \*, 3\).*got \(5, 2, 7\).*"
                                        r"input.size\(-1\) must be equal to input_size. Expected 3, got 7"):
            m(torch.randn(5, 2, 7))
    with pytest.raises(RuntimeError):
        torch.nn.LSTM(3, 4)(torch.randn(5, 2, 7))
    with pytest.raises(RuntimeError, match=r"`input` must have shape \(\*, 3\).*got \(5, 7\)"):
        m(torch.randn(5, 7))
    with pytest.raises(ValueError, match=r"Expected input to be 2D or 3D, got 1D.*`input` must be 3-D \(T, B, I\)"):
        m(torch.randn(3))
    with pytest.raises(TypeError, match=r"`input` has dtype torch.int64"):
        m(torch.ones(5, 2, 3, dtype=torch.int64))
    with pytest.raises(TypeError, match=r"`input` must be a torch.Tensor, got list"):
        m([[0.0, 1.0, 2.0]])
    for error in (TypeError, ValueError):  # nn.LSTM raises ValueError, the course raised TypeError
        with pytest.raises(error, match=r"RNN input dtype \(torch.float64\) does not match weight dtype "
                                        r"\(torch.float32\). Convert input: input.to\(torch.float32\)"):
            m(torch.randn(5, 2, 3, dtype=torch.float64))
    with pytest.raises(RuntimeError, match=r"at least one step.*Expected sequence length to be larger than 0"):
        m(torch.randn(0, 2, 3))


def test_zero_size_batch_gives_empty_output_like_nn_lstm():
    ref, ours = _pair(3, 4, batch_first=True)
    x = torch.randn(0, 5, 3, dtype=torch.float64, requires_grad=True)  # B = 0
    out, (h_n, c_n) = ours(x)
    out_ref, (h_ref, c_ref) = ref(x)
    assert out.shape == out_ref.shape == (0, 5, 4)
    assert h_n.shape == c_n.shape == h_ref.shape == (1, 0, 4)
    out.sum().backward()
    assert x.grad.shape == x.shape


def test_bad_hx_name_the_argument():
    m = LSTM(3, 4)
    x = torch.randn(5, 2, 3)
    good = torch.zeros(1, 2, 4)
    with pytest.raises(RuntimeError, match=r"`h_0` must have shape \(1, 2, 4\).*got \(2, 4\)"):
        m(x, (torch.zeros(2, 4), good))
    with pytest.raises(ValueError, match=r"`c_0` must have shape \(1, 2, 4\).*got \(1, 3, 4\).*"
                                         r"Expected hidden\[1\] size \(1, 2, 4\), got \[1, 3, 4\]"):
        m(x, (good, torch.zeros(1, 3, 4)))
    with pytest.raises(ValueError, match=r"`h_0` must have shape \(1, 4\)"):
        m(torch.randn(5, 3), (good, good))
    with pytest.raises(TypeError, match=r"`c_0` has dtype torch.int64"):
        m(x, (good, torch.zeros(1, 2, 4, dtype=torch.int64)))
    with pytest.raises(TypeError, match=r"`hx` must be a tuple \(h_0, c_0\)"):
        m(x, good)
    bf = LSTM(3, 4, batch_first=True)
    with pytest.raises(ValueError, match=r"`h_0` must have shape \(1, 5, 4\)"):
        bf(x, (good, good))  # batch_first: B is input.shape[0] = 5


def test_check_finite_flag():
    m = LSTM(3, 4)
    x = torch.randn(5, 2, 3)
    x[2, 1, 0] = float("nan")
    m(x)  # unchecked by default: NaN flows through as in nn.LSTM
    with pytest.raises(ValueError, match=r"`input` contains NaN"):
        m(x, check_finite=True)
    c_0 = torch.zeros(1, 2, 4)
    c_0[0, 0, 0] = float("inf")
    with pytest.raises(ValueError, match=r"`c_0` contains inf"):
        m(torch.randn(5, 2, 3), (torch.zeros(1, 2, 4), c_0), check_finite=True)


@pytest.mark.parametrize("device", DEVICES)
def test_device_mismatch(device):
    m = LSTM(3, 4)
    other = "meta" if device == "cpu" else device  # a second device exists everywhere: 'meta'
    x = torch.randn(5, 2, 3, device=other)
    with pytest.raises(RuntimeError, match=r"one device.*`input` on"):
        m(x)
    if device != "cpu":
        m.to(device)
        with pytest.raises(ValueError, match=r"one device.*`h_0` on cpu"):
            m(torch.randn(5, 2, 3, device=device), (torch.zeros(1, 2, 4), torch.zeros(1, 2, 4, device=device)))
