"""A numpy LSTM with its backward pass written by hand (CS231n ``rnn_layers.py`` style).

Parameters are stacked as in PyTorch, one column block per gate in the order given by
:mod:`lstm_course.layout` (i, f, g, o; ``g`` is the candidate :math:`\\tilde c_t`):
``Wx (I, 4H)``, ``Wh (H, 4H)``, ``b (4H,)``.  One step computes

.. math::
    a &= x_t W_x + h_{t-1} W_h + b, \\qquad (a_i, a_f, a_g, a_o) = \\operatorname{split}(a) \\\\
    i_t &= \\sigma(a_i),\\; f_t = \\sigma(a_f),\\; \\tilde c_t = \\tanh(a_g),\\; o_t = \\sigma(a_o) \\\\
    c_t &= f_t \\odot c_{t-1} + i_t \\odot \\tilde c_t, \\qquad h_t = o_t \\odot \\tanh(c_t)

which is the book's cell (:mod:`lstm_course.cell`) with :math:`W_\\ast [h_{t-1}, x_t]` split
into an input part and a hidden part.  Each forward returns a ``cache`` holding exactly what
its backward needs; :func:`gradient_check` compares the backward with central differences.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from .layout import CellWeights, from_torch_layout, gate_slice, split_gates, to_torch_layout

__all__ = [
    "from_cell_weights",
    "from_torch",
    "gradient_check",
    "gradient_check_sequence",
    "lstm_backward",
    "lstm_forward",
    "lstm_step_backward",
    "lstm_step_forward",
    "numerical_gradient",
    "rel_error",
    "to_cell_weights",
    "to_torch",
]

Cache = dict[str, Any]


# ---------------------------------------------------------------------------- validation


def _as_float_array(name: str, value: object) -> np.ndarray:
    """Return ``value`` if it is a floating-point numpy array, else raise a clear ``TypeError``."""
    if isinstance(value, torch.Tensor):
        raise TypeError(f"`{name}` is a torch.Tensor; the reference works on numpy arrays: "
                        f"pass `{name}.detach().cpu().numpy()`.")
    if not isinstance(value, np.ndarray):
        raise TypeError(f"`{name}` must be a numpy array, got {type(value).__name__}; convert it with np.asarray(...).")
    if not np.issubdtype(value.dtype, np.floating):
        raise TypeError(f"`{name}` has dtype {value.dtype}, but the LSTM needs floating-point numbers; "
                        f"pass `{name}.astype(np.float64)`.")
    return value


def _shape_error(name: str, want: str, value: np.ndarray) -> ValueError:
    return ValueError(f"`{name}` must have shape {want}, got {tuple(value.shape)}.")


def _check_params(Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray) -> tuple[int, int]:
    """Validate ``Wx (I, 4H)``, ``Wh (H, 4H)``, ``b (4H,)``; return ``(I, H)``."""
    Wx, Wh, b = _as_float_array("Wx", Wx), _as_float_array("Wh", Wh), _as_float_array("b", b)
    if Wh.ndim != 2 or Wh.shape[1] != 4 * Wh.shape[0]:
        raise _shape_error("Wh", "(H, 4H): one column block per gate", Wh)
    H = Wh.shape[0]
    if Wx.ndim != 2 or Wx.shape[1] != 4 * H:
        raise _shape_error("Wx", f"(I, 4H) = (I, {4 * H}) (H = {H} from `Wh`)", Wx)
    if b.shape != (4 * H,):
        raise _shape_error("b", f"(4H,) = ({4 * H},) (H = {H} from `Wh`)", b)
    return Wx.shape[0], H


def _check_same_dtype(**arrays: np.ndarray) -> None:
    dtypes = {name: a.dtype for name, a in arrays.items()}
    if len(set(dtypes.values())) > 1:
        listing = ", ".join(f"`{n}` is {d}" for n, d in dtypes.items())
        raise TypeError(f"All arrays must share one dtype, got {listing}; convert them with .astype(np.float64).")


def _check_state(name: str, value: np.ndarray, batch: tuple[int, ...], H: int, x_name: str) -> None:
    want = batch + (H,)
    if value.shape != want:
        raise _shape_error(name, f"{want} (batch from `{x_name}`, H from `Wh`)", value)


# ---------------------------------------------------------------------------- one step


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """:math:`\\sigma(z) = 1 / (1 + e^{-z})`, computed without overflow for large ``|z|``."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def lstm_step_forward(
    x: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray, Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, Cache]:
    """One LSTM step forward.

    .. math::
        a = x_t W_x + h_{t-1} W_h + b;\\quad
        c_t = \\sigma(a_f) \\odot c_{t-1} + \\sigma(a_i) \\odot \\tanh(a_g);\\quad
        h_t = \\sigma(a_o) \\odot \\tanh(c_t)

    Shapes: ``x (B, I)`` or ``(I,)``, ``h_prev`` and ``c_prev (B, H)`` or ``(H,)``,
    ``Wx (I, 4H)``, ``Wh (H, 4H)``, ``b (4H,)``. Returns ``h (B, H)``, ``c (B, H)`` (unbatched
    in, unbatched out) and the ``cache`` for :func:`lstm_step_backward`.
    """
    I, H = _check_params(Wx, Wh, b)
    x = _as_float_array("x", x)
    h_prev = _as_float_array("h_prev", h_prev)
    c_prev = _as_float_array("c_prev", c_prev)
    if x.ndim not in (1, 2) or x.shape[-1] != I:
        raise _shape_error("x", f"(B, I) or (I,) with I = {I} (from `Wx`)", x)
    _check_state("h_prev", h_prev, x.shape[:-1], H, "x")
    _check_state("c_prev", c_prev, x.shape[:-1], H, "x")
    _check_same_dtype(x=x, h_prev=h_prev, c_prev=c_prev, Wx=Wx, Wh=Wh, b=b)
    unbatched = x.ndim == 1
    if unbatched:
        x, h_prev, c_prev = x[None], h_prev[None], c_prev[None]  # (1, I), (1, H), (1, H)

    # a = x_t W_x + h_{t-1} W_h + b
    a = x @ Wx + h_prev @ Wh + b  # (B, 4H)
    pre = split_gates(a, H)  # each (B, H)
    i = _sigmoid(pre["i"])  # i_t = σ(a_i)
    f = _sigmoid(pre["f"])  # f_t = σ(a_f)
    g = np.tanh(pre["g"])  # c̃_t = tanh(a_g)
    o = _sigmoid(pre["o"])  # o_t = σ(a_o)
    # c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t
    c = f * c_prev + i * g  # (B, H)
    tanh_c = np.tanh(c)  # (B, H)
    # h_t = o_t ⊙ tanh(c_t)
    h = o * tanh_c  # (B, H)

    cache = {"x": x, "h_prev": h_prev, "c_prev": c_prev, "Wx": Wx, "Wh": Wh,
             "i": i, "f": f, "g": g, "o": o, "tanh_c": tanh_c, "unbatched": unbatched}
    if unbatched:
        return h[0], c[0], cache
    return h, c, cache


def lstm_step_backward(
    dh: np.ndarray, dc: np.ndarray | None, cache: Cache
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One LSTM step backward: the chain rule through the equations of :func:`lstm_step_forward`.

    .. math::
        \\bar c &= \\partial L/\\partial c_t + \\partial L/\\partial h_t \\odot o_t \\odot (1 - \\tanh^2 c_t) \\\\
        \\partial L/\\partial c_{t-1} &= \\bar c \\odot f_t, \\quad
        \\partial L/\\partial a_f = \\bar c \\odot c_{t-1} \\odot f_t (1 - f_t), \\quad
        \\partial L/\\partial a_i = \\bar c \\odot \\tilde c_t \\odot i_t (1 - i_t) \\\\
        \\partial L/\\partial a_g &= \\bar c \\odot i_t \\odot (1 - \\tilde c_t^2), \\quad
        \\partial L/\\partial a_o = \\partial L/\\partial h_t \\odot \\tanh c_t \\odot o_t (1 - o_t) \\\\
        \\partial L/\\partial x_t &= \\delta a\\, W_x^\\top, \\quad
        \\partial L/\\partial h_{t-1} = \\delta a\\, W_h^\\top, \\quad
        \\partial L/\\partial W_x = x_t^\\top \\delta a, \\quad
        \\partial L/\\partial W_h = h_{t-1}^\\top \\delta a, \\quad
        \\partial L/\\partial b = \\textstyle\\sum_B \\delta a

    Shapes: ``dh`` and ``dc`` like the forward's ``h`` and ``c`` (``dc=None`` means zero).
    Returns ``(dx, dh_prev, dc_prev, dWx, dWh, db)`` shaped like ``x, h_prev, c_prev, Wx, Wh, b``.
    """
    if not isinstance(cache, dict) or "tanh_c" not in cache:
        raise TypeError("`cache` must be the third value returned by lstm_step_forward(...).")
    i, f, g, o, tanh_c = cache["i"], cache["f"], cache["g"], cache["o"], cache["tanh_c"]
    B, H = i.shape
    want = (H,) if cache["unbatched"] else (B, H)
    dh = _as_float_array("dh", dh)
    if dh.shape != want:
        raise _shape_error("dh", f"{want}, like the forward's h", dh)
    if dc is None:
        dc = np.zeros_like(dh)
    dc = _as_float_array("dc", dc)
    if dc.shape != want:
        raise _shape_error("dc", f"{want}, like the forward's c", dc)
    dh, dc = dh.reshape(B, H), dc.reshape(B, H)  # (B, H)

    # ∂h_t/∂o_t = tanh(c_t)
    do = dh * tanh_c  # (B, H)
    # total gradient on c_t: from the next step's cell path and through h_t = o_t ⊙ tanh(c_t)
    dc_total = dc + dh * o * (1.0 - tanh_c**2)  # (B, H)
    # c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t
    dc_prev = dc_total * f  # (B, H)
    df = dc_total * cache["c_prev"]  # (B, H)
    di = dc_total * g  # (B, H)
    dg = dc_total * i  # (B, H)

    # through the nonlinearities: σ' = σ(1-σ), tanh' = 1 - tanh²
    da = np.empty((B, 4 * H), dtype=dh.dtype)  # (B, 4H)
    da[:, gate_slice("i", H)] = di * i * (1.0 - i)
    da[:, gate_slice("f", H)] = df * f * (1.0 - f)
    da[:, gate_slice("g", H)] = dg * (1.0 - g**2)
    da[:, gate_slice("o", H)] = do * o * (1.0 - o)

    # a = x_t W_x + h_{t-1} W_h + b
    dx = da @ cache["Wx"].T  # (B, I)
    dh_prev = da @ cache["Wh"].T  # (B, H)
    dWx = cache["x"].T @ da  # (I, 4H)
    dWh = cache["h_prev"].T @ da  # (H, 4H)
    db = da.sum(axis=0)  # (4H,)
    if cache["unbatched"]:
        return dx[0], dh_prev[0], dc_prev[0], dWx, dWh, db
    return dx, dh_prev, dc_prev, dWx, dWh, db


# ---------------------------------------------------------------------------- a sequence


def lstm_forward(
    x: np.ndarray, h0: np.ndarray, Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray, c0: np.ndarray | None = None
) -> tuple[np.ndarray, Cache]:
    """Run :func:`lstm_step_forward` over a sequence, :math:`(h_t, c_t) = \\text{step}(x_t, h_{t-1}, c_{t-1})`.

    Steps are :math:`t = 1 \\ldots T`, from the initial state ``h0`` :math:`= h_0`, ``c0`` :math:`= c_0`;
    row ``t - 1`` of ``x`` and of the returned ``h`` holds step :math:`t`.
    Shapes: ``x (T, B, I)`` or ``(T, I)``, ``h0`` and ``c0 (B, H)`` or ``(H,)`` (``c0=None``
    means zeros), ``Wx (I, 4H)``, ``Wh (H, 4H)``, ``b (4H,)``. Returns every hidden state
    ``h (T, B, H)`` (or ``(T, H)``) and the ``cache`` for :func:`lstm_backward`.
    """
    x = _as_float_array("x", x)
    h0 = _as_float_array("h0", h0)
    if x.ndim not in (2, 3):
        raise _shape_error("x", "(T, B, I) or (T, I)", x)
    if x.shape[0] == 0:
        raise ValueError("`x` has T = 0 steps; pass a sequence with at least one step.")
    if c0 is None:
        c0 = np.zeros_like(h0)
    c0 = _as_float_array("c0", c0)
    I, H = _check_params(Wx, Wh, b)
    if x.shape[-1] != I:
        raise _shape_error("x", f"(T, B, I) or (T, I) with I = {I} (from `Wx`)", x)
    _check_state("h0", h0, x.shape[1:-1], H, "x")
    _check_state("c0", c0, x.shape[1:-1], H, "x")
    h_t, c_t = h0, c0
    hs, steps = [], []
    for t in range(x.shape[0]):
        h_t, c_t, step_cache = lstm_step_forward(x[t], h_t, c_t, Wx, Wh, b)  # (B, H), (B, H)
        hs.append(h_t)
        steps.append(step_cache)
    return np.stack(hs), {"steps": steps, "c_last": c_t}  # (T, B, H)


def lstm_backward(
    dh: np.ndarray, cache: Cache
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Backpropagation through time for :func:`lstm_forward`.

    The gradient reaching step :math:`t` is ``dh[t - 1]`` (row ``t - 1`` holds step :math:`t = 1 \\ldots T`)
    plus what step :math:`t+1` sends back through :math:`h_t` and :math:`c_t`; weight gradients are summed over steps:
    :math:`\\partial L/\\partial W_x = \\sum_t \\partial L/\\partial W_x^{(t)}`, likewise ``Wh``, ``b``.

    Shapes: ``dh (T, B, H)`` (or ``(T, H)``), the upstream gradient on every hidden state.
    Returns ``(dx, dh0, dc0, dWx, dWh, db)`` shaped like ``x, h0, c0, Wx, Wh, b``.
    """
    if not isinstance(cache, dict) or "steps" not in cache:
        raise TypeError("`cache` must be the second value returned by lstm_forward(...).")
    steps = cache["steps"]
    dh = _as_float_array("dh", dh)
    T = len(steps)
    first = steps[0]
    B, H = first["i"].shape
    want = (T, H) if first["unbatched"] else (T, B, H)
    if dh.shape != want:
        raise _shape_error("dh", f"{want}, like the forward's h", dh)
    dh_next = np.zeros_like(dh[0])  # (B, H) gradient arriving from step t+1 through h_t
    dc_next = np.zeros_like(dh[0])  # (B, H) ... and through c_t
    dxs = [None] * T
    dWx = np.zeros_like(first["Wx"])  # (I, 4H)
    dWh = np.zeros_like(first["Wh"])  # (H, 4H)
    db = np.zeros(4 * H, dtype=first["Wx"].dtype)  # (4H,)
    for t in reversed(range(T)):
        dx_t, dh_next, dc_next, dWx_t, dWh_t, db_t = lstm_step_backward(dh[t] + dh_next, dc_next, steps[t])
        dxs[t] = dx_t
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return np.stack(dxs), dh_next, dc_next, dWx, dWh, db


# ---------------------------------------------------------------------------- checking


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """Largest element-wise relative error, :math:`\\max |a-b| / \\max(10^{-8}, |a|+|b|)` (CS231n's)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"`a` {a.shape} and `b` {b.shape} must have the same shape.")
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))) if a.size else 0.0


def numerical_gradient(
    f: Callable[[np.ndarray], np.ndarray | float],
    x: np.ndarray,
    df: np.ndarray | float = 1.0,
    eps: float | None = None,
    *,
    order: int = 4,
) -> np.ndarray:
    """Central differences of :math:`L(x) = \\sum f(x) \\odot df` with respect to every entry of ``x``.

    ``order=2`` is the textbook two-point formula, error :math:`O(\\varepsilon^2)`:

    .. math:: \\partial L / \\partial x_k \\approx (L(x + \\varepsilon e_k) - L(x - \\varepsilon e_k)) / 2\\varepsilon

    ``order=4`` (default) is the four-point central stencil, error :math:`O(\\varepsilon^4)`:
    :math:`(-L(x+2\\varepsilon e_k) + 8L(x+\\varepsilon e_k) - 8L(x-\\varepsilon e_k) + L(x-2\\varepsilon e_k))
    / 12\\varepsilon`. It tolerates a larger step (default ``eps`` 1e-3 against 1e-5), so float64
    round-off stays far below the 1e-7 relative error a correct backward must reach.

    ``x`` (any shape, float) is perturbed in place and restored, so ``f`` may read it through
    a closure; ``df`` is the upstream gradient, shaped like ``f(x)`` (``1.0`` for a scalar ``f``).
    Returns an array shaped like ``x``. Use float64: in float32 the differences are noise.
    """
    x = _as_float_array("x", x)
    if order not in (2, 4):
        raise ValueError(f"`order` must be 2 or 4, got {order!r}.")
    if eps is None:
        eps = 1e-5 if order == 2 else 1e-3
    # (offset, weight) pairs of the stencil, divided by `denominator * eps`
    stencil = [(1, 1.0), (-1, -1.0)] if order == 2 else [(2, -1.0), (1, 8.0), (-1, -8.0), (-2, 1.0)]
    denominator = 2.0 if order == 2 else 12.0
    grad = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        old = x[k]
        total = 0.0
        for offset, weight in stencil:
            x[k] = old + offset * eps
            total += weight * float(np.sum(np.asarray(f(x)) * df))
        x[k] = old
        grad[k] = total / (denominator * eps)
    return grad


def _upstream(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.standard_normal(shape)


def gradient_check(
    x: np.ndarray,
    h_prev: np.ndarray,
    c_prev: np.ndarray,
    Wx: np.ndarray,
    Wh: np.ndarray,
    b: np.ndarray,
    *,
    backward: Callable[..., tuple[np.ndarray, ...]] = lstm_step_backward,
    rng: np.random.Generator | None = None,
    eps: float | None = None,
) -> dict[str, float]:
    """Compare ``backward`` (default :func:`lstm_step_backward`) with central differences for one step.

    The loss is :math:`L = \\sum h_t \\odot \\delta h + \\sum c_t \\odot \\delta c` with random
    upstream gradients drawn from ``rng`` (default ``np.random.default_rng(0)``). All inputs
    are copied to float64 first; the caller's arrays are not touched.
    Returns ``{"x", "h_prev", "c_prev", "Wx", "Wh", "b"}`` → max relative error (:func:`rel_error`).
    """
    rng = np.random.default_rng(0) if rng is None else rng
    names = ("x", "h_prev", "c_prev", "Wx", "Wh", "b")
    values = (x, h_prev, c_prev, Wx, Wh, b)
    args = {n: np.array(_as_float_array(n, v), dtype=np.float64) for n, v in zip(names, values, strict=True)}
    h, c, cache = lstm_step_forward(**args)
    dh, dc = _upstream(rng, h.shape), _upstream(rng, c.shape)
    analytic = dict(zip(names, backward(dh, dc, cache), strict=True))

    def loss(_: np.ndarray) -> float:
        h, c, _cache = lstm_step_forward(**args)
        return float(np.sum(h * dh) + np.sum(c * dc))

    return {n: rel_error(analytic[n], numerical_gradient(loss, args[n], 1.0, eps)) for n in names}


def gradient_check_sequence(
    x: np.ndarray,
    h0: np.ndarray,
    Wx: np.ndarray,
    Wh: np.ndarray,
    b: np.ndarray,
    c0: np.ndarray | None = None,
    *,
    rng: np.random.Generator | None = None,
    eps: float | None = None,
) -> dict[str, float]:
    """Compare :func:`lstm_backward` with central differences over a whole sequence.

    The loss is :math:`L = \\sum_t h_t \\odot \\delta h_t` with random ``dh (T, B, H)`` from ``rng``.
    Returns ``{"x", "h0", "c0", "Wx", "Wh", "b"}`` → max relative error.
    """
    rng = np.random.default_rng(0) if rng is None else rng
    if c0 is None:
        c0 = np.zeros_like(_as_float_array("h0", h0))
    names = ("x", "h0", "Wx", "Wh", "b", "c0")
    values = (x, h0, Wx, Wh, b, c0)
    args = {n: np.array(_as_float_array(n, v), dtype=np.float64) for n, v in zip(names, values, strict=True)}
    h, cache = lstm_forward(**args)
    dh = _upstream(rng, h.shape)
    analytic = dict(zip(("x", "h0", "c0", "Wx", "Wh", "b"), lstm_backward(dh, cache), strict=True))

    def loss(_: np.ndarray) -> float:
        return float(np.sum(lstm_forward(**args)[0] * dh))

    return {n: rel_error(analytic[n], numerical_gradient(loss, args[n], 1.0, eps)) for n in analytic}


# ---------------------------------------------------------------------------- conversions


def from_torch(
    weight_ih: torch.Tensor,
    weight_hh: torch.Tensor,
    bias_ih: torch.Tensor | None = None,
    bias_hh: torch.Tensor | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``nn.LSTM``'s ``(weight_ih (4H, I), weight_hh (4H, H), bias_ih, bias_hh (4H,))`` → ``(Wx, Wh, b)``.

    :math:`W_x = W_{ih}^\\top`, :math:`W_h = W_{hh}^\\top`, :math:`b = b_{ih} + b_{hh}`; both
    layouts stack the gates in :data:`lstm_course.layout.GATE_ORDER`, so only a transpose is needed.
    """
    weights = from_torch_layout(weight_ih.detach(), weight_hh.detach(),
                                None if bias_ih is None else bias_ih.detach(),
                                None if bias_hh is None else bias_hh.detach())
    return from_cell_weights(weights)


def to_torch(
    Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray, *, device: torch.device | str | None = None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Inverse of :func:`from_torch`: ``(weight_ih, weight_hh, bias_ih, bias_hh)`` with ``bias_hh = 0``."""
    return to_torch_layout(to_cell_weights(Wx, Wh, b, device=device))


def to_cell_weights(Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray, *, device: torch.device | str | None = None
                    ) -> CellWeights:
    """``(Wx, Wh, b)`` → the book's :class:`~lstm_course.layout.CellWeights` (``W_* (H, H+I)`` on ``[h, x]``)."""
    _check_params(Wx, Wh, b)
    def t(a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.ascontiguousarray(a), device=device)
    return from_torch_layout(t(Wx.T), t(Wh.T), t(b), None)


def from_cell_weights(weights: CellWeights) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The book's :class:`~lstm_course.layout.CellWeights` → ``(Wx (I, 4H), Wh (H, 4H), b (4H,))``."""
    if not isinstance(weights, CellWeights):
        raise TypeError(f"`weights` must be a CellWeights, got {type(weights).__name__}.")
    weight_ih, weight_hh, bias_ih, bias_hh = to_torch_layout(weights)  # (4H, I), (4H, H), (4H,), (4H,)
    def n(t: torch.Tensor) -> np.ndarray:
        return t.detach().cpu().numpy().copy()
    return n(weight_ih.T), n(weight_hh.T), n(bias_ih + bias_hh)
