r"""The code reader in the page: type Python, watch a trained LSTM's cells, with no kernel.

:func:`reader_view` returns a :class:`ReaderView`, an :class:`IPython.display.HTML` output holding the reader's script
and style (inlined from ``lstm_course/static/``: ``lstm_cell.js``, ``reader.js``, ``reader.css``), the model's
weights (base64: 8-bit integers and a scale per row, as the trained reader's weight matrices are, else float16
or float32, whichever holds them exactly) and its vocabulary. It runs wherever a notebook's HTML output runs
scripts: the built book (offline), JupyterLab, Notebook 7.

In the page the LSTM of a :class:`~lstm_course.reader.model.CharLSTM` runs in JavaScript with ``lstm_cell.js``'s
``lstm_step`` (the six equations of :mod:`lstm_course.cell`, in float64). The model reads one-hot characters, so for
character :math:`k`

.. math::
    W_g [h_{t-1}, x_t] + b_g = W_{g,h}\, h_{t-1} + (W_{g,x}[:, k] + b_g), \qquad g \in \{f, i, c, o\},

and each step is ``lstm_step([], h_prev, c_prev, weights_of_k)``: the hidden halves :math:`W_{g,h}` ``(H, H)`` and
the bias :math:`b_g + W_{g,x}[:, k]` ``(H,)`` (``reader.js``'s ``fastStep`` computes the same call bit for bit,
faster; ``tests/test_reader_page.py`` compares them). The next character's scores for sampling are
:math:`y_t = W_y h_t + b_y` ``(V,)``.

The page keeps the state after each character; an edit reruns only the characters from the first changed one.
What tests read is in ``static/reader.js``'s header (``textarea[data-reader-input]``, ``select[data-reader-quantity]``,
``select[data-reader-unit]``, ``span[data-char-index][data-value]``).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import html
import itertools
import json
import math
import re
import uuid
from collections.abc import Iterator, Mapping
from importlib import resources
from typing import Any

import numpy as np
import torch
from IPython.display import HTML

from ..layer import LSTM
from ..live_cell import link_static_modules
from .corpus import UNKNOWN, VOCAB, encode
from .model import QUANTITIES as TRACE_QUANTITIES
from .model import CharModel, Reader

__all__ = ["JS_FILES", "QUANTITIES", "ReaderView", "bundle_js", "model_weights", "mulberry32", "page_sample",
           "page_weights", "reader_view", "trace_model"]

#: The modules linked into the page script, in order (each may import from the ones before it).
JS_FILES: tuple[str, ...] = ("lstm_cell.js", "reader.js")
CSS_FILE = "reader.css"
#: What a character can be coloured by (``select[data-reader-quantity]``'s options).
QUANTITIES: tuple[str, ...] = ("c_t", "h_t", "f_t", "i_t", "o_t")
_GATES = ("f", "i", "c", "o")

DEFAULT_TEXT = '''def greet(name, punctuation="!"):
    """Say hello to `name`."""
    # build the message, then print it
    message = "Hello, " + name + punctuation
    if len(message) > 40:
        message = message[:40]
    print(message)
    return {"text": message, "length": len(message)}
'''


# ------------------------------------------------------------------------------------------------ the model


def _char_model(reader: Any) -> CharModel:
    """The :class:`CharModel` of ``reader`` (a ``Reader`` with ``.model``, or the model itself); an LSTM one."""
    model = getattr(reader, "model", reader)
    if not isinstance(model, CharModel) or not isinstance(model.rnn, LSTM):
        raise TypeError(f"`reader` must be a Reader of lstm_course.reader (load_reader()) or a CharLSTM; got "
                        f"{type(reader).__name__}. The page runs the LSTM reader only, not the GRU or RNN baselines.")
    rnn = model.rnn
    if rnn.num_layers != 1 or rnn.bidirectional or rnn.proj_size:
        raise ValueError("`reader` must hold a one-layer, one-direction LSTM without projections (the page runs "
                         f"one layer); got num_layers={rnn.num_layers}, bidirectional={rnn.bidirectional}, "
                         f"proj_size={rnn.proj_size}.")
    if rnn.input_size != len(VOCAB) or model.out.out_features != len(VOCAB):
        raise ValueError(f"`reader` must read and predict the {len(VOCAB)} characters of corpus.VOCAB; its LSTM reads "
                         f"{rnn.input_size} and its read-out predicts {model.out.out_features}.")
    return model


def model_weights(reader: Any) -> dict[str, np.ndarray]:
    """The arrays the page runs, float32, gates in the book's order ``f, i, c, o``:

    ``W_h (4, H, H)`` (:math:`W_{g,h}`), ``W_x (4, H, V)`` (:math:`W_{g,x}`), ``b (4, H)`` (:math:`b_g`,
    ``bias_ih + bias_hh``), ``W_y (V, H)``, ``b_y (V,)``.
    """
    model = _char_model(reader)
    with torch.no_grad():
        w = model.rnn.cell_weights()
        H = w.hidden_size
        Ws = [getattr(w, f"W_{g}").float() for g in _GATES]  # (H, H+V) each, hidden first
        return {
            "W_h": torch.stack([W[:, :H] for W in Ws]).numpy().copy(),  # (4, H, H)
            "W_x": torch.stack([W[:, H:] for W in Ws]).numpy().copy(),  # (4, H, V)
            "b": torch.stack([getattr(w, f"b_{g}").float() for g in _GATES]).numpy().copy(),  # (4, H)
            "W_y": model.out.weight.detach().float().numpy().copy(),  # (V, H)
            "b_y": model.out.bias.detach().float().numpy().copy(),  # (V,)
        }


def _b64(a: np.ndarray, dtype: str) -> str:
    return base64.b64encode(np.ascontiguousarray(a, dtype=dtype).tobytes()).decode("ascii")


def _packed(a: np.ndarray) -> dict[str, str]:
    """The smallest exact form of ``a`` (little-endian, row-major, base64): ``{"dtype", "data"}`` and, for int8,
    ``"scale"``.

    - ``"int8"`` when every row (last axis) is 8-bit integers times one float32 scale, as
      :func:`~lstm_course.reader.model.quantize_rows` leaves the trained reader's weight matrices: the scale is the
      row's largest ``|w|`` / 127 (exact, because that scale is a float16 value), one per row in ``"scale"``;
    - ``"float16"`` when every number is a float16 value;
    - else ``"float32"``. Either way the page rebuilds exactly the numbers of ``a``.
    """
    a32 = np.ascontiguousarray(a, dtype="<f4")
    if a32.ndim >= 2 and a32.size:
        rows = a32.reshape(-1, a32.shape[-1])  # (R, C)
        scale = (np.abs(rows).max(axis=1) / np.float32(127)).astype("<f4")  # (R,)
        q = np.rint(rows / np.where(scale > 0, scale, np.float32(1))[:, None])
        if np.abs(q).max() <= 127 and np.array_equal(q.astype("<f4") * scale[:, None], rows):
            return {"dtype": "int8", "data": _b64(q, "<i1"), "scale": _b64(scale, "<f4")}
    half = a32.astype("<f2")
    if np.array_equal(half.astype("<f4"), a32):
        return {"dtype": "float16", "data": _b64(half, "<f2")}
    return {"dtype": "float32", "data": _b64(a32, "<f4")}


def page_weights(reader: Any) -> dict[str, Any]:
    """The ``model`` entry of the page's configuration: ``H``, ``vocab``, ``unknown``, each array of
    :func:`model_weights` as base64 of its little-endian bytes (row-major) in the smallest exact form
    (:func:`_packed`), ``dtypes`` (per array ``"int8"``, ``"float16"`` or ``"float32"``) and, for each int8
    array ``name``, ``name + "_scale"``: one float32 scale per row. The trained reader's weight matrices go as int8
    (a quarter of float32's bytes), its biases as float32; the page's numbers are the library's, bit for bit."""
    arrays = model_weights(reader)
    packed = {k: _packed(v) for k, v in arrays.items()}
    out: dict[str, Any] = {"H": int(arrays["W_h"].shape[1]), "vocab": VOCAB, "unknown": UNKNOWN,
                           "dtypes": {k: d["dtype"] for k, d in packed.items()}}
    for k, d in packed.items():
        out[k] = d["data"]
        if "scale" in d:
            out[k + "_scale"] = d["scale"]
    return out


def trace_model(reader: Any, text: str) -> dict[str, np.ndarray]:
    """:meth:`Reader.trace <lstm_course.reader.model.Reader.trace>` of ``text`` as numpy arrays: the library's
    float32 forward from :math:`h_0 = c_0 = 0`, ``c_t, h_t, f_t, i_t, o_t, c_tilde``, each ``(len(text), H)``, row
    ``t`` the state after reading ``text[t]`` (what the page shows)."""
    model = _char_model(reader)
    if not text:
        return {q: np.zeros((0, model.hidden_size), dtype=np.float32) for q in TRACE_QUANTITIES}
    return {q: v.numpy() for q, v in Reader(model).trace(text).items()}


def mulberry32(seed: int) -> Iterator[float]:
    """The page's seeded generator (``reader.js``'s ``mulberry32``): the same numbers in [0, 1), bit for bit."""
    a = int(seed) & 0xFFFFFFFF
    while True:
        a = (a + 0x6D2B79F5) & 0xFFFFFFFF
        t = ((a ^ (a >> 15)) * (a | 1)) & 0xFFFFFFFF
        t ^= (t + ((t ^ (t >> 7)) * (t | 61))) & 0xFFFFFFFF
        yield ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296


@torch.no_grad()
def page_sample(reader: Any, text: str, n: int, temperature: float, seed: int) -> str:
    r"""What the page's *sample* button appends to ``text``, computed in Python (float64, as the page computes):
    ``n`` characters, each drawn from :math:`p = \operatorname{softmax}(y_t / \tau)` with
    :math:`y_t = W_y h_t + b_y` (the unknown index excluded) by the first :math:`k` whose running sum of
    :math:`p` exceeds the next number of :func:`mulberry32` ``(seed)``. The reader starts from :math:`h_0 = c_0 = 0`
    and reads ``text`` first. (:meth:`Reader.sample <lstm_course.reader.model.Reader.sample>` draws with torch's
    generator instead: the same distribution, other draws.)"""
    model = copy.deepcopy(_char_model(reader)).double()
    rand = mulberry32(seed)
    ids = encode(text)[None]  # (1, T)
    state = None
    h = torch.zeros(model.hidden_size, dtype=torch.float64)  # (H,) h_0
    if ids.shape[1]:
        hs, state = model.hidden(ids)  # (1, T, H)
        h = hs[0, -1]
    out = []
    for _ in range(n):
        y = (model.out.weight @ h + model.out.bias).tolist()  # (V,)
        y[UNKNOWN] = -math.inf
        z = [v / float(temperature) for v in y]
        top = max(z)
        e = [math.exp(v - top) for v in z]
        total = sum(e)  # left to right, as the page sums
        u, acc, k = next(rand), 0.0, len(VOCAB) - 1
        for j, ej in enumerate(e):
            acc += ej / total
            if u < acc:
                k = j
                break
        out.append(VOCAB[k])
        hs, state = model.hidden(torch.tensor([[k]]), state)  # (1, 1, H)
        h = hs[0, -1]
    return "".join(out)


# ------------------------------------------------------------------------------------------------ the script


def _read_static(fname: str) -> str:
    return resources.files("lstm_course").joinpath("static", fname).read_text(encoding="utf-8")


def _module_var(fname: str) -> str:
    return "__rd_" + re.sub(r"\W", "_", fname.removesuffix(".js"))


def _version() -> str:
    """A fingerprint of the scripts, so that a page holding two versions uses each one's own code."""
    return hashlib.sha256("".join(_read_static(f) for f in JS_FILES).encode()).hexdigest()[:12]


def bundle_js() -> str:
    """``lstm_cell.js`` and ``reader.js`` linked into one classic script that defines ``window.lstmCourseReader``
    (``mount(root, config)``, ``find(id)``, ``reader``: reader.js's exports, ``cell``: lstm_cell.js's) once per page
    and version.

    As in :func:`lstm_course.live_cell.bundle_js`, each module runs in its own function scope; only
    ``import { a } from "./m.js";`` and ``export function|const|class`` lines are allowed (``ValueError`` otherwise).
    """
    linked = link_static_modules(JS_FILES, _read_static, _module_var, "lstm_course.reader.page.bundle_js")
    version = json.dumps(_version())
    return ("(function () {\n\"use strict\";\n"
            f"if (window.lstmCourseReader && window.lstmCourseReader.version === {version}) return;\n"
            + "\n".join(linked)
            + f"\nwindow.lstmCourseReader = {{ version: {version}, cell: __rd_lstm_cell, reader: __rd_reader, "
              "mount: __rd_reader.mount, find: __rd_reader.findRoot };\n})();\n")


# ------------------------------------------------------------------------------------------------ the view


class ReaderView(HTML):
    """The reader as an HTML output. ``config``: what the page starts from (the JSON given to ``mount``, weights
    included); ``records``: :func:`trace_model` of the starting text, computed in Python."""

    def __init__(self, markup: str, config: dict[str, Any], records: dict[str, np.ndarray]) -> None:
        super().__init__(markup)
        self.config = config
        self.records = records

    def __repr__(self) -> str:
        return (f"<ReaderView unit={self.config['unit']} quantity={self.config['quantity']!r} "
                f"chars={len(self.config['text'])}>")


_counter = itertools.count(1)
MAX_TEXT = 20_000


def _check_units(units: Mapping[str, int] | None, H: int) -> list[list[Any]]:
    if units is None:
        return []
    if not isinstance(units, Mapping):
        raise TypeError(f"`units` must be a dict of name -> unit index, like {{'inside a string': 17}}; got "
                        f"{type(units).__name__}.")
    names: dict[int, list[str]] = {}  # unit -> its names, in the order given (one unit may track two properties)
    for name, u in units.items():
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"`units` names must be non-empty strings; got {name!r}.")
        if isinstance(u, bool) or not isinstance(u, (int, np.integer)) or not 0 <= int(u) < H:
            raise ValueError(f"`units[{name!r}]` must be a unit index from 0 to {H - 1} (the model has H = {H}); "
                             f"got {u!r}.")
        names.setdefault(int(u), []).append(name.strip())
    return [[" and ".join(n), u] for u, n in names.items()]


def reader_view(
    reader: Any,
    text: str | None = None,
    *,
    units: Mapping[str, int] | None = None,
    unit: int | str | None = None,
    quantity: str = "c_t",
    temperature: float = 0.8,
    seed: int = 0,
    sample_length: int = 200,
    title: str | None = None,
) -> ReaderView:
    """The code reader: a text area where the learner types Python, and that text coloured character by character
    by one unit's ``c_t``, ``h_t``, ``f_t``, ``i_t`` or ``o_t``, computed in the browser by the trained LSTM (no
    kernel); hovering or moving over a character shows its values; a button samples text at a temperature.

    ``reader``: a ``Reader`` of :mod:`lstm_course.reader` (``load_reader()``) or its ``CharLSTM``.
    ``text``: what the text area holds at first (default: a short function). ``units``: named units listed first,
    ``{"inside a string": 17, ...}`` (indices ``0..H-1``; names of one unit are joined: "inside a string and inside a
    comment"). ``unit``: the unit shown first, an index or a name of
    ``units`` (default: the first named unit, else 0). ``quantity``: one of :data:`QUANTITIES`.
    ``temperature`` (0.1 to 2), ``seed`` and ``sample_length`` (1 to 2000): the sampler's start settings.
    Returns a :class:`ReaderView`; display it (last line of a cell). It embeds the weights (about 0.7 MB): show
    one per page.
    """
    model = _char_model(reader)
    H = model.rnn.hidden_size
    text = DEFAULT_TEXT if text is None else text
    if not isinstance(text, str):
        raise TypeError(f"`text` must be a str (the code the text area starts with); got {type(text).__name__}.")
    if len(text) > MAX_TEXT:
        raise ValueError(f"`text` has {len(text)} characters; the page reads at most {MAX_TEXT}. Pass a slice, "
                         f"e.g. text[:2000].")
    named = _check_units(units, H)
    if unit is None:
        unit = named[0][1] if named else 0
    elif isinstance(unit, str):
        names = {n.strip(): int(u) for n, u in (units or {}).items()}
        if unit not in names:
            raise ValueError(f"`unit` {unit!r} is not a name of `units` ({list(names)}); give a name from there or "
                             f"an index from 0 to {H - 1}.")
        unit = names[unit]
    elif isinstance(unit, bool) or not isinstance(unit, (int, np.integer)) or not 0 <= int(unit) < H:
        raise ValueError(f"`unit` must be an index from 0 to {H - 1} or a name of `units`; got {unit!r}.")
    if quantity not in QUANTITIES:
        raise ValueError(f"`quantity` must be one of {list(QUANTITIES)}; got {quantity!r}.")
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) \
            or not (math.isfinite(temperature) and 0.1 <= temperature <= 2):
        raise ValueError(f"`temperature` must be a number from 0.1 to 2; got {temperature!r}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) < 2**32:
        raise ValueError(f"`seed` must be an integer from 0 to 2**32 - 1; got {seed!r}.")
    if isinstance(sample_length, bool) or not isinstance(sample_length, (int, np.integer)) \
            or not 1 <= int(sample_length) <= 2000:
        raise ValueError(f"`sample_length` must be an integer from 1 to 2000; got {sample_length!r}.")
    config: dict[str, Any] = {
        "model": page_weights(model), "text": text, "units": named, "unit": int(unit), "quantity": quantity,
        "temperature": float(temperature), "seed": int(seed), "sample_length": int(sample_length), "title": title,
    }
    return ReaderView(_page(config), config, trace_model(model, text))


def _page(config: dict[str, Any]) -> str:
    root_id = f"rd-{next(_counter)}-{uuid.uuid4().hex[:8]}"
    config_json = json.dumps(config).replace("<", "\\u003c")  # no </script> or <!-- can end or bend the script
    return (
        '<div class="lstm-course-reader">\n'
        f"<style>{_read_static(CSS_FILE)}</style>\n"
        f'<div class="rd tex2jax_ignore mathjax_ignore" id="{root_id}"><p>{html.escape(_NO_SCRIPT)}</p></div>\n'
        f"<script>\n{bundle_js()}\n"
        f'window.lstmCourseReader.mount(window.lstmCourseReader.find("{root_id}"), {config_json});\n'
        "</script>\n</div>"
    )


_NO_SCRIPT = ("The code reader runs the LSTM with JavaScript. In Jupyter, run this cell (or trust the notebook) to "
              "see it.")
