"""How gradients flow back through time, measured: a vanilla RNN against an LSTM.

Steps are numbered :math:`t = 1 \\ldots T`, with :math:`h_0 = c_0 = 0` the initial state. A loss at
the last step, :math:`L = u^\\top h_T` with a fixed unit vector :math:`u`, is backpropagated through
the ``T`` steps; for every step :math:`t` we record the norm :math:`\\lVert \\partial L / \\partial h_t \\rVert`
(and :math:`\\lVert \\partial L / \\partial c_t \\rVert` for the LSTM), averaged over a batch and over
seeds. Every returned ``(T,)`` array holds step :math:`t` at index ``t - 1``: index 0 is the first
step, index ``-1`` the last.

* Vanilla RNN, :math:`h_t = \\tanh(W_h h_{t-1} + W_x x_t + b)`: the gradient is multiplied by
  :math:`\\operatorname{diag}(1 - h_t^2) W_h` at every step and, at PyTorch's default scale, shrinks
  geometrically.
* LSTM (:func:`lstm_course.cell.lstm_step`): along the cell path the factor is
  :math:`\\operatorname{diag}(f_t)`, so from step :math:`T` back to step :math:`t` it is
  :math:`\\prod_{j=t+1}^{T} f_j`, the forget gates of steps :math:`t+1, \\ldots, T` (element-wise, so
  their order does not matter; :func:`forget_path_product`); a positive forget-gate bias keeps
  :math:`f_t` near 1.

Weights are drawn as PyTorch draws them for ``nn.RNN``/``nn.LSTM``,
:math:`\\mathcal U(-1/\\sqrt H, 1/\\sqrt H)`, times ``weight_scale``; inputs are standard normal.
Each seed has its own ``torch.Generator`` (no global seeding), on the CPU, so a seed gives the
same numbers on every device.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple

import numpy as np
import torch

from .cell import lstm_step
from .devices import get_device
from .layout import CellWeights, from_torch_layout, gate_slice

__all__ = [
    "DEFAULT_SEEDS",
    "LSTMGradientNorms",
    "RNNWeights",
    "forget_path_product",
    "gradient_ratio_at",
    "lstm_gradient_norms",
    "lstm_weights",
    "rnn_gradient_norms",
    "rnn_step",
    "rnn_weights",
    "sweep_forget_bias",
    "sweep_length",
    "sweep_weight_scale",
]

#: Seeds the experiments average over unless told otherwise.
DEFAULT_SEEDS: tuple[int, ...] = (0, 1, 2, 3, 4)


class RNNWeights(NamedTuple):
    """Vanilla RNN parameters: ``W_h (H, H)``, ``W_x (H, I)``, ``b (H,)``."""

    W_h: torch.Tensor
    W_x: torch.Tensor
    b: torch.Tensor


class LSTMGradientNorms(NamedTuple):
    """Per-step gradient norms of an LSTM, each ``(T,)``; index ``t - 1`` is step :math:`t = 1 \\ldots T`.

    ``h``: :math:`\\lVert \\partial L/\\partial h_t \\rVert`; ``c``: :math:`\\lVert \\partial L/\\partial c_t \\rVert`;
    ``forget_path``: the mean of :math:`\\prod_{j=t+1}^{T} f_j` (:func:`forget_path_product`).
    """

    h: np.ndarray
    c: np.ndarray
    forget_path: np.ndarray


# ---------------------------------------------------------------------------- the vanilla RNN


def rnn_step(x_t: torch.Tensor, h_prev: torch.Tensor, weights: RNNWeights) -> torch.Tensor:
    """One vanilla RNN step, :math:`h_t = \\tanh(W_h h_{t-1} + W_x x_t + b)`.

    Shapes: ``x_t (…, I)``, ``h_prev (…, H)``, ``weights`` an :class:`RNNWeights` -> ``(…, H)``.
    """
    if not isinstance(weights, RNNWeights):
        raise TypeError(f"`weights` must be an RNNWeights(W_h, W_x, b), got {type(weights).__name__}.")
    H, I = weights.W_x.shape
    if h_prev.shape[-1] != H or x_t.shape[-1] != I:
        raise ValueError(f"`h_prev` must end in H = {H} and `x_t` in I = {I} (from `weights.W_x` {(H, I)}), "
                         f"got h_prev {tuple(h_prev.shape)} and x_t {tuple(x_t.shape)}.")
    # h_t = tanh(W_h h_{t-1} + W_x x_t + b)
    return torch.tanh(h_prev @ weights.W_h.T + x_t @ weights.W_x.T + weights.b)  # (…, H)


def _uniform(shape: tuple[int, ...], bound: float, generator: torch.Generator) -> torch.Tensor:
    return (torch.rand(shape, generator=generator, dtype=torch.float64) * 2 - 1) * bound


def rnn_weights(
    hidden_size: int, input_size: int, weight_scale: float = 1.0, *, generator: torch.Generator
) -> RNNWeights:
    """RNN weights drawn like ``nn.RNN``'s, :math:`\\mathcal U(-1/\\sqrt H, 1/\\sqrt H)`, times ``weight_scale``.

    Returned in float64 on the CPU; move them with ``.to(device, dtype)``.
    """
    k = weight_scale / hidden_size**0.5
    return RNNWeights(
        _uniform((hidden_size, hidden_size), k, generator),  # W_h (H, H)
        _uniform((hidden_size, input_size), k, generator),  # W_x (H, I)
        _uniform((hidden_size,), k, generator),  # b (H,)
    )


def lstm_weights(
    hidden_size: int,
    input_size: int,
    weight_scale: float = 1.0,
    forget_bias: float = 0.0,
    *,
    generator: torch.Generator,
) -> CellWeights:
    """LSTM weights drawn like ``nn.LSTM``'s (times ``weight_scale``), with ``forget_bias`` added to :math:`b_f`.

    Returned as the book's :class:`~lstm_course.layout.CellWeights`, float64 on the CPU.
    """
    H, k = hidden_size, weight_scale / hidden_size**0.5
    weight_ih = _uniform((4 * H, input_size), k, generator)  # (4H, I)
    weight_hh = _uniform((4 * H, H), k, generator)  # (4H, H)
    bias = _uniform((4 * H,), k, generator)  # (4H,)
    bias[gate_slice("f", H)] += forget_bias
    return from_torch_layout(weight_ih, weight_hh, bias, None)


# ---------------------------------------------------------------------------- measuring


def _resolve(device: torch.device | str | None, dtype: torch.dtype | None) -> tuple[torch.device, torch.dtype]:
    device = get_device(device)
    if dtype is None:
        dtype = torch.float32 if device.type == "mps" else torch.float64  # MPS has no float64
    return device, dtype


def _check_experiment(T: int, hidden_size: int, input_size: int, batch_size: int, seeds: Sequence[int]) -> None:
    for name, value in (("T", T), ("hidden_size", hidden_size), ("input_size", input_size),
                        ("batch_size", batch_size)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"`{name}` must be a positive int, got {value!r}.")
    if len(seeds) == 0:
        raise ValueError("`seeds` is empty; pass at least one seed, e.g. seeds=(0, 1, 2).")


def _inputs_and_readout(
    T: int, batch_size: int, input_size: int, hidden_size: int, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.randn((T, batch_size, input_size), generator=generator, dtype=torch.float64)  # (T, B, I)
    u = torch.randn((hidden_size,), generator=generator, dtype=torch.float64)  # (H,)
    return x, u / u.norm()


def rnn_gradient_norms(
    T: int = 50,
    hidden_size: int = 32,
    input_size: int = 8,
    weight_scale: float = 1.0,
    seeds: Sequence[int] = DEFAULT_SEEDS,
    *,
    batch_size: int = 16,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> np.ndarray:
    """:math:`\\lVert \\partial L / \\partial h_t \\rVert` for steps :math:`t = 1 \\ldots T` in a vanilla RNN, ``(T,)``.

    Index ``t - 1`` is step :math:`t`. :math:`L = u^\\top h_T` with a unit vector :math:`u`, so the last
    entry is 1. Each entry is the mean over ``batch_size`` sequences and over ``seeds``.
    """
    _check_experiment(T, hidden_size, input_size, batch_size, seeds)
    device, dtype = _resolve(device, dtype)
    total = np.zeros(T)
    for seed in seeds:
        gen = torch.Generator().manual_seed(seed)
        weights = RNNWeights(*(w.to(device, dtype) for w in rnn_weights(hidden_size, input_size, weight_scale,
                                                                        generator=gen)))
        x, u = (t.to(device, dtype) for t in _inputs_and_readout(T, batch_size, input_size, hidden_size, gen))
        h_t = torch.zeros(batch_size, hidden_size, device=device, dtype=dtype, requires_grad=True)  # (B, H)
        hs = []
        for t in range(T):
            h_t = rnn_step(x[t], h_t, weights)  # (B, H)
            h_t.retain_grad()
            hs.append(h_t)
        (h_t @ u).sum().backward()  # L = Σ_batch u·h_T
        total += torch.stack([h.grad.norm(dim=-1).mean() for h in hs]).detach().cpu().numpy()
    return total / len(seeds)


def lstm_gradient_norms(
    T: int = 50,
    hidden_size: int = 32,
    input_size: int = 8,
    weight_scale: float = 1.0,
    seeds: Sequence[int] = DEFAULT_SEEDS,
    *,
    forget_bias: float = 1.0,
    batch_size: int = 16,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> LSTMGradientNorms:
    """Per-step gradient norms in an LSTM: :math:`\\lVert \\partial L/\\partial h_t \\rVert`, :math:`t = 1 \\ldots T`.

    Also :math:`\\lVert \\partial L/\\partial c_t \\rVert` (field ``c``); index ``t - 1`` is step :math:`t`.

    Same loss and averaging as :func:`rnn_gradient_norms`; ``forget_bias`` is added to :math:`b_f`
    (0: ``nn.LSTM``'s draw, :math:`\\mathcal U(-1/\\sqrt H, 1/\\sqrt H)` for each of its two bias vectors,
    0 only on average; 1 is the common recommendation). Returns :class:`LSTMGradientNorms`, three
    ``(T,)`` arrays, including the mean cell-path product :math:`\\prod_{j=t+1}^{T} f_j`.
    """
    _check_experiment(T, hidden_size, input_size, batch_size, seeds)
    device, dtype = _resolve(device, dtype)
    h_total, c_total, path_total = np.zeros(T), np.zeros(T), np.zeros(T)
    for seed in seeds:
        gen = torch.Generator().manual_seed(seed)
        cpu_weights = lstm_weights(hidden_size, input_size, weight_scale, forget_bias, generator=gen)
        weights = CellWeights(*(w.to(device, dtype) for w in cpu_weights))
        x, u = (t.to(device, dtype) for t in _inputs_and_readout(T, batch_size, input_size, hidden_size, gen))
        h_t = torch.zeros(batch_size, hidden_size, device=device, dtype=dtype, requires_grad=True)  # (B, H)
        c_t = torch.zeros_like(h_t)  # (B, H)
        hs, cs, fs = [], [], []
        for t in range(T):
            h_t, c_t, gates = lstm_step(x[t], h_t, c_t, weights, return_gates=True)  # (B, H), (B, H)
            h_t.retain_grad()
            c_t.retain_grad()
            hs.append(h_t)
            cs.append(c_t)
            fs.append(gates.f_t.detach())
        (h_t @ u).sum().backward()  # L = Σ_batch u·h_T
        h_total += torch.stack([h.grad.norm(dim=-1).mean() for h in hs]).cpu().numpy()
        c_total += torch.stack([c.grad.norm(dim=-1).mean() for c in cs]).cpu().numpy()
        path = forget_path_product(torch.stack(fs))  # (T, B, H)
        path_total += path.reshape(T, -1).mean(axis=1)
    n = len(seeds)
    return LSTMGradientNorms(h_total / n, c_total / n, path_total / n)


def forget_path_product(f_t: torch.Tensor | np.ndarray) -> np.ndarray:
    """The cell path's factor from the last step back to step :math:`t`: :math:`P_t = \\prod_{j=t+1}^{T} f_j`.

    The product runs over the forget gates of steps :math:`t+1, \\ldots, T` (element-wise).
    :math:`\\partial c_T / \\partial c_t` along the cell path is :math:`\\operatorname{diag}(P_t)`.
    Shapes: ``f_t (T, H)`` or ``(T, B, H)``, forget-gate activations in [0, 1], row ``t - 1`` = step
    :math:`t` -> the same shape, row ``t - 1`` = :math:`P_t`; the last row is 1 (the empty product, :math:`P_T`).
    """
    if isinstance(f_t, torch.Tensor):
        f_t = f_t.detach().cpu().numpy()
    f = np.asarray(f_t, dtype=np.float64)
    if f.ndim not in (2, 3) or f.shape[0] == 0:
        raise ValueError(f"`f_t` must have shape (T, H) or (T, B, H) with T >= 1, got {f.shape}.")
    if not np.all((f >= 0) & (f <= 1)):
        raise ValueError("`f_t` holds values outside [0, 1]; pass forget-gate activations (after the sigmoid).")
    # P_t = f_{t+1} · P_{t+1}, P_T = 1: a reversed cumulative product, shifted by one step
    shifted = np.concatenate([f[1:], np.ones_like(f[:1])])  # (T, …) f_{k+1}, then 1
    return np.cumprod(shifted[::-1], axis=0)[::-1].copy()


def gradient_ratio_at(norms: np.ndarray, steps_back: int | None = None) -> float:
    """How much of the last step's gradient is left ``steps_back`` steps earlier: ``norms[-1-steps_back] / norms[-1]``.

    Step :math:`T - k` for ``steps_back`` :math:`= k`; ``steps_back=None`` means the first step,
    :math:`t = 1`: ``norms[0] / norms[-1]``. ``norms`` is a ``(T,)`` array (index ``t - 1`` = step
    :math:`t`) from :func:`rnn_gradient_norms` or a field of :class:`LSTMGradientNorms`.
    """
    norms = np.asarray(norms, dtype=np.float64)
    if norms.ndim != 1 or norms.size == 0:
        raise ValueError(f"`norms` must be a non-empty (T,) array, got shape {norms.shape}.")
    T = norms.size
    k = 0 if steps_back is None else T - 1 - steps_back
    if not 0 <= k < T:
        raise ValueError(f"`steps_back` must be at least 0 and below T = {T}, got {steps_back}.")
    return float(norms[k] / norms[-1])


# ---------------------------------------------------------------------------- sweeps

Kind = Literal["rnn", "lstm"]


def _norms(kind: Kind, T: int, weight_scale: float, forget_bias: float, **kwargs) -> np.ndarray:
    if kind == "rnn":
        return rnn_gradient_norms(T, weight_scale=weight_scale, **kwargs)
    if kind == "lstm":
        return lstm_gradient_norms(T, weight_scale=weight_scale, forget_bias=forget_bias, **kwargs).h
    raise ValueError(f"`kind` must be 'rnn' or 'lstm', got {kind!r}.")


def sweep_weight_scale(
    scales: Sequence[float], *, kind: Kind = "rnn", T: int = 50, forget_bias: float = 1.0, **kwargs
) -> np.ndarray:
    """:math:`\\lVert \\partial L/\\partial h_k \\rVert` for each weight scale, ``(len(scales), T)``.

    ``kwargs`` go to :func:`rnn_gradient_norms` / :func:`lstm_gradient_norms` (``seeds``, ``device``, …).
    """
    return np.stack([_norms(kind, T, s, forget_bias, **kwargs) for s in scales])


def sweep_forget_bias(
    biases: Sequence[float], *, T: int = 50, weight_scale: float = 1.0, state: Literal["h", "c"] = "h", **kwargs
) -> np.ndarray:
    """LSTM :math:`\\lVert \\partial L/\\partial h_k \\rVert` per forget bias, ``(len(biases), T)``.

    ``state="c"`` gives :math:`\\lVert \\partial L/\\partial c_k \\rVert` instead.
    """
    if state not in ("h", "c"):
        raise ValueError(f"`state` must be 'h' or 'c', got {state!r}.")
    rows = [getattr(lstm_gradient_norms(T, weight_scale=weight_scale, forget_bias=fb, **kwargs), state)
            for fb in biases]
    return np.stack(rows)


def sweep_length(
    lengths: Sequence[int], *, kind: Kind = "rnn", weight_scale: float = 1.0, forget_bias: float = 1.0, **kwargs
) -> np.ndarray:
    """The gradient left at the first step, :func:`gradient_ratio_at` ``(norms)``, per ``T``: ``(len(lengths),)``."""
    return np.array([gradient_ratio_at(_norms(kind, T, weight_scale, forget_bias, **kwargs)) for T in lengths])
