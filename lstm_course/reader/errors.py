r"""Where the reader beats the n-gram: Karpathy, Johnson & Fei-Fei's (2015) error analysis on held-out code.

Every held-out character :math:`x_{t+1}` (all but each file's first) gets two probabilities: the LSTM's
:math:`p_{\text{LSTM}}(x_{t+1} \mid x_{\le t})` and the best n-gram's :math:`p_{n}(x_{t+1} \mid x_{t-n+2..t})`.
A model is *confident-right* on a character when it gives it :math:`p \ge 0.5` (the paper's threshold for an
error is :math:`p < 0.5`). :func:`error_table` groups the characters by kind and reports, per group, the mean
probability and bits per character of both models and how often each is confident-right where the other is not:

- ``close_bracket d`` / ``close_quote d``: a ``)``, ``]`` or ``}`` that closes a bracket (a tokenize ``OP``),
  or the first character of a string's closing quotes, binned by its distance :math:`d` in characters from
  its opening bracket or opening quote (:func:`closing_pairs`);
- ``newline``: ``'\n'``;
- ``indent``: a space before a line's first non-space character;
- ``other``: everything else.
"""

from __future__ import annotations

import io
import tokenize
from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from ..viz._base import FACE, LEGEND_SIZE, set_alt

__all__ = ["DISTANCE_BINS", "categorise", "category_names", "closing_pairs", "error_table", "plot_error_table"]

#: Bins of the distance (in characters) between an opening bracket or quote and the character that closes it.
DISTANCE_BINS: tuple[tuple[int, int | None], ...] = ((1, 10), (10, 40), (40, None))
_OPEN, _CLOSE = "([{", ")]}"
_FSTRING_START: int = getattr(tokenize, "FSTRING_START", -1)  # Python >= 3.12 splits f-strings
_FSTRING_END: int = getattr(tokenize, "FSTRING_END", -1)
_QUOTES = ('"""', "'''", '"', "'")


def _offsets(text: str) -> list[int]:
    starts = [0]
    for k, ch in enumerate(text):
        if ch == "\n":
            starts.append(k + 1)
    return starts


def _string_pair(text: str, a: int, b: int) -> tuple[int, int]:
    """The opening quote and the first closing-quote character of the string literal ``text[a:b]``."""
    body = text[a:b]
    q = len(body) - len(body.lstrip("rRbBuUfF"))  # the prefix's length (r, b, f, rb, ...)
    quote = next(s for s in _QUOTES if body[q:].startswith(s))
    return a + q, b - len(quote)


def closing_pairs(text: str) -> dict[str, list[tuple[int, int]]]:
    """The brackets and string literals of a Python source ``text``, from :mod:`tokenize`.

    Returns ``{"bracket": [(open, close), ...], "quote": [(open, close), ...]}``: character offsets of each
    opening bracket and the bracket that closes it, and of each string's opening quote (after its prefix)
    and the first character of its closing quotes. A text that does not tokenize raises ``ValueError``.
    """
    if not isinstance(text, str):
        raise TypeError(f"`text` must be a str of Python source, got {type(text).__name__}.")
    starts = _offsets(text)
    n = len(text)

    def pos(row: int, col: int) -> int:
        return min(starts[row - 1] + col, n)

    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError) as err:
        raise ValueError(f"`text` is not Python that tokenize can read: {err}") from err
    brackets: list[tuple[int, int]] = []
    quotes: list[tuple[int, int]] = []
    stack: list[int] = []
    fstring: list[int] = []  # 3.12+: start offsets of the open f-strings
    for tok in tokens:
        a, b = pos(*tok.start), pos(*tok.end)
        if tok.type == _FSTRING_START:
            fstring.append(a)
        elif tok.type == _FSTRING_END and fstring:
            start = fstring.pop()
            if not fstring:
                quotes.append(_string_pair(text, start, b))
        elif fstring:
            continue  # the inside of an f-string is part of one string, as on Python 3.11
        elif tok.type == tokenize.STRING:
            quotes.append(_string_pair(text, a, b))
        elif tok.type == tokenize.OP and tok.string in _OPEN:
            stack.append(a)
        elif tok.type == tokenize.OP and tok.string in _CLOSE and stack:
            brackets.append((stack.pop(), a))
    return {"bracket": sorted(brackets), "quote": sorted(quotes)}


def _bin_name(kind: str, d: int) -> str:
    for lo, hi in DISTANCE_BINS:
        if d >= lo and (hi is None or d < hi):
            return f"{kind} {lo}-{hi - 1}" if hi is not None else f"{kind} {lo}+"
    return f"{kind} {d}"


def category_names() -> list[str]:
    """Every category :func:`categorise` can return, in table order."""
    names = []
    for kind in ("close_bracket", "close_quote"):
        names += [_bin_name(kind, lo) for lo, _ in DISTANCE_BINS]
    return [*names, "newline", "indent", "other"]


def categorise(text: str) -> np.ndarray:
    """The category of every character of ``text`` (see the module docstring): ``(len(text),)`` of ``str``."""
    cats = np.full(len(text), "other", dtype=object)
    line_start = True
    for k, ch in enumerate(text):
        if ch == "\n":
            cats[k] = "newline"
            line_start = True
        elif ch == " " and line_start:
            cats[k] = "indent"
        else:
            line_start = False
    pairs = closing_pairs(text)
    for a, b in pairs["bracket"]:
        cats[b] = _bin_name("close_bracket", b - a)
    for a, b in pairs["quote"]:
        cats[b] = _bin_name("close_quote", b - a)
    return cats


def _probs(name: str, value: Any, n: int) -> np.ndarray:
    arr = np.asarray(value.detach().cpu().numpy() if hasattr(value, "detach") else value, dtype=float)
    if arr.shape != (n,):
        raise ValueError(f"`{name}` must hold one probability per scored character, shape ({n},); got {arr.shape}.")
    if not np.all((arr >= 0) & (arr <= 1)):
        raise ValueError(f"`{name}` must be probabilities in [0, 1] (not log-probabilities); exponentiate first.")
    return arr


def error_table(
    texts: Sequence[str], p_lstm: Sequence[Any], p_ngram: Sequence[Any], *, threshold: float = 0.5
) -> list[dict[str, Any]]:
    """Compare two models character by character on ``texts``, grouped by :func:`categorise`.

    ``p_lstm[k]`` and ``p_ngram[k]`` are each model's probability of every character of ``texts[k]`` but the
    first, shape ``(len(texts[k]) - 1,)``. Returns one row per non-empty category (and ``"all"`` last):
    ``{"category", "count", "p_lstm", "p_ngram"`` (mean probabilities), ``"bits_lstm", "bits_ngram"``
    (mean :math:`-\\log_2 p`), ``"right_lstm", "right_ngram"`` (share with :math:`p \\ge` ``threshold``),
    ``"only_lstm", "only_ngram"`` (share where one is right and the other not)``}``.
    """
    if not (len(texts) == len(p_lstm) == len(p_ngram)):
        raise ValueError(f"`texts`, `p_lstm` and `p_ngram` must have one entry per file; got {len(texts)}, "
                         f"{len(p_lstm)} and {len(p_ngram)}.")
    cats, pl, pn = [], [], []
    for k, text in enumerate(texts):
        cats.append(categorise(text)[1:])
        pl.append(_probs(f"p_lstm[{k}]", p_lstm[k], len(text) - 1))
        pn.append(_probs(f"p_ngram[{k}]", p_ngram[k], len(text) - 1))
    cat, a, b = np.concatenate(cats), np.concatenate(pl), np.concatenate(pn)
    rows = []
    for name in [*category_names(), "all"]:
        sel = np.ones(cat.size, dtype=bool) if name == "all" else cat == name
        if not sel.any():
            continue
        pa, pb = a[sel], b[sel]
        ra, rb = pa >= threshold, pb >= threshold
        rows.append({
            "category": name, "count": int(sel.sum()),
            "p_lstm": float(pa.mean()), "p_ngram": float(pb.mean()),
            "bits_lstm": float(-np.log2(np.maximum(pa, 1e-300)).mean()),
            "bits_ngram": float(-np.log2(np.maximum(pb, 1e-300)).mean()),
            "right_lstm": float(ra.mean()), "right_ngram": float(rb.mean()),
            "only_lstm": float((ra & ~rb).mean()), "only_ngram": float((rb & ~ra).mean()),
        })
    return rows


def plot_error_table(rows: Sequence[dict[str, Any]], ax: Axes | None = None, *, ngram_label: str = "best n-gram",
                     key: str = "p") -> Axes:
    """Bars of each category's mean probability of the right character (``key="p"``), or its share of
    confident-right characters (``key="right"``), for the LSTM and the n-gram. ``rows`` from :func:`error_table`."""
    if key not in ("p", "right", "bits"):
        raise ValueError(f"`key` must be 'p', 'right' or 'bits', got {key!r}.")
    rows = [r for r in rows if r["category"] != "all"]
    if not rows:
        raise ValueError("`rows` has no category to draw; pass error_table(...).")
    if ax is None:
        ax = plt.figure(figsize=(6.8, 3.4)).add_subplot()
    ax.figure.set_facecolor(FACE)
    ax.set_facecolor(FACE)
    y = np.arange(len(rows))
    a = [r[f"{key}_lstm"] for r in rows]
    b = [r[f"{key}_ngram"] for r in rows]
    ax.barh(y - 0.2, a, height=0.4, color="#1f77b4", label="LSTM")
    ax.barh(y + 0.2, b, height=0.4, color="#a0a0a0", label=ngram_label)
    ax.set_yticks(y)
    ax.set_yticklabels([f"{r['category'].replace('_', ' ')} ({r['count']})" for r in rows], fontsize=11)
    ax.invert_yaxis()
    xlabel = {"p": "mean probability of the right character", "right": "share with p ≥ 0.5",
              "bits": "bits per character"}[key]
    ax.set_xlabel(xlabel, fontsize=11)
    ax.tick_params(axis="x", labelsize=11)
    if key != "bits":
        ax.set_xlim(0, 1)
    ax.legend(fontsize=LEGEND_SIZE, frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    set_alt(ax, f"Bar chart, {xlabel} per kind of character, LSTM against {ngram_label}: "
                + "; ".join(f"{r['category'].replace('_', ' ')}: {r[f'{key}_lstm']:.2f} against "
                            f"{r[f'{key}_ngram']:.2f}" for r in rows) + ".")
    return ax
