r"""Which units of the reader track which property of the code: single units against ground truth, linear probes
on all units, each beside the same measurement on the untrained network (same initialisation).

The data are the states after every character of held-out files, :math:`c_t, h_t \in \mathbb{R}^{H}`
(``Reader.trace``), and the ground truth of :func:`lstm_course.reader.labels.char_labels`, one value per
character. For a property :math:`y` (``in_string``, ``in_comment`` as 0/1; ``bracket_depth``,
``indent_level``, ``column`` as integers) and unit :math:`j`:

* **Best single unit**: Pearson's correlation over all held-out characters,
  :math:`r_j = \operatorname{cov}(s_{\cdot j}, y) / (\sigma_{s_j} \sigma_y)` with :math:`s = c` or
  :math:`h`; the best unit is :math:`\arg\max_j |r_j|` (a unit that never moves has :math:`r_j = 0`).
* **Linear probe on all units**: ridge regression :math:`\hat y = w^\top \tilde s + b` on standardised states
  :math:`\tilde s`, :math:`w = (\tilde S^\top \tilde S + \lambda N I)^{-1} \tilde S^\top (y - \bar y)` with
  :math:`\lambda = 10^{-3}`, fitted on the first half of the held-out files and scored on the other half:
  :math:`R^2 = 1 - \sum (y - \hat y)^2 / \sum (y - \bar y)^2` (with the scoring half's mean), and for a
  boolean property also the balanced accuracy of :math:`\hat y \ge \theta` (the mean of the true-positive and
  true-negative rates; 0.5 is chance however rare the property is), with the threshold :math:`\theta` chosen
  on the fitting half (the one with the best balanced accuracy there: a rare property such as ``in_comment``
  rarely pushes a least-squares fit above 0.5).

A **clean tracker** is one unit that carries the property: :math:`|r| \ge 0.7` for the best unit, and its
:math:`r^2` at least half of the probe's :math:`R^2`; with :math:`0.5 \le |r| < 0.7` and the same condition the
verdict is **one unit** (the unit holds what a linear read-out finds, but that is only part of the property).
A **spread** property is decodable by the probe (:math:`R^2 \ge 0.4`) while the best unit explains less than
half of that. Both verdicts are read against the
untrained network, whose units already correlate with some properties (a unit that integrates its input
grows with ``column`` without any training).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .labels import char_labels

__all__ = [
    "PROPERTIES",
    "HeldOut",
    "best_units",
    "collect",
    "fit_ridge_probe",
    "pearson_by_unit",
    "probe_scores",
    "tracker_table",
    "verdict",
]

#: The properties of point 1 of the chapter, and whether each is a boolean.
PROPERTIES: dict[str, bool] = {
    "in_string": True, "in_comment": True, "bracket_depth": False, "indent_level": False, "column": False,
}
RIDGE = 1e-3
CLEAN_R = 0.7
ONE_UNIT_R = 0.5
SPREAD_R2 = 0.4


@dataclass
class HeldOut:
    """The traces and labels of several files, concatenated along characters.

    ``states[name]`` is ``(N, H)`` float64 for each traced quantity (``"c_t"``, ``"h_t"``, ``"f_t"``...),
    ``labels[name]`` ``(N,)``; ``file_index (N,)`` says which file each character came from.
    """

    states: dict[str, np.ndarray]
    labels: dict[str, np.ndarray]
    file_index: np.ndarray

    @property
    def n_files(self) -> int:
        return int(self.file_index.max()) + 1 if self.file_index.size else 0


def _to_numpy(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float64)


def collect(trace: Callable[[str], Mapping[str, Any]], texts: Sequence[str],
            quantities: Sequence[str] = ("c_t", "h_t", "f_t", "i_t", "o_t")) -> HeldOut:
    """Run ``trace`` (for example ``Reader.trace``) on each text and label every character.

    ``trace(text)`` must return ``{quantity: (len(text), H)}``; each text must be Python that
    :func:`~lstm_course.reader.labels.char_labels` can read.
    """
    if isinstance(texts, str) or not texts:
        raise ValueError("`texts` must be a non-empty list of str (for example the held-out files' texts).")
    states: dict[str, list[np.ndarray]] = {q: [] for q in quantities}
    labels: dict[str, list[np.ndarray]] = {}
    index = []
    for k, text in enumerate(texts):
        out = trace(text)
        for q in quantities:
            if q not in out:
                raise KeyError(f"`trace` returned no {q!r} (it has {sorted(out)}); pass quantities= that it has.")
            arr = _to_numpy(out[q])
            if arr.ndim != 2 or arr.shape[0] != len(text):
                raise ValueError(f"trace(text)[{q!r}] must be (len(text), H) = ({len(text)}, H); got {arr.shape}.")
            states[q].append(arr)
        for name, values in char_labels(text).items():
            labels.setdefault(name, []).append(np.asarray(values))
        index.append(np.full(len(text), k, dtype=np.int64))
    return HeldOut({q: np.concatenate(v) for q, v in states.items()},
                   {n: np.concatenate(v) for n, v in labels.items()}, np.concatenate(index))


def pearson_by_unit(states: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson's :math:`r` of every column of ``states (N, H)`` with ``y (N,)``: ``(H,)``.

    A constant column (or a constant ``y``) gives 0, not NaN.
    """
    S = np.asarray(states, dtype=np.float64)
    t = np.asarray(y, dtype=np.float64)
    if S.ndim != 2 or t.shape != (S.shape[0],):
        raise ValueError(f"`states` must be (N, H) and `y` (N,); got {S.shape} and {t.shape}.")
    Sc = S - S.mean(axis=0)
    tc = t - t.mean()
    num = Sc.T @ tc  # (H,)
    den = np.sqrt((Sc ** 2).sum(axis=0) * (tc ** 2).sum())
    return np.divide(num, den, out=np.zeros_like(num), where=den > 1e-12)


def best_units(data: HeldOut, quantity: str, properties: Sequence[str] = tuple(PROPERTIES)) -> dict[str, dict]:
    """Per property, the unit of ``quantity`` with the largest :math:`|r|`:
    ``{prop: {"unit", "r", "abs_r", "n_above_0.5"}}`` (the last: how many units have :math:`|r| \\ge 0.5`)."""
    out = {}
    for prop in properties:
        r = pearson_by_unit(data.states[quantity], data.labels[prop])
        j = int(np.argmax(np.abs(r)))
        out[prop] = {"unit": j, "r": float(r[j]), "abs_r": float(abs(r[j])),
                     "n_above_0.5": int(np.count_nonzero(np.abs(r) >= 0.5))}
    return out


@dataclass(frozen=True)
class RidgeProbe:
    """A fitted probe: :math:`\\hat y = ((s - \\mu) / \\sigma)^\\top w + b`."""

    mean: np.ndarray
    scale: np.ndarray
    w: np.ndarray
    b: float

    def predict(self, states: np.ndarray) -> np.ndarray:
        return ((np.asarray(states, dtype=np.float64) - self.mean) / self.scale) @ self.w + self.b


def fit_ridge_probe(states: np.ndarray, y: np.ndarray, ridge: float = RIDGE) -> RidgeProbe:
    """Ridge regression on standardised ``states (N, H)`` for ``y (N,)`` (see the module docstring)."""
    S = np.asarray(states, dtype=np.float64)
    t = np.asarray(y, dtype=np.float64)
    if S.ndim != 2 or t.shape != (S.shape[0],) or S.shape[0] < 2:
        raise ValueError(f"`states` must be (N, H) with N >= 2 and `y` (N,); got {S.shape} and {t.shape}.")
    mean = S.mean(axis=0)
    scale = S.std(axis=0)
    scale = np.where(scale > 1e-12, scale, 1.0)  # a unit that never moves contributes nothing
    Z = (S - mean) / scale
    A = Z.T @ Z + ridge * S.shape[0] * np.eye(S.shape[1])
    w = np.linalg.solve(A, Z.T @ (t - t.mean()))
    return RidgeProbe(mean, scale, w, float(t.mean()))


def _r2(y: np.ndarray, pred: np.ndarray) -> float:
    ss = float(((y - y.mean()) ** 2).sum())
    return 1.0 - float(((y - pred) ** 2).sum()) / ss if ss > 0 else 0.0


def _balanced_accuracy(y: np.ndarray, pred: np.ndarray, threshold: float = 0.5) -> float:
    """The mean of the true-positive and the true-negative rate of ``pred >= threshold`` against ``y > 0.5``."""
    pos, hit = y > 0.5, pred >= threshold
    rates = []
    if pos.any():
        rates.append(float(hit[pos].mean()))
    if (~pos).any():
        rates.append(float((~hit[~pos]).mean()))
    return float(np.mean(rates)) if rates else 0.0


def _best_threshold(y: np.ndarray, pred: np.ndarray) -> float:
    """The threshold (among 99 quantiles of ``pred`` and 0.5) with the best balanced accuracy on these data."""
    candidates = np.unique(np.append(np.quantile(pred, np.linspace(0.01, 0.99, 99)), 0.5))
    scores = [_balanced_accuracy(y, pred, float(t)) for t in candidates]
    return float(candidates[int(np.argmax(scores))])


def probe_scores(data: HeldOut, quantity: str, properties: Sequence[str] = tuple(PROPERTIES),
                 ridge: float = RIDGE) -> dict[str, dict]:
    """Fit a probe per property on the first half of the files (by file) and score it on the rest:
    ``{prop: {"r2", "balanced_accuracy" and "threshold" (booleans only), "n_fit", "n_score"}}``."""
    if data.n_files < 2:
        raise ValueError("The probe needs at least two files: it is fitted on some and scored on the others.")
    fit = data.file_index < (data.n_files + 1) // 2
    S = data.states[quantity]
    out = {}
    for prop in properties:
        y = np.asarray(data.labels[prop], dtype=np.float64)
        probe = fit_ridge_probe(S[fit], y[fit], ridge)
        pred = probe.predict(S[~fit])
        row = {"r2": _r2(y[~fit], pred), "n_fit": int(fit.sum()), "n_score": int((~fit).sum())}
        if PROPERTIES.get(prop, False) or np.asarray(data.labels[prop]).dtype == bool:
            theta = _best_threshold(y[fit], probe.predict(S[fit]))  # chosen on the fitting half
            row["threshold"] = theta
            row["balanced_accuracy"] = _balanced_accuracy(y[~fit], pred, theta)
        out[prop] = row
    return out


def verdict(best_abs_r: float, probe_r2: float) -> str:
    """How a property is held (thresholds of the module docstring):

    ``"clean"``: one unit carries it, :math:`|r| \\ge 0.7` and :math:`r^2 \\ge R^2_{probe} / 2`;
    ``"one unit"``: one unit carries what a linear read-out finds, :math:`0.5 \\le |r| < 0.7`, :math:`r^2 \\ge
    R^2_{probe} / 2`, but it is only partly decodable; ``"spread"``: the probe reads it
    (:math:`R^2_{probe} \\ge 0.4`) and no unit carries half of that; ``"weak"``: none of these.
    """
    if best_abs_r ** 2 >= 0.5 * probe_r2:
        if best_abs_r >= CLEAN_R:
            return "clean"
        if best_abs_r >= ONE_UNIT_R:
            return "one unit"
    elif probe_r2 >= SPREAD_R2:
        return "spread"
    return "weak"


def tracker_table(trained: HeldOut, untrained: HeldOut, properties: Sequence[str] = tuple(PROPERTIES),
                  quantities: Sequence[str] = ("c_t", "h_t")) -> list[dict[str, Any]]:
    """One row per (property, quantity): the best unit and its :math:`r` for the trained and the untrained network,
    the probe's :math:`R^2` (and balanced accuracy) for both, and the :func:`verdict` for the trained one."""
    rows = []
    for q in quantities:
        best_t, best_u = best_units(trained, q, properties), best_units(untrained, q, properties)
        probe_t, probe_u = probe_scores(trained, q, properties), probe_scores(untrained, q, properties)
        for prop in properties:
            row = {"property": prop, "quantity": q,
                   "unit": best_t[prop]["unit"], "r": best_t[prop]["r"], "abs_r": best_t[prop]["abs_r"],
                   "n_units_above_0.5": best_t[prop]["n_above_0.5"],
                   "untrained_unit": best_u[prop]["unit"], "untrained_abs_r": best_u[prop]["abs_r"],
                   "probe_r2": probe_t[prop]["r2"], "untrained_probe_r2": probe_u[prop]["r2"]}
            if "balanced_accuracy" in probe_t[prop]:
                row["probe_balanced_accuracy"] = probe_t[prop]["balanced_accuracy"]
                row["untrained_probe_balanced_accuracy"] = probe_u[prop]["balanced_accuracy"]
            row["verdict"] = verdict(row["abs_r"], row["probe_r2"])
            rows.append(row)
    return rows
