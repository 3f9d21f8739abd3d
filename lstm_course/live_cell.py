"""The cell explorer: a live LSTM cell in the page, computed by JavaScript in the browser, with no kernel.

:func:`cell_explorer` returns an :class:`IPython.display.HTML` object holding the explorer's scripts and style,
inlined from this package's ``static/`` folder, and its configuration. It runs wherever the notebook's HTML
output runs scripts: the built book (offline, no server needed), JupyterLab, Notebook 7, Colab and VS Code.

The JavaScript is plain, readable source, in three ES modules with no dependencies and no build step:

- ``static/lstm_cell.js``: the math, the six equations with :mod:`lstm_course.cell`'s names and order
  (tested against :func:`lstm_course.cell.lstm_step` by ``tests/js/`` and ``tests/test_live_cell.py``);
- ``static/cell_drawing.js``: the SVG cell diagram (the layout of :func:`lstm_course.viz.draw_cell`) and the
  strip chart;
- ``static/cell_explorer.js``: the state, the controls, the presets, the sequence mode and the table.

:func:`bundle_js` links the three into one classic script (each module in its own function scope, its
``import { … } from "./x.js"`` lines bound to the exporting module's names), so the output needs no module
loader and no file next to the page.

The explorer is a one-unit cell (``H = I = 1``): a control per input (``x_t``, ``h_prev``, ``c_prev``) and per
gate ``g`` in ``f, i, c, o`` its weight on :math:`h_{t-1}` (``W_g_h``), on :math:`x_t` (``W_g_x``) and its bias
(``b_g``). In sequence mode it runs :math:`x_1, …, x_T` from :math:`h_0 = c_0 = 0`; with two units each unit's
recurrent weight acts on its own :math:`h_{t-1}` (:func:`cell_weights`). Every explorer carries ``records``: the
numbers it shows when it opens, computed here by :func:`lstm_course.cell.lstm_step`, for a chapter to assert its
claims on.
"""

from __future__ import annotations

import html
import itertools
import json
import math
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import resources
from typing import Any

import numpy as np
import torch
from IPython.display import HTML

from .cell import lstm_step
from .gradients import forget_path_product
from .layout import CellWeights

__all__ = [
    "GATE_KEYS",
    "JS_FILES",
    "PARAM_NAMES",
    "PRESETS",
    "RANGES",
    "SEQUENCES",
    "STRIP_ROWS",
    "CellExplorer",
    "bundle_js",
    "cell_explorer",
    "cell_weights",
    "one_step",
    "params_from_weights",
    "run_sequence",
]

#: The modules, in the order they are linked (each may import from the ones before it).
JS_FILES: tuple[str, ...] = ("lstm_cell.js", "cell_drawing.js", "cell_explorer.js")
CSS_FILE = "cell_explorer.css"

#: The gates in the book's order; ``c`` is the candidate :math:`\\tilde c_t`.
GATE_KEYS: tuple[str, ...] = ("f", "i", "c", "o")
#: Every control of the explorer, as ``cell_explorer.js`` names it (``data-input``).
PARAM_NAMES: tuple[str, ...] = ("x_t", "h_prev", "c_prev",
                                *(f"{kind}_{g}{on}" for g in GATE_KEYS for kind, on in (("W", "_h"), ("W", "_x"),
                                                                                        ("b", ""))))
#: Each control's range (the weights ``W`` and the biases ``b`` share one).
RANGES: dict[str, tuple[float, float]] = {"x_t": (-3.0, 3.0), "h_prev": (-1.0, 1.0), "c_prev": (-3.0, 3.0),
                                          "W": (-10.0, 10.0), "b": (-10.0, 10.0)}
#: The strip chart's rows; ``belt`` is :func:`lstm_course.gradients.forget_path_product`, how much of
#: :math:`c_t` the cell path carries to :math:`c_T`.
STRIP_ROWS: tuple[str, ...] = ("x_t", "f_t", "i_t", "o_t", "c_t", "h_t", "belt")
MAX_STEPS = 30


def _unit(**nonzero: float) -> dict[str, float]:
    """One unit's gate parameters, zero unless given."""
    params = {name: 0.0 for name in PARAM_NAMES[3:]}
    for name, value in nonzero.items():
        if name not in params:
            raise KeyError(name)
        params[name] = float(value)
    return params


_STATE = {"x_t": 0.5, "h_prev": 0.3, "c_prev": 0.8}
#: One-step presets: every parameter of the unit, and what the reader should see.
PRESETS: dict[str, dict[str, Any]] = {
    "remember": {"params": {**_STATE, **_unit(b_f=6, b_i=-6, W_c_x=2, b_o=4)},
                 "note": "f_t near 1, i_t near 0: c_t keeps c_{t-1}."},
    "forget": {"params": {**_STATE, **_unit(b_f=-6, b_i=-6, W_c_x=2, b_o=4)},
               "note": "f_t near 0, i_t near 0: c_t is wiped to about 0."},
    "write": {"params": {**_STATE, **_unit(b_f=-6, b_i=6, W_c_x=2, b_o=4)},
              "note": "f_t near 0, i_t near 1: c_t becomes the candidate tanh(2 x_t)."},
    "hide": {"params": {**_STATE, **_unit(b_f=6, b_i=-6, W_c_x=2, b_o=-6)},
             "note": "o_t near 0: c_t is kept but h_t is about 0, the memory is hidden."},
}

_REMEMBER_FIRST = _unit(b_f=10, W_i_h=-10, b_i=2, W_c_x=3, b_o=4)
_COUNT = _unit(b_f=10, W_i_x=10, b_i=-5, W_c_x=0.3, b_o=2)
_RESET = {**_COUNT, "W_f_x": 10.0, "b_f": 6.0}
#: Sequence presets: the inputs, each unit's parameters, and what the reader should see.
SEQUENCES: dict[str, dict[str, Any]] = {
    "remember the first value": {
        "xs": [0.8, -0.6, 0.9, -0.3, 0.5, -0.9, 0.2, 0.7, -0.5, 0.4, -0.8, 0.6, -0.2, 0.3, -0.7],
        "units": [_REMEMBER_FIRST],
        "note": "The input gate is open at step 1 and shuts itself once h is positive (W_i on h is -10), "
                "so the first value stays on the belt while the rest pass by.",
    },
    "reset on a marker": {
        "xs": [1, 0, 1, 1, 0, -1, 1, 0, 0, 1, 1, 1, -1, 0, 1, 0, 1, 1, 0, 1],
        "units": [_RESET],
        "note": "Each 1 adds to c; the marker -1 closes the forget gate (W_f on x is 10), wiping the count.",
    },
    "count": {
        "xs": [1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 0, 1],
        "units": [_COUNT],
        "note": "The input gate opens on each 1 and the forget gate stays open: c climbs by about 0.29 per 1.",
    },
    "two units: first value and count": {
        "xs": [0.8, 1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 1, 0],
        "units": [_REMEMBER_FIRST, _COUNT],
        "note": "Same input, two specialists: unit 1 keeps the first value, unit 2 counts the 1s.",
    },
}
for _s in SEQUENCES.values():
    _s["xs"] = [float(x) for x in _s["xs"]]

_DEFAULT_UNIT = _unit(W_f_h=0.5, W_f_x=-1.0, b_f=1.0, W_i_h=0.5, W_i_x=1.5, W_c_h=0.5, W_c_x=1.2, W_o_h=-0.5,
                      W_o_x=1.0, b_o=0.5)


# ------------------------------------------------------------------------------------------------ the numbers


def _range(name: str, limits: Mapping[str, tuple[float, float]] = RANGES) -> tuple[float, float]:
    return limits[name] if name in limits else limits[name[0]]


def params_from_weights(weights: CellWeights) -> dict[str, float]:
    """The explorer's gate controls (``W_f_h, W_f_x, b_f, …``) of a one-unit cell's weights (``H = I = 1``:
    each ``W_*`` is ``(1, 2)`` on :math:`[h_{t-1}, x_t]`, each ``b_*`` is ``(1,)``)."""
    if not isinstance(weights, CellWeights):
        raise TypeError(f"`weights` must be a CellWeights; got {type(weights).__name__}.")
    if weights.hidden_size != 1 or weights.input_size != 1:
        raise ValueError(f"`weights` must be a one-unit cell (H = I = 1, each W of shape (1, 2)); got H = "
                         f"{weights.hidden_size}, I = {weights.input_size}. The explorer has one input and one unit.")
    out = {}
    for g in GATE_KEYS:
        W, b = getattr(weights, f"W_{g}").detach().cpu().double(), getattr(weights, f"b_{g}").detach().cpu().double()
        out[f"W_{g}_h"], out[f"W_{g}_x"], out[f"b_{g}"] = float(W[0, 0]), float(W[0, 1]), float(b.reshape(-1)[0])
    return out


def _check_params(params: Mapping[str, Any], arg: str, allowed: Sequence[str] = PARAM_NAMES,
                  limits: Mapping[str, tuple[float, float]] = RANGES) -> dict[str, float]:
    """Known names, finite numbers inside the controls' ranges; else a ValueError that names the fix."""
    if not isinstance(params, Mapping):
        raise TypeError(f"`{arg}` must be a dict like {{'b_f': 2.0, 'x_t': 0.5}}; got {type(params).__name__}.")
    out = {}
    for name, value in params.items():
        if name not in allowed:
            raise ValueError(f"`{arg}` has unknown name {name!r}; use names from {list(allowed)}.")
        v = float(value)
        lo, hi = _range(name, limits)
        if not (math.isfinite(v) and lo <= v <= hi):
            raise ValueError(f"`{arg}[{name!r}]` = {value!r} is outside the control's range [{lo:g}, {hi:g}].")
        out[name] = v
    return out


def cell_weights(units: Sequence[Mapping[str, float]], *, dtype: torch.dtype = torch.float64) -> CellWeights:
    """The :class:`~lstm_course.layout.CellWeights` of ``H = len(units)`` explorer units (``I = 1``).

    Unit ``u``'s row of :math:`W_g` is ``[0, …, W_g_h (at column u), …, 0, W_g_x]``: each unit's recurrent weight
    acts on its own :math:`h_{t-1}` only. Shapes: every ``W_*`` ``(H, H+1)``, every ``b_*`` ``(H,)``.
    """
    H = len(units)
    fields = {}
    for g in GATE_KEYS:
        W = torch.zeros(H, H + 1, dtype=dtype)  # (H, H+1), on [h_{t-1}, x_t]
        for u, p in enumerate(units):
            W[u, u] = p[f"W_{g}_h"]
            W[u, H] = p[f"W_{g}_x"]
        fields[f"W_{g}"] = W
        fields[f"b_{g}"] = torch.tensor([p[f"b_{g}"] for p in units], dtype=dtype)  # (H,)
    return CellWeights(**fields)


_QUANTITIES = ("f_t", "i_t", "c_tilde", "c_t", "o_t", "h_t")


def one_step(params: Mapping[str, float]) -> dict[str, float]:
    """What the explorer shows in one-step mode for ``params`` (all of :data:`PARAM_NAMES`), by
    :func:`~lstm_course.cell.lstm_step`: ``x_t, h_prev, c_prev, f_t, i_t, c_tilde, c_t, o_t, h_t``."""
    p = _check_params(params, "params")
    missing = [n for n in PARAM_NAMES if n not in p]
    if missing:
        raise ValueError(f"`params` lacks {missing}; give every name of PARAM_NAMES.")
    t = lambda v: torch.tensor([v], dtype=torch.float64)  # noqa: E731  (1,)
    h, c, g = lstm_step(t(p["x_t"]), t(p["h_prev"]), t(p["c_prev"]), cell_weights([p]), return_gates=True)
    out = {"x_t": p["x_t"], "h_prev": p["h_prev"], "c_prev": p["c_prev"]}
    for name, v in zip(_QUANTITIES, (g.f_t, g.i_t, g.c_tilde, c, g.o_t, h), strict=True):
        out[name] = float(v[0])
    return out


def run_sequence(xs: Sequence[float], units: Sequence[Mapping[str, float]]) -> dict[str, np.ndarray]:
    """What the explorer shows in sequence mode: :func:`~lstm_course.cell.lstm_step` over ``xs`` (``T`` numbers)
    from :math:`h_0 = c_0 = 0`, with :func:`cell_weights` of ``units``.

    Returns ``x_t (T,)`` and ``h_prev, c_prev, f_t, i_t, c_tilde, c_t, o_t, h_t, belt``, each ``(T, H)``;
    ``belt`` is :func:`~lstm_course.gradients.forget_path_product` of ``f_t``.
    """
    xs_t = torch.as_tensor([float(x) for x in xs], dtype=torch.float64)[:, None]  # (T, 1)
    weights = cell_weights(units)
    H = len(units)
    h = torch.zeros(H, dtype=torch.float64)  # (H,) h_0
    c = torch.zeros(H, dtype=torch.float64)  # (H,) c_0
    rows: dict[str, list[torch.Tensor]] = {k: [] for k in ("h_prev", "c_prev", *_QUANTITIES)}
    for x_t in xs_t.unbind(0):  # (1,)
        rows["h_prev"].append(h)
        rows["c_prev"].append(c)
        h, c, g = lstm_step(x_t, h, c, weights, return_gates=True)
        for name, v in zip(_QUANTITIES, (g.f_t, g.i_t, g.c_tilde, c, g.o_t, h), strict=True):
            rows[name].append(v)
    out = {"x_t": xs_t[:, 0].numpy()}
    out.update({k: torch.stack(v).numpy() for k, v in rows.items()})  # (T, H) each
    out["belt"] = forget_path_product(out["f_t"])
    return out


# ------------------------------------------------------------------------------------------------ the page


_IMPORT = re.compile(r'^import \{([^}]*)\} from "\./([\w.]+\.js)";$')
_EXPORT = re.compile(r"^export (?:async )?(?:function\*?|const|let|class) (\w+)")


def _module_var(fname: str) -> str:
    return "__" + re.sub(r"\W", "_", fname.removesuffix(".js"))


def _read_static(fname: str) -> str:
    return resources.files("lstm_course").joinpath("static", fname).read_text(encoding="utf-8")


def link_static_modules(files: Sequence[str], read: Callable[[str], str], module_var: Callable[[str], str],
                        linker: str) -> list[str]:
    """``files`` (names in ``static/``, each importing only earlier ones) as one ``const <module_var(f)> =
    (function () { ... return { exports }; })();`` statement each, for a classic script.

    ``import { a, b } from "./m.js";`` becomes ``const { a, b } = <module_var("m.js")>;`` and ``export function a``
    becomes ``function a``; any other line starting with ``import``/``export`` raises ``ValueError`` naming
    ``linker``. ``read(fname)`` gives a file's text.
    """
    linked = []
    for fname in files:
        body, names = [], []
        for n, line in enumerate(read(fname).splitlines(), 1):
            if m := _IMPORT.match(line):
                if m[2] not in files[: files.index(fname)]:
                    raise ValueError(f"static/{fname}:{n} imports {m[2]}, which is not linked before it ({files}).")
                line = f"const {{{m[1]}}} = {module_var(m[2])};"
            elif m := _EXPORT.match(line):
                names.append(m[1])
                line = line.removeprefix("export ")
            elif re.match(r"^\s*(import|export)\b", line):
                raise ValueError(f"static/{fname}:{n}: only `import {{ … }} from \"./x.js\";` and `export function|"
                                 f"const|class …` are supported by {linker}; got {line.strip()!r}.")
            body.append(line)
        linked.append(f"const {module_var(fname)} = (function () {{\n// ---- static/{fname}\n" + "\n".join(body)
                      + f"\nreturn {{ {', '.join(names)} }};\n}})();")
    return linked


def bundle_js() -> str:
    """The three modules of ``static/`` linked into one classic script that defines ``window.lstmCourse``
    (``cell``: the math, ``mount(root, config)``: an explorer, ``find(id)``: its element) once per page.

    Each module runs in its own function scope; ``import { a, b } from "./m.js";`` becomes
    ``const { a, b } = __m;`` and ``export function a`` becomes ``function a``. Only these two one-line forms
    are allowed in ``static/*.js``; anything else that starts with ``import``/``export`` raises ``ValueError``.
    """
    linked = link_static_modules(JS_FILES, _read_static, _module_var, "lstm_course.live_cell.bundle_js")
    version = _version()
    return ("(function () {\n\"use strict\";\n"
            f"if (window.lstmCourse && window.lstmCourse.version === {json.dumps(version)}) return;\n"
            + "\n".join(linked)
            + f"\nwindow.lstmCourse = {{ version: {json.dumps(version)}, cell: __lstm_cell, "
              "drawing: __cell_drawing, explorer: __cell_explorer, mount: __cell_explorer.mount, "
              "find: __cell_explorer.findRoot };\n})();\n")


def _version() -> str:
    """A fingerprint of the scripts, so that a page holding two versions uses each one's own code."""
    import hashlib

    digest = hashlib.sha256("".join(_read_static(f) for f in JS_FILES).encode()).hexdigest()
    return digest[:12]


def static_size_bytes() -> dict[str, int]:
    """Bytes of each file in ``static/`` (the issue's budget is 100 kB in all)."""
    return {f: len(_read_static(f).encode()) for f in (*JS_FILES, CSS_FILE)}


class CellExplorer(HTML):
    """The explorer as an HTML output. ``config``: what the page starts from (the JSON given to
    ``mount``); ``records``: the numbers it shows then, computed in Python (:func:`one_step` in step mode,
    :func:`run_sequence` in sequence mode)."""

    def __init__(self, markup: str, config: dict[str, Any], records: dict[str, Any]) -> None:
        super().__init__(markup)
        self.config = config
        self.records = records

    def __repr__(self) -> str:
        return f"<CellExplorer mode={self.config['mode']!r}>"


_counter = itertools.count(1)


def cell_explorer(
    mode: str | None = None,
    *,
    preset: str | None = None,
    weights: CellWeights | None = None,
    params: Mapping[str, float] | None = None,
    sequence: str | None = None,
    xs: Sequence[float] | None = None,
    unit2: Mapping[str, float] | None = None,
    step: int = 1,
    rows: Iterable[str] = ("x_t", "f_t", "i_t", "o_t", "c_t", "h_t"),
    title: str | None = None,
    note: str | None = None,
    weight_range: float | None = None,
) -> CellExplorer:
    """A live one-unit LSTM cell: the diagram with every wire's value, a control for each input, weight and
    bias, presets, and a sequence mode with a strip chart; computed in the browser as the reader drags.

    ``mode``: ``"step"`` or ``"sequence"`` (default: ``"sequence"`` when ``sequence`` or ``xs`` is given).
    Unit 1 starts from ``sequence``'s weights, then ``preset``, then ``weights``, then ``params``, each on top
    of the one before:

    - ``sequence``: a key of :data:`SEQUENCES` (its inputs and its units' weights), or ``xs``: your own inputs
      (1 to 30 numbers in the range of ``x_t``);
    - ``preset``: a key of :data:`PRESETS`;
    - ``weights``: a one-unit :class:`~lstm_course.layout.CellWeights` (``H = I = 1``);
    - ``params``: values of :data:`PARAM_NAMES`, e.g. ``{"b_o": -6.0, "x_t": 0.5}``.

    ``unit2``: gate weights of a second unit (shows two units). ``step``: the step shown first (1-based).
    ``weight_range``: how far the weight and bias controls reach, ``±weight_range`` (default ±10, :data:`RANGES`),
    for a cell with larger numbers. ``rows``: the strip chart's rows, from :data:`STRIP_ROWS`. ``title``: a line
    above the explorer; ``note``: the line under the sequence controls (default: the ``sequence`` preset's note).
    Returns a :class:`CellExplorer`; display it (last line of a cell). Its ``records`` hold what it shows then,
    computed by :func:`lstm_course.cell.lstm_step`.
    """
    if mode not in (None, "step", "sequence"):
        raise ValueError(f"`mode` must be 'step' or 'sequence'; got {mode!r}.")
    if preset is not None and preset not in PRESETS:
        raise ValueError(f"`preset` must be one of {list(PRESETS)}; got {preset!r}.")
    if sequence is not None and sequence not in SEQUENCES:
        raise ValueError(f"`sequence` must be one of {list(SEQUENCES)}; got {sequence!r}.")
    if sequence is not None and xs is not None:
        raise ValueError("Give `sequence` (a preset's inputs and weights) or `xs` (your inputs), not both.")
    rows = list(rows)
    bad = [r for r in rows if r not in STRIP_ROWS]
    if bad or not rows:
        raise ValueError(f"`rows` must be a non-empty list from {list(STRIP_ROWS)}; got {rows}.")
    mode = mode or ("sequence" if sequence is not None or xs is not None else "step")
    limits = dict(RANGES)
    if weight_range is not None:
        if isinstance(weight_range, bool) or not isinstance(weight_range, (int, float)) \
                or not math.isfinite(weight_range) or weight_range <= 0:
            raise ValueError(f"`weight_range` must be a positive number (the controls then reach ±weight_range); "
                             f"got {weight_range!r}.")
        limits["W"] = limits["b"] = (-float(weight_range), float(weight_range))

    unit1 = {**_STATE, **_DEFAULT_UNIT}
    units = [unit1, dict(_DEFAULT_UNIT)]
    seq_xs = list(SEQUENCES["remember the first value"]["xs"])
    if sequence is not None:
        spec = SEQUENCES[sequence]
        seq_xs = list(spec["xs"])
        for u, p in enumerate(spec["units"]):
            units[u] = {**units[u], **p}
    if preset is not None:
        units[0] = {**units[0], **PRESETS[preset]["params"]}
    if weights is not None:
        units[0].update(_check_params(params_from_weights(weights), "weights", PARAM_NAMES[3:], limits))
    units[0].update(_check_params(params or {}, "params", limits=limits))
    two_units = sequence is not None and len(SEQUENCES[sequence]["units"]) > 1
    if unit2 is not None:
        units[1] = {**units[1], **_check_params(unit2, "unit2", PARAM_NAMES[3:], limits)}
        two_units = True
    if xs is not None:
        seq_xs = [float(x) for x in xs]
        lo, hi = RANGES["x_t"]
        if not 1 <= len(seq_xs) <= MAX_STEPS or not all(math.isfinite(x) and lo <= x <= hi for x in seq_xs):
            raise ValueError(f"`xs` must be 1 to {MAX_STEPS} numbers in [{lo:g}, {hi:g}]; got {list(xs)!r}.")
    if not (isinstance(step, int) and 1 <= step <= len(seq_xs)):
        raise ValueError(f"`step` must be an integer from 1 to {len(seq_xs)} (the sequence's length); got {step!r}.")

    config: dict[str, Any] = {
        "mode": mode, "units": units, "two_units": two_units, "xs": seq_xs, "sequence": sequence, "step": step,
        "rows": rows, "title": title, "note": note, "ranges": {k: list(v) for k, v in limits.items()},
        "presets": PRESETS, "sequences": SEQUENCES,
    }
    if mode == "step":
        records: dict[str, Any] = one_step(units[0])
    else:
        records = run_sequence(seq_xs, units[:2] if two_units else units[:1])
    return CellExplorer(_page(config), config, records)


def _page(config: dict[str, Any]) -> str:
    root_id = f"lx-{next(_counter)}-{uuid.uuid4().hex[:8]}"
    config_json = json.dumps(config).replace("</", "<\\/")
    return (
        '<div class="lstm-course-explorer">\n'
        f"<style>{_read_static(CSS_FILE)}</style>\n"
        f'<div class="lx" id="{root_id}"><p>{html.escape(_NO_SCRIPT)}</p></div>\n'
        f"<script>\n{bundle_js()}\n"
        f'window.lstmCourse.mount(window.lstmCourse.find("{root_id}"), {config_json});\n'
        "</script>\n</div>"
    )


_NO_SCRIPT = ("The LSTM cell explorer draws itself with JavaScript. In Jupyter, run this cell (or trust the "
              "notebook) to see it.")
