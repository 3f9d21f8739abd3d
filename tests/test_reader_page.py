"""lstm_course.reader.page: the weights the page embeds, its script's math against the library's forward, sampling,
the output's HTML, and bad arguments.

The page's JavaScript (`static/reader.js`, which runs `static/lstm_cell.js`'s `lstm_step`) is checked with Node when
it is installed, else in Chromium (the linked page script, as the page runs it); with neither, skipped with the
reason, except under CI, where that is a failure. tests/site/test_reader_page.py checks the page itself through the
DOM; tests/lab/test_reader_lab.py in JupyterLab and Notebook 7.
"""

from __future__ import annotations

import base64
import gzip
import json
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from _browser import chromium_browser, find_chromium, on_ci

from lstm_course.reader import corpus
from lstm_course.reader import page as rp
from lstm_course.reader.model import Reader, build_model, load_reader

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "reader"
READER_JS = ROOT / "lstm_course" / "static" / "reader.js"
#: The library's very weights in the page (int8 rows times float32 scales, rebuilt exactly), float64 arithmetic there,
#: float32 in the library: only rounding differs. The bound is on |page - library| / max(1, |library|): absolute for
#: h_t and the gates (in -1..1), relative for a c_t above 1 in size, where float32's own step grows with |c_t| (7.6e-6
#: at 87). Measured here with the H = 256 reader on this test's 618 characters, every unit and quantity: up to 3.1e-5
#: absolute (on a large c_t), 1.7e-6 relative.
TOLERANCE = 1e-5


@lru_cache(maxsize=1)
def _trained() -> Reader:
    return load_reader()


def _heldout(n: int, skip: int = 0) -> str:
    """`n` characters of the first held-out file, from character `skip`."""
    return corpus.corpus_files("heldout")[0][1][skip: skip + n]


# What the tests run in JavaScript, given reader.js's exports R: the trace of a text (every unit of every quantity),
# an edit's recomputation, and a sample.
HARNESS = r"""
function runChecks(R, config, job) {
  const model = R.buildModel(config.model);
  const QS = ["c_t", "h_t", "f_t", "i_t", "o_t"];
  const full = new R.Trace(model);
  full.setText(Array.from(job.text));
  const trace = {};
  for (const q of QS) trace[q] = full.states.map((s) => Array.from(s[q]));
  // the page's fast step against lstm_cell.js's lstm_step itself, every state, bit for bit
  const reference = new R.Trace(model, true);
  reference.setText(Array.from(job.text));
  const QS6 = [...QS, "c_tilde"];
  const asReference = reference.states.length === full.states.length && full.states.every((s, t) =>
    QS6.every((q) => s[q].length === model.H && s[q].every((v, u) => v === reference.states[t][q][u])));
  // an edit in the middle: only the characters from the edit on are run again, and give the full run's numbers
  const inc = new R.Trace(model);
  inc.setText(Array.from(job.before));
  const from = inc.setText(Array.from(job.after));
  const again = new R.Trace(model);
  again.setText(Array.from(job.after));
  const same = inc.states.length === again.states.length && inc.states.every((s, t) =>
    QS.every((q) => s[q].every((v, u) => v === again.states[t][q][u])));
  const st = new R.Trace(model);
  st.setText(Array.from(job.prompt));
  const sample = R.sampleInto(st, job.n, job.temperature, job.seed).join("");
  const rand = R.mulberry32(job.seed);
  const uniforms = [rand(), rand(), rand()];
  return { trace, asReference, from, same, sample, uniforms };
}
"""


def _run_node(config: dict, job: dict, tmp: Path) -> dict:
    (tmp / "config.json").write_text(json.dumps(config))
    (tmp / "job.json").write_text(json.dumps(job))
    script = tmp / "run.mjs"
    script.write_text(
        'import { readFileSync, writeFileSync } from "node:fs";\n'
        f"import * as R from {json.dumps(READER_JS.as_uri())};\n{HARNESS}\n"
        f"const config = JSON.parse(readFileSync({json.dumps(str(tmp / 'config.json'))}, 'utf8'));\n"
        f"const job = JSON.parse(readFileSync({json.dumps(str(tmp / 'job.json'))}, 'utf8'));\n"
        f"writeFileSync({json.dumps(str(tmp / 'out.json'))}, JSON.stringify(runChecks(R, config, job)));\n")
    proc = subprocess.run(["node", str(script)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads((tmp / "out.json").read_text())


def _run_chromium(config: dict, job: dict) -> dict:
    with chromium_browser(find_chromium()) as browser:
        page = browser.new_page()
        page.set_content("<!doctype html><title>reader.js checks</title>")
        page.add_script_tag(content=rp.bundle_js())
        return page.evaluate(f"([config, job]) => {{ {HARNESS}\n return runChecks(window.lstmCourseReader.reader, "
                             "config, job); }", [config, job])


def run_js(config: dict, job: dict, tmp: Path) -> dict:
    """`HARNESS` on reader.js: with Node if installed, else in Chromium; else skip (fail under CI)."""
    if shutil.which("node"):
        return _run_node(config, job, tmp)
    if find_chromium():
        return _run_chromium(config, job)
    reason = "neither Node (`node`) nor Chromium (/usr/bin/chromium) is installed to run reader.js"
    if on_ci():
        pytest.fail(f"CI is set but {reason}")
    pytest.skip(reason)


def differences(got: np.ndarray, want: np.ndarray) -> tuple[float, float]:
    """(largest |got - want|, largest |got - want| / max(1, |want|)), in float64."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, (got.shape, want.shape)
    diff = np.abs(got - want)
    return float(diff.max(initial=0.0)), float((diff / np.maximum(1.0, np.abs(want))).max(initial=0.0))


def largest_difference(js_trace: dict[str, list], want: dict[str, np.ndarray]) -> tuple[float, float]:
    """Over every quantity: the largest absolute difference and the largest scaled one (see TOLERANCE)."""
    pairs = [differences(js_trace[q], want[q]) for q in rp.QUANTITIES]
    return max(a for a, _ in pairs), max(r for _, r in pairs)


@pytest.fixture(scope="module")
def js_result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    reader = _trained()
    text = _heldout(560) + "s = 'caf\u00e9 \U0001f600'\t# tab, accents, an emoji: unknown characters\n"
    after = text[:250] + "# an edit\n" + text[250:]
    job = {"text": text, "before": text, "after": after, "prompt": text[:300], "n": 120, "temperature": 0.7,
           "seed": 11}
    config = rp.reader_view(reader, text).config
    return {"job": job, "out": run_js(config, job, tmp_path_factory.mktemp("readerjs")),
            "want": rp.trace_model(reader, text)}


def test_the_page_script_gives_the_librarys_trace(js_result: dict[str, Any]) -> None:
    """Every unit, every quantity, 560 held-out characters and a line with characters outside the vocabulary (one
    row per code point, as Python indexes a str, an emoji included): reader.js against Reader.trace (float32)."""
    absolute, scaled = largest_difference(js_result["out"]["trace"], js_result["want"])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "js_vs_python_unit.json").write_text(json.dumps(
        {"characters": len(js_result["job"]["text"]), "units": "all", "quantities": list(rp.QUANTITIES),
         "weights": "the library's numbers (int8 rows times float32 scales)", "largest_abs_difference": absolute,
         "largest_difference_over_max_1_abs": scaled}, indent=1))
    assert scaled <= TOLERANCE, f"reader.js differs from Reader.trace by {scaled} (scaled; absolute {absolute})"


def test_the_fast_step_is_lstm_cell_js_lstm_step_bit_for_bit(js_result: dict[str, Any]) -> None:
    assert js_result["out"]["asReference"], "fastStep differs from lstm_cell.js's lstm_step"


def test_the_comparison_would_catch_a_wrong_number(js_result: dict[str, Any]) -> None:
    want = {q: v.copy() for q, v in js_result["want"].items()}
    want["f_t"][123, 45] += 1e-4
    assert largest_difference(js_result["out"]["trace"], want)[1] > TOLERANCE


def test_an_edit_reruns_only_from_the_edit_and_gives_the_same_numbers(js_result: dict[str, Any]) -> None:
    out = js_result["out"]
    assert out["from"] == 250, f"the edit at character 250 reran from {out['from']}"
    assert out["same"], "after the edit the kept and rerun states differ from a full run (bit for bit)"


def test_sampling_in_the_page_is_what_python_draws(js_result: dict[str, Any]) -> None:
    job, out = js_result["job"], js_result["out"]
    gen = rp.mulberry32(job["seed"])
    assert out["uniforms"] == [next(gen) for _ in range(3)]
    want = rp.page_sample(_trained(), job["prompt"], job["n"], job["temperature"], job["seed"])
    assert out["sample"] == want
    assert len(want) == job["n"] and corpus.UNKNOWN_CHAR not in want
    other = rp.page_sample(_trained(), job["prompt"], job["n"], job["temperature"], job["seed"] + 1)
    assert other != want, "another seed draws other characters"


def _embedded(m: dict, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """Array `name` of the page's model as the page rebuilds it (int8 rows times their float32 scales, or floats)."""
    dtype = {"int8": "<i1", "float16": "<f2", "float32": "<f4"}[m["dtypes"][name]]
    values = np.frombuffer(base64.b64decode(m[name]), dtype=dtype).astype(np.float32)
    if m["dtypes"][name] == "int8":
        scale = np.frombuffer(base64.b64decode(m[name + "_scale"]), dtype="<f4")
        values = (values.reshape(len(scale), -1) * scale[:, None]).astype(np.float32)
    return values.reshape(shape)


def test_the_embedded_weights_are_the_models_float32_numbers() -> None:
    reader = _trained()
    config = rp.reader_view(reader, "x = 1\n").config
    m = config["model"]
    arrays = rp.model_weights(reader)
    for name, want in arrays.items():
        assert np.array_equal(_embedded(m, name, want.shape), want), name
    # The trained weight matrices are 8-bit integers times a scale per row (quantize_rows): the page carries them in
    # a quarter of float32's bytes. b_y is a float16 value; b = bias_ih + bias_hh, a sum of two, need not be.
    assert [m["dtypes"][k] for k in ("W_h", "W_x", "W_y", "b_y")] == ["int8", "int8", "int8", "float16"]
    assert m["dtypes"]["b"] in ("float16", "float32")
    H, V = m["H"], len(m["vocab"])
    assert (H, V, m["unknown"]) == (256, 97, corpus.UNKNOWN) and m["vocab"] == corpus.VOCAB
    # The layout: a float64 forward on these arrays, gates f, i, c, o, one-hot columns of W_x, is Reader.trace.
    text = _heldout(200, skip=1000)
    W_h, W_x, b = (arrays[k].astype(np.float64) for k in ("W_h", "W_x", "b"))
    h, c = np.zeros(H), np.zeros(H)
    rows = []
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    for k in corpus.encode(text).tolist():
        z = W_h @ h + W_x[:, :, k] + b  # (4, H)
        f, i, ct, o = sig(z[0]), sig(z[1]), np.tanh(z[2]), sig(z[3])
        c = f * c + i * ct
        h = o * np.tanh(c)
        rows.append(c.copy())
    want = reader.trace(text)["c_t"].double().numpy()
    assert differences(np.array(rows), want)[1] < TOLERANCE


def test_records_are_the_trace_of_the_starting_text() -> None:
    reader = _trained()
    view = rp.reader_view(reader, "for k in range(3):\n    print(k)\n", units={"a": 5}, quantity="h_t")
    want = reader.trace("for k in range(3):\n    print(k)\n")
    assert set(view.records) == set(want)
    for q, v in want.items():
        assert np.array_equal(view.records[q], v.numpy()), q
    assert (view.config["unit"], view.config["quantity"], view.config["units"]) == (5, "h_t", [["a", 5]])
    assert repr(view) == "<ReaderView unit=5 quantity='h_t' chars=32>"
    assert rp.reader_view(reader, "").records["c_t"].shape == (0, 256)


def test_the_output_is_self_contained_and_under_3_MB() -> None:
    text = 'print("</script><!-- $x$ \\(y\\)")\n' + _heldout(2000)
    view = rp.reader_view(_trained(), text, title="A </script> title")
    page = view._repr_html_()
    assert page.count("<script>") == 1 and page.count("</script>") == 1  # neither the text nor the title ends it
    assert "<style>" in page and "window.lstmCourseReader.mount(" in page
    assert "http://" not in page and "https://" not in page and " src=" not in page  # nothing to fetch
    outside = page[: page.index("<script>")] + page[page.index("</script>"):]
    assert "$" not in outside and "\\(" not in outside and "tex2jax_ignore" in outside
    raw = len(page.encode())
    packed = len(gzip.compress(page.encode(), compresslevel=9))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "page_weight.json").write_text(json.dumps(
        {"characters_of_text": len(text), "bytes": raw, "gzip_bytes": packed,
         "weights": "int8 rows with float32 scales (W_h, W_x, W_y), float16/float32 biases, base64",
         "static_bytes": {f: len(rp._read_static(f).encode()) for f in (*rp.JS_FILES, rp.CSS_FILE)}}, indent=1))
    assert raw < 3_000_000, f"the reader's output weighs {raw} bytes"


def test_the_linked_script_keeps_each_module_apart() -> None:
    js = rp.bundle_js()
    assert "\nimport " not in js and "\nexport " not in js
    assert "const {cell_update, hidden_state, lstm_step, sigmoid} = __rd_lstm_cell;" in js.replace(" }", "}").replace(
        "{ ", "{")
    if shutil.which("node"):
        proc = subprocess.run(["node", "--check", "-"], input=js, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr


def test_the_linker_refuses_what_it_cannot_link(monkeypatch: pytest.MonkeyPatch) -> None:
    real = rp._read_static
    monkeypatch.setattr(rp, "_read_static", lambda f: ("import * as c from './lstm_cell.js';\n" + real(f))
                        if f == "reader.js" else real(f))
    with pytest.raises(ValueError, match=r"reader\.js:1: only `import"):
        rp.bundle_js()


@pytest.mark.parametrize("kwargs, error, match", [
    ({"text": 5}, TypeError, "`text` must be a str"),
    ({"text": "x" * 20_001}, ValueError, "at most 20000"),
    ({"units": [3]}, TypeError, "`units` must be a dict"),
    ({"units": {"string": 256}}, ValueError, r"from 0 to 255 \(the model has H = 256\)"),
    ({"unit": "string"}, ValueError, "is not a name of `units`"),
    ({"unit": -1}, ValueError, "`unit` must be an index from 0 to 255"),
    ({"quantity": "g_t"}, ValueError, "`quantity` must be one of"),
    ({"temperature": 0.0}, ValueError, "`temperature` must be a number from 0.1 to 2"),
    ({"seed": -3}, ValueError, "`seed` must be an integer"),
    ({"sample_length": 0}, ValueError, "`sample_length` must be an integer from 1 to 2000"),
])
def test_bad_arguments_name_the_fix(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        rp.reader_view(_trained(), **kwargs)


def test_names_of_one_unit_are_joined() -> None:
    view = rp.reader_view(_trained(), "x", units={"inside a string": 10, "bracket depth": 57, "inside a comment": 10},
                          unit="inside a comment")
    assert view.config["units"] == [["inside a string and inside a comment", 10], ["bracket depth", 57]]
    assert view.config["unit"] == 10


def test_only_the_lstm_reader_is_accepted() -> None:
    with pytest.raises(TypeError, match="not the GRU or RNN baselines"):
        rp.reader_view(build_model("gru", 0))
    with pytest.raises(TypeError, match="`reader` must be a Reader"):
        rp.reader_view(torch.nn.LSTM(97, 8))
    untrained = rp.reader_view(build_model("lstm", 0), "a")  # a bare CharLSTM works too
    assert untrained.records["c_t"].shape == (1, 256)
    # its weights are not float16 values: they go in float32, so the page still runs the library's numbers
    m = untrained.config["model"]
    assert set(m["dtypes"].values()) == {"float32"}
    for name, want in rp.model_weights(build_model("lstm", 0)).items():
        assert np.array_equal(_embedded(m, name, want.shape), want), name
