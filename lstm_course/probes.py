"""Instruments that look inside a recurrent network without using its own read-out.

Time steps are numbered :math:`t = 1 \\ldots T`; :math:`h_0, c_0` is the initial state. A
``(T, B, H)`` array holds step :math:`t` at index ``t - 1``.

* **Linear probes** (:func:`fit_probe`, :func:`probe_accuracy_over_time`): at each step :math:`t`, a
  linear classifier is fitted to predict a label (here the first symbol) from :math:`h_t` (or
  :math:`c_t`) on one set of sequences and scored on *another* set. Each probe is a multinomial
  logistic regression on standardised features :math:`\\tilde x` (plus a constant 1),
  :math:`\\hat y = \\arg\\max_k (\\tilde x^\\top W)_k`, fitted by full-batch L-BFGS from
  :math:`W = 0` with a small L2 penalty: no randomness, the same data give the same probe.
  Accuracy well above chance on held-out sequences means the label is *linearly decodable* from
  the state at that step; it does not say the network uses it.
* **Surviving first write** (:func:`write_contributions`, :func:`surviving_first_write_share`): with
  :math:`c_0 = 0`, unrolling :math:`c_t = f_t \\odot c_{t-1} + i_t \\odot \\tilde c_t` gives

  .. math::
      c_T = \\sum_{s=1}^{T} \\Big(\\prod_{j=s+1}^{T} f_j\\Big) \\odot i_s \\odot \\tilde c_s ,

  where the product runs over the forget gates of steps :math:`s+1, s+2, \\ldots, T` (element-wise,
  so their order does not change the value; an empty product is 1). The :math:`s = 1` term is what
  is left at the end of the first write; its share of :math:`|c_T|` is
  :math:`\\lVert (\\prod_{j=2}^{T} f_j) \\odot i_1 \\odot \\tilde c_1 \\rVert_1 / \\lVert c_T \\rVert_1`.
  :func:`first_write_remainder` follows that term over time,
  :math:`(\\prod_{j=2}^{t} f_j) \\odot i_1 \\odot \\tilde c_1` for :math:`t = 1 \\ldots T`.
* **How much of a state the label explains** (:func:`label_variance_share`): the share of the state's
  variance across sequences that lies between the classes' means (the correlation ratio
  :math:`\\eta^2`, summed over units). Near 1: the state is a function of the label; near 0: of the rest.
* **Gates over time** (:func:`gates_over_time`): each gate averaged over sequences and units, ``(T,)``.
* **All of them on one model** (:func:`measure_memory`), so that a trained model and its untrained start
  (the same initial weights, :func:`lstm_course.tasks.build_model`) are measured the same way. Every
  measurement of a trained model needs that baseline: an LSTM with a large forget-gate bias already keeps
  the first symbol decodable for many steps before any training, and :math:`h_1` depends on :math:`x_1`
  alone, so a probe reads the symbol at :math:`t = 1` from any network that does not discard its input.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

__all__ = [
    "LinearProbe",
    "first_write_remainder",
    "fit_probe",
    "gates_over_time",
    "label_variance_share",
    "measure_memory",
    "MemoryMeasurement",
    "probe_accuracy_over_time",
    "surviving_first_write_share",
    "write_contributions",
]


def _as_array(name: str, value: Any, ndim: int | tuple[int, ...]) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim not in ((ndim,) if isinstance(ndim, int) else ndim):
        raise ValueError(f"`{name}` must have {ndim} dimensions, got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"`{name}` contains NaN or inf; check the states you passed.")
    return arr


def _as_labels(name: str, value: Any, n: int) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    y = np.asarray(value)
    if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"`{name}` must be integer class labels of shape ({n},), got {y.dtype} {y.shape}.")
    if y.size and y.min() < 0:
        raise ValueError(f"`{name}` must hold labels >= 0, got {int(y.min())}.")
    return y.astype(np.int64)


@dataclass(frozen=True)
class LinearProbe:
    """A fitted linear probe: standardise with ``mean``, ``scale (D,)``, append 1, multiply by ``weights (D+1, K)``."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray

    def predict(self, features: Any) -> np.ndarray:
        """Class predictions ``(N,)`` for ``features (N, D)``."""
        X = _as_array("features", features, 2)  # (N, D)
        D = self.mean.shape[0]
        if X.shape[1] != D:
            raise ValueError(f"`features` must have D = {D} columns (as in fitting), got {X.shape[1]}.")
        Z = np.concatenate([(X - self.mean) / self.scale, np.ones((X.shape[0], 1))], axis=1)  # (N, D+1)
        return (Z @ self.weights).argmax(axis=1)  # (N,)

    def accuracy(self, features: Any, labels: Any) -> float:
        """Fraction of ``labels (N,)`` predicted correctly from ``features (N, D)``."""
        X = _as_array("features", features, 2)
        y = _as_labels("labels", labels, X.shape[0])
        return float((self.predict(X) == y).mean())


def fit_probe(features: Any, labels: Any, num_classes: int | None = None, *, ridge: float = 1e-3) -> LinearProbe:
    """Fit a :class:`LinearProbe` (multinomial logistic regression) to ``features (N, D)`` and ``labels (N,)``.

    Minimises :math:`\\frac1N \\sum_n -\\log \\operatorname{softmax}(\\tilde x_n^\\top W)_{y_n}
    + \\frac{\\lambda}{2} \\lVert W_{1:D} \\rVert^2` (:math:`\\lambda` = ``ridge``; the bias row is
    not penalised) over standardised features, by full-batch L-BFGS in float64 from :math:`W = 0`:
    no randomness, the same data give the same probe. ``num_classes`` defaults to ``labels.max() + 1``.
    Features that are constant on the fitting set get scale 1 (they stay 0 after centring).
    """
    X = _as_array("features", features, 2)  # (N, D)
    N, D = X.shape
    y = _as_labels("labels", labels, N)
    if N < 2:
        raise ValueError(f"`features` must hold at least 2 examples to fit a probe, got {N}.")
    if ridge <= 0:
        raise ValueError(f"`ridge` must be positive (it keeps the fit well-posed), got {ridge!r}.")
    K = int(y.max()) + 1 if num_classes is None else num_classes
    if K < 2 or y.max() >= K:
        raise ValueError(f"`num_classes` must be at least 2 and above every label, got {num_classes!r}.")
    mean = X.mean(axis=0)  # (D,)
    scale = X.std(axis=0)  # (D,)
    scale = np.where(scale > 1e-12, scale, 1.0)
    Z = torch.from_numpy(np.concatenate([(X - mean) / scale, np.ones((N, 1))], axis=1))  # (N, D+1)
    target = torch.from_numpy(y)  # (N,)
    W = torch.zeros(D + 1, K, dtype=torch.float64, requires_grad=True)  # (D+1, K), last row the bias
    optimizer = torch.optim.LBFGS([W], lr=1.0, max_iter=_PROBE_ITERATIONS, tolerance_grad=1e-9,
                                  tolerance_change=1e-12, history_size=20, line_search_fn="strong_wolfe")

    def loss() -> torch.Tensor:
        optimizer.zero_grad()
        value = torch.nn.functional.cross_entropy(Z @ W, target) + 0.5 * ridge * W[:D].pow(2).sum()
        value.backward()
        return value

    with torch.enable_grad():
        optimizer.step(loss)
    return LinearProbe(mean, scale, W.detach().numpy())


#: L-BFGS iterations per probe; the course's probes (≤ 33 features, ≤ 4 classes) converge well within.
_PROBE_ITERATIONS = 200


def probe_accuracy_over_time(
    fit_states: Any,
    fit_labels: Any,
    test_states: Any,
    test_labels: Any,
    steps: Sequence[int] | None = None,
    *,
    num_classes: int | None = None,
    ridge: float = 1e-3,
) -> np.ndarray:
    """Held-out accuracy of one probe per step: fitted on ``fit_states``, scored on ``test_states``.

    ``fit_states (T, N, H)`` and ``test_states (T, M, H)`` hold a state (:math:`h_t` or :math:`c_t`) for
    every step; ``fit_labels (N,)``, ``test_labels (M,)``. ``steps`` are book steps in ``1 … T``
    (default: all). Returns ``(len(steps),)`` accuracies in [0, 1]; entry ``n`` is step ``steps[n]``.
    The two sets must be different sequences, or the score measures memorisation, not decoding.
    """
    fit = _as_array("fit_states", fit_states, 3)  # (T, N, H)
    test = _as_array("test_states", test_states, 3)  # (T, M, H)
    T = fit.shape[0]
    if test.shape[0] != T or test.shape[2] != fit.shape[2]:
        raise ValueError(f"`test_states` must have shape (T={T}, M, H={fit.shape[2]}) like `fit_states`, "
                         f"got {test.shape}.")
    steps = list(range(1, T + 1)) if steps is None else list(steps)
    for t in steps:
        if not isinstance(t, (int, np.integer)) or not 1 <= t <= T:
            raise ValueError(f"`steps` must be book steps in 1 … {T} (t = 1 is the first step), got {t!r}.")
    y_fit = _as_labels("fit_labels", fit_labels, fit.shape[1])
    y_test = _as_labels("test_labels", test_labels, test.shape[1])
    K = int(max(y_fit.max(), y_test.max())) + 1 if num_classes is None else num_classes
    return np.array([fit_probe(fit[t - 1], y_fit, K, ridge=ridge).accuracy(test[t - 1], y_test) for t in steps])


def write_contributions(f_t: Any, i_t: Any, c_tilde: Any) -> np.ndarray:
    """What each step's write contributes to the last cell state: ``(T, …)``, entry ``s - 1`` for step ``s``.

    :math:`w_s = \\big(\\prod_{j=s+1}^{T} f_j\\big) \\odot i_s \\odot \\tilde c_s` (forget gates of steps
    :math:`s+1, \\ldots, T`; empty product 1 for :math:`s = T`). With :math:`c_0 = 0` they sum to
    :math:`c_T`; otherwise :math:`c_T` also holds :math:`(\\prod_{j=1}^{T} f_j) \\odot c_0`.
    Shapes: ``f_t, i_t, c_tilde`` each ``(T, H)`` or ``(T, B, H)``, as :class:`~lstm_course.layer.LSTM`
    returns them with ``return_gates=True``.
    """
    f = _as_array("f_t", f_t, (2, 3))
    if f.shape[0] == 0:
        raise ValueError(f"`f_t` must have shape (T, H) or (T, B, H), got {f.shape}.")
    i = _as_array("i_t", i_t, f.ndim)
    g = _as_array("c_tilde", c_tilde, f.ndim)
    if i.shape != f.shape or g.shape != f.shape:
        raise ValueError(f"`f_t`, `i_t` and `c_tilde` must share one shape, got {f.shape}, {i.shape}, {g.shape}.")
    # kept[s-1] = ∏_{j=s+1}^{T} f_j: a reversed cumulative product of f_{s+1}, …, f_T, then 1 for s = T
    later = np.concatenate([f[1:], np.ones_like(f[:1])])  # (T, …) f_{s+1}, last row 1
    kept = np.cumprod(later[::-1], axis=0)[::-1]  # (T, …)
    return kept * i * g  # (T, …) w_s


def first_write_remainder(f_t: Any, i_t: Any, c_tilde: Any) -> np.ndarray:
    """What is left of the first step's write at every step: ``(T, …)``, entry ``t - 1`` for step ``t``.

    :math:`r_t = \\big(\\prod_{j=2}^{t} f_j\\big) \\odot i_1 \\odot \\tilde c_1` (forget gates of steps
    :math:`2, \\ldots, t`, element-wise; :math:`r_1 = i_1 \\odot \\tilde c_1`). The last entry is the first
    row of :func:`write_contributions`. Shapes as there: ``(T, H)`` or ``(T, B, H)`` each.
    """
    f = _as_array("f_t", f_t, (2, 3))
    i = _as_array("i_t", i_t, f.ndim)
    g = _as_array("c_tilde", c_tilde, f.ndim)
    if i.shape != f.shape or g.shape != f.shape:
        raise ValueError(f"`f_t`, `i_t` and `c_tilde` must share one shape, got {f.shape}, {i.shape}, {g.shape}.")
    kept = np.cumprod(np.concatenate([np.ones_like(f[:1]), f[1:]]), axis=0)  # (T, …) 1, f_2, f_2 f_3, …
    return kept * (i[0] * g[0])  # (T, …)


def label_variance_share(features: Any, labels: Any) -> float:
    """Share of the variance of ``features (N, D)`` across examples explained by ``labels (N,)``.

    :math:`\\eta^2 = \\sum_k N_k \\lVert \\bar x_k - \\bar x \\rVert^2 / \\sum_n \\lVert x_n - \\bar x \\rVert^2`
    (between-class over total sum of squares, all units together), in [0, 1]. 1: every example of a
    class has the same state; about :math:`(K-1)/N` for states unrelated to the label.
    """
    X = _as_array("features", features, 2)  # (N, D)
    y = _as_labels("labels", labels, X.shape[0])
    centred = X - X.mean(axis=0)  # (N, D)
    total = float((centred**2).sum())
    if total == 0:
        raise ValueError("`features` are the same for every example; their variance is 0, so no share exists.")
    between = sum(float((centred[y == k].mean(axis=0) ** 2).sum()) * int((y == k).sum()) for k in np.unique(y))
    return between / total


def surviving_first_write_share(f_t: Any, i_t: Any, c_tilde: Any, c_t: Any) -> np.ndarray:
    """Share of :math:`|c_T|` that is the first step's write surviving to the end, per sequence.

    :math:`\\lVert (\\prod_{j=2}^{T} f_j) \\odot i_1 \\odot \\tilde c_1 \\rVert_1 / \\lVert c_T \\rVert_1`
    (sum over units). ``f_t, i_t, c_tilde, c_t`` are ``(T, B, H)`` (or ``(T, H)`` for one sequence);
    returns ``(B,)`` (or a 0-d array). About 1 when the network writes once and holds; small when
    :math:`c_T` is mostly later writes.
    """
    first = write_contributions(f_t, i_t, c_tilde)[0]  # (…, H)
    c = _as_array("c_t", c_t, first.ndim + 1)  # (T, …, H)
    if c.shape[1:] != first.shape:
        raise ValueError(f"`c_t` must have the gates' shape (T, …, H) = {(c.shape[0],) + first.shape}, got {c.shape}.")
    total = np.abs(c[-1]).sum(axis=-1)  # (…,) ‖c_T‖_1
    if np.any(total == 0):
        raise ValueError("`c_t` is 0 at the last step for some sequence; the share is undefined there.")
    return np.abs(first).sum(axis=-1) / total


_SIGNED = ("c_tilde", "c_t", "h_t")


def gates_over_time(
    gates: Mapping[str, Any] | Any, names: Sequence[str] = ("f_t", "i_t", "o_t")
) -> dict[str, np.ndarray]:
    """Each named value averaged over sequences and units, per step: ``{name: (T,)}``, entry ``t - 1`` is step ``t``.

    ``gates``: a dict of ``(T, B, H)`` arrays or a :class:`~lstm_course.layer.SequenceGates`. The gates
    (``f_t, i_t, o_t``, in (0, 1)) are averaged as they are; the signed values ``c_tilde, c_t, h_t`` by
    magnitude, e.g. ``c_t`` gives the mean :math:`|c_t|` (a signed mean would cancel).
    """
    get = gates.__getitem__ if isinstance(gates, Mapping) else lambda k: getattr(gates, k)
    out = {}
    for name in names:
        try:
            value = get(name)
        except (KeyError, AttributeError):
            raise ValueError(f"`gates` has no {name!r}; pass names from f_t, i_t, c_tilde, o_t, c_t, h_t.") from None
        arr = _as_array(f"gates[{name!r}]", value, 3)  # (T, B, H)
        out[name] = (np.abs(arr) if name in _SIGNED else arr).mean(axis=(1, 2))  # (T,)
    return out


@dataclass(frozen=True)
class MemoryMeasurement:
    """What :func:`measure_memory` measures on one model; accuracies in [0, 1], entry ``n`` is step ``steps[n]``.

    ``probe_h, probe_c, probe_w``: held-out probe accuracy from :math:`h_t`, :math:`c_t` and the write
    :math:`i_t \\odot \\tilde c_t`, ``(len(steps),)``; ``readout``: the network's own read-out applied to
    every :math:`h_t`, ``(T,)``; ``share``: the surviving first write's share of :math:`|c_T|` per test
    sequence, ``(M,)``; ``kept``: :math:`\\prod_{j=2}^{T} f_j` averaged over sequences and units;
    ``i_dist, f_dist``: the input and forget gates averaged over the distractors (steps 2 to :math:`T`);
    ``explained``: :func:`label_variance_share` of :math:`c_T`; ``over_time``: :func:`gates_over_time` of
    ``f_t, i_t, o_t, c_t``, each ``(T,)``; ``gates``: the test sequences' gates, each ``(T, M, H)``.
    """

    steps: tuple[int, ...]
    probe_h: np.ndarray
    probe_c: np.ndarray
    probe_w: np.ndarray
    readout: np.ndarray
    share: np.ndarray
    kept: float
    i_dist: float
    f_dist: float
    explained: float
    over_time: dict[str, np.ndarray]
    gates: Any


def measure_memory(model: Any, fit_x: torch.Tensor, fit_y: torch.Tensor, test_x: torch.Tensor,
                   test_y: torch.Tensor, steps: Sequence[int]) -> MemoryMeasurement:
    """Every instrument of this module on ``model``, a :class:`~lstm_course.tasks.SequenceClassifier` LSTM.

    ``fit_x (T, N, I), fit_y (N,)``: the sequences the probes are fitted on; ``test_x (T, M, I), test_y (M,)``:
    other sequences they are scored on (and every other statistic is measured on). ``steps``: book steps
    ``1 … T`` for the probes. Runs without gradients; the model is not changed.
    """
    recurrent = getattr(model, "recurrent", None)
    if recurrent is None or not hasattr(model, "readout"):
        raise ValueError("`model` must be a tasks.SequenceClassifier (with .recurrent and .readout), "
                         f"got {type(model).__name__}; build one with tasks.build_model('lstm', config).")
    with torch.no_grad():
        _, _, fit_g = recurrent(fit_x, return_gates=True)  # SequenceGates, each (T, N, H)
        _, _, test_g = recurrent(test_x, return_gates=True)  # each (T, M, H)
        readout = np.array([(model.readout(h_t).argmax(-1) == test_y).float().mean().item()
                            for h_t in test_g.h_t])  # (T,)
    steps = tuple(int(t) for t in steps)
    return MemoryMeasurement(
        steps=steps,
        probe_h=probe_accuracy_over_time(fit_g.h_t, fit_y, test_g.h_t, test_y, steps),
        probe_c=probe_accuracy_over_time(fit_g.c_t, fit_y, test_g.c_t, test_y, steps),
        probe_w=probe_accuracy_over_time(fit_g.i_t * fit_g.c_tilde, fit_y, test_g.i_t * test_g.c_tilde, test_y,
                                         steps),
        readout=readout,
        share=surviving_first_write_share(test_g.f_t, test_g.i_t, test_g.c_tilde, test_g.c_t),
        kept=float(test_g.f_t[1:].prod(dim=0).mean()),
        i_dist=float(test_g.i_t[1:].mean()),
        f_dist=float(test_g.f_t[1:].mean()),
        explained=label_variance_share(test_g.c_t[-1], test_y),
        over_time=gates_over_time(test_g, ("f_t", "i_t", "o_t", "c_t")),
        gates=test_g,
    )
