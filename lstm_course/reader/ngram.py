r"""A count-based character n-gram language model with interpolated Kneser-Ney smoothing: the baseline the reader
(the character LSTM of :mod:`lstm_course.reader.model`) has to beat.

Characters are integer ids ``0 … V-1`` (the reader's vocabulary, :func:`lstm_course.reader.corpus.encode`).
A model of order :math:`n` predicts character :math:`w` from the :math:`n-1` characters before it, its
*context* :math:`h`. Each file is preceded by :math:`n-1` copies of a start symbol (id ``V``, never predicted),
so the first characters of a file have a context too.

Interpolated Kneser-Ney (Kneser & Ney 1995; Chen & Goodman 1998, eq. 13), for order :math:`k = n \ldots 1`,
with :math:`h'` the context :math:`h` without its first character:

.. math::
    P_k(w \mid h) = \frac{\max(c_k(h w) - D_k,\ 0)}{c_k(h \cdot)}
                  + \frac{D_k\, N_{1+}(h\, \cdot)}{c_k(h \cdot)}\, P_{k-1}(w \mid h'),
    \qquad P_0(w) = \frac{1}{V},

where :math:`c_n` are the raw counts of the training text at the highest order, and for :math:`k < n`
the *continuation counts* :math:`c_k(h w) = N_{1+}(\cdot\, h w)`, the number of distinct characters seen
before :math:`h w`; :math:`c_k(h \cdot) = \sum_w c_k(h w)`, :math:`N_{1+}(h\, \cdot)` is the number of
distinct :math:`w` with :math:`c_k(h w) > 0`, and the discount is :math:`D_k = n_1 / (n_1 + 2 n_2)` with
:math:`n_r` the number of :math:`k`-grams whose count is :math:`r`. A context never seen in training
(:math:`c_k(h \cdot) = 0`) passes the lower order through unchanged, :math:`P_k = P_{k-1}`; the uniform
:math:`P_0` gives every character of the vocabulary a probability above 0, seen or not. For every context the
probabilities sum to 1 over the vocabulary (the test checks it).

Counting is vectorised: a :math:`k`-gram is one integer in base :math:`V+1`, the counts are ``np.unique`` of
those integers, and look-ups are binary searches, so all orders 1…8 on a megabyte of text take seconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["KneserNey", "NGramOrder", "bits_per_char", "fit_kneser_ney"]

#: The largest order the integer coding allows for a vocabulary: (V+1)^n must fit in an int64.
_INT64_MAX = np.iinfo(np.int64).max


@dataclass(frozen=True)
class NGramOrder:
    """The counts of one order :math:`k`, as sorted integer codes (a :math:`k`-gram ``(a, …, w)`` is
    :math:`\\sum_j a_j B^{k-1-j}` with base :math:`B = V + 1`).

    ``grams (G,)`` the distinct :math:`k`-grams, ``counts (G,)`` their :math:`c_k` (raw at the highest order,
    continuation counts below it); ``contexts (C,)`` the distinct contexts (the :math:`k`-gram without its last
    character), ``context_totals (C,)`` :math:`c_k(h\\cdot)`, ``context_types (C,)`` :math:`N_{1+}(h\\cdot)`,
    ``context_by_count (C, 3)`` :math:`N_1(h\\cdot), N_2(h\\cdot), N_{3+}(h\\cdot)` (how many ``w`` have count 1,
    2, 3 or more); ``discounts`` :math:`(D_{k,1}, D_{k,2}, D_{k,3+})`, the discount of a count of 1, 2, 3 or more.
    """

    k: int
    grams: np.ndarray
    counts: np.ndarray
    contexts: np.ndarray
    context_totals: np.ndarray
    context_types: np.ndarray
    discounts: tuple[float, float, float]
    context_by_count: np.ndarray

    @property
    def discount(self) -> float:
        """:math:`D_k` of plain Kneser-Ney (the discount of a count of 1; all three agree unless ``modified``)."""
        return self.discounts[0]


def _lookup(table: np.ndarray, values: np.ndarray, data: np.ndarray) -> np.ndarray:
    """``data[i]`` where ``table[i] == value`` for each value, else 0. ``table`` sorted; shapes follow ``values``."""
    if table.size == 0:
        return np.zeros(values.shape, dtype=data.dtype)
    pos = np.searchsorted(table, values)
    pos_c = np.minimum(pos, table.size - 1)
    found = table[pos_c] == values
    return np.where(found, data[pos_c], 0)


def _discounts(counts: np.ndarray, modified: bool) -> tuple[float, float, float]:
    """Plain: :math:`D = n_1 / (n_1 + 2 n_2)` for every count. Modified (Chen & Goodman 1998, eq. 26):
    :math:`D_r = r - (r + 1) D \\, n_{r+1} / n_r` for :math:`r = 1, 2, 3+`. Each clipped to
    :math:`[0.05, r]`; 0.5 (plain) when the counts have no singletons or doubletons to estimate from."""
    n = [int(np.count_nonzero(counts == r)) for r in range(1, 5)]
    if n[0] == 0 or n[0] + 2 * n[1] == 0:
        return (0.5, 0.5, 0.5)
    Y = n[0] / (n[0] + 2 * n[1])
    if not modified or min(n[:3]) == 0:
        d = float(min(max(Y, 0.05), 1.0))
        return (d, d, d)
    return tuple(float(min(max(r - (r + 1) * Y * n[r] / n[r - 1], 0.05), r)) for r in (1, 2, 3))  # type: ignore


def _order_from(grams: np.ndarray, counts: np.ndarray, k: int, base: int, modified: bool) -> NGramOrder:
    contexts_all = grams // base  # grams are sorted, so their contexts are sorted too
    contexts, start, types = np.unique(contexts_all, return_index=True, return_counts=True)
    totals = np.add.reduceat(counts, start)
    by_count = np.stack([np.add.reduceat((counts == 1).astype(np.int64), start),
                         np.add.reduceat((counts == 2).astype(np.int64), start),
                         np.add.reduceat((counts >= 3).astype(np.int64), start)], axis=1)  # (C, 3)
    return NGramOrder(k, grams, counts, contexts, totals.astype(np.int64), types.astype(np.int64),
                      _discounts(counts, modified), by_count)


def _check_ids(name: str, ids: object, vocab_size: int) -> np.ndarray:
    """``ids`` (a list, numpy array or torch tensor of character ids) as a checked 1-D int64 array."""
    if hasattr(ids, "detach"):
        ids = ids.detach().cpu().numpy()  # a torch tensor
    arr = np.asarray(ids)
    if arr.ndim != 1 or not (np.issubdtype(arr.dtype, np.integer) or arr.size == 0):
        raise ValueError(f"`{name}` must be a 1-D sequence of integer character ids; got shape {arr.shape}, "
                         f"dtype {arr.dtype}. Encode text with lstm_course.reader.corpus.encode(text).")
    arr = arr.astype(np.int64)
    if arr.size and (arr.min() < 0 or arr.max() >= vocab_size):
        raise ValueError(f"`{name}` holds ids outside 0 … {vocab_size - 1} (found {arr.min()} … {arr.max()}); "
                         f"pass vocab_size = the vocabulary's length, len(VOCAB).")
    return arr


def _padded_codes(ids: np.ndarray, n: int, base: int) -> np.ndarray:
    """``(len(ids), n)``: row ``t`` is the code of the ``k``-gram ending at ``ids[t]`` for ``k = 1 … n``
    (column ``k-1``), with the start symbol ``base - 1`` before the file."""
    start = base - 1
    padded = np.concatenate([np.full(n - 1, start, dtype=np.int64), ids])
    T = ids.size
    codes = np.zeros((T, n), dtype=np.int64)
    acc = np.zeros(T, dtype=np.int64)
    for k in range(1, n + 1):
        # the k-gram ending at t adds the character k-1 places back as its most significant digit
        acc = acc + padded[n - k:n - k + T] * base ** (k - 1)
        codes[:, k - 1] = acc
    return codes


class KneserNey:
    """An interpolated Kneser-Ney character model of order ``n`` (see the module docstring for the equations).

    Build it with :func:`fit_kneser_ney`. :meth:`log_prob` scores a file, :meth:`distribution` gives the whole
    next-character distribution after a context.
    """

    def __init__(self, orders: Sequence[NGramOrder], vocab_size: int, modified: bool = False) -> None:
        self.orders = list(orders)  # orders[k-1] is order k
        self.modified = bool(modified)
        self.n = len(self.orders)
        self.vocab_size = int(vocab_size)
        self.base = self.vocab_size + 1

    def __repr__(self) -> str:
        return f"KneserNey(n={self.n}, vocab_size={self.vocab_size}, modified={self.modified})"

    def _prob_codes(self, codes: np.ndarray) -> np.ndarray:
        """:math:`P_n(w \\mid h)` for rows of codes ``(M, n)`` (column ``k-1`` the ``k``-gram ending in ``w``)."""
        p = np.full(codes.shape[0], 1.0 / self.vocab_size)  # P_0
        for order in self.orders:
            gram = codes[:, order.k - 1]
            ctx = gram // self.base
            d = np.asarray((0.0, *order.discounts))  # the discount of a count of 0, 1, 2, 3+
            c_hw = _lookup(order.grams, gram, order.counts)
            c_h = _lookup(order.contexts, ctx, order.context_totals).astype(float)
            pos = np.searchsorted(order.contexts, ctx)
            pos_c = np.minimum(pos, max(order.contexts.size - 1, 0))
            seen = c_h > 0
            backoff = np.where(seen, order.context_by_count[pos_c] @ d[1:], 0.0)  # D1 N1(h) + D2 N2(h) + D3 N3+(h)
            safe = np.where(seen, c_h, 1.0)
            mixed = (np.maximum(c_hw - d[np.minimum(c_hw, 3)], 0.0) + backoff * p) / safe
            p = np.where(seen, mixed, p)  # an unseen context passes the lower order through
        return p

    def log_prob(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """:math:`\\log_2 P(x_t \\mid x_{t-n+1} … x_{t-1})` for every character of one file, ``(T,)``.

        ``ids`` are the file's character ids from its first character on; the first ``n-1`` characters see
        the start symbol in place of the characters before the file.
        """
        arr = _check_ids("ids", ids, self.vocab_size)
        if arr.size == 0:
            return np.zeros(0)
        return np.log2(self._prob_codes(_padded_codes(arr, self.n, self.base)))

    def distribution(self, context: Sequence[int] | np.ndarray) -> np.ndarray:
        """``(V,)``: :math:`P(w \\mid \\text{context})` for every character ``w``; sums to 1.

        ``context`` is the text before the character, as ids; only its last ``n-1`` are used, and a context
        shorter than ``n-1`` is taken to be the start of a file.
        """
        ctx = _check_ids("context", context, self.vocab_size)
        ctx = ctx[ctx.size - min(ctx.size, self.n - 1):]  # the last n-1 characters (none for a unigram)
        rows = np.concatenate([np.tile(ctx, (self.vocab_size, 1)),
                               np.arange(self.vocab_size, dtype=np.int64)[:, None]], axis=1)  # (V, len+1)
        start = self.base - 1
        pad = np.full((self.vocab_size, self.n - rows.shape[1]), start, dtype=np.int64)
        full = np.concatenate([pad, rows], axis=1)  # (V, n): the n-gram ending in each candidate w
        codes = np.zeros((self.vocab_size, self.n), dtype=np.int64)
        acc = np.zeros(self.vocab_size, dtype=np.int64)
        for k in range(1, self.n + 1):
            acc = acc + full[:, self.n - k] * self.base ** (k - 1)
            codes[:, k - 1] = acc
        return self._prob_codes(codes)


def fit_kneser_ney(files: Iterable[Sequence[int] | np.ndarray], n: int, vocab_size: int, *,
                   modified: bool = False) -> KneserNey:
    """Count the training ``files`` (each a 1-D sequence of character ids) into an order-``n`` model.

    ``n`` from 1 (a unigram with the uniform floor) up to the largest order for which ``(V+1)^n`` fits in
    an int64 (8 for a vocabulary of up to 233 characters). Each file is counted from its start symbol
    padding to its last character; characters never cross from one file into the next. ``modified=True``
    discounts counts of 1, 2 and 3+ differently (modified Kneser-Ney, Chen & Goodman 1998).
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"`n` must be a positive integer (the order: 1 = unigram, 3 = trigram); got {n!r}.")
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, int | np.integer) or vocab_size < 1:
        raise ValueError(f"`vocab_size` must be a positive integer, len(VOCAB); got {vocab_size!r}.")
    base = int(vocab_size) + 1
    if base ** n > _INT64_MAX:
        raise ValueError(f"`n` = {n} is too large for vocab_size = {vocab_size}: (V+1)^n must fit in an int64; "
                         f"use n <= {int(np.floor(np.log(_INT64_MAX) / np.log(base)))}.")
    arrays = [_check_ids(f"files[{i}]", f, vocab_size) for i, f in enumerate(files)]
    if not arrays or sum(a.size for a in arrays) == 0:
        raise ValueError("`files` must hold at least one non-empty file of character ids.")
    codes = np.concatenate([_padded_codes(a, n, base) for a in arrays if a.size])  # (T, n)
    orders: list[NGramOrder] = []
    # the highest order: raw counts
    grams, counts = np.unique(codes[:, n - 1], return_counts=True)
    top = _order_from(grams, counts.astype(np.int64), n, base, modified)
    # lower orders: continuation counts N1+(. h w), the distinct (k+1)-grams that end in the k-gram
    higher_grams = grams
    lower: list[NGramOrder] = []
    for k in range(n - 1, 0, -1):
        suffixes = higher_grams % base ** k  # the (k+1)-gram without its first character; sorted distinct grams
        g, c = np.unique(suffixes, return_counts=True)
        lower.append(_order_from(g, c.astype(np.int64), k, base, modified))
        higher_grams = g
    orders = [*reversed(lower), top]
    return KneserNey(orders, vocab_size, modified)


def bits_per_char(model: KneserNey, files: Iterable[Sequence[int] | np.ndarray], *, skip_first: bool = True) -> float:
    """Mean :math:`-\\log_2 P` per predicted character over ``files``.

    ``skip_first=True`` leaves out each file's first character, which the LSTM never predicts (it reads it
    as its first input), so both models are scored on the same characters.
    """
    total, count = 0.0, 0
    for f in files:
        lp = model.log_prob(f)
        if skip_first:
            lp = lp[1:]
        total += float(-lp.sum())
        count += lp.size
    if count == 0:
        raise ValueError("`files` has no character to score (every file is empty, or one character long).")
    return total / count
