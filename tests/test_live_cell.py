"""lstm_course.live_cell: the explorer's JavaScript math against lstm_course.cell, its linking, its configuration.

The JS math (`lstm_course/static/lstm_cell.js`) is checked on fixtures computed here with lstm_course.cell:
with Node (`node --test tests/js/`) when it is installed, else in Chromium (the linked page script, as the site runs
it). With neither, the check is skipped with the reason, except under CI (`CI=true`), where that is a failure: CI
machines have Node or Debian's Chromium (`.ci/run` installs it). `tests/site/test_cell_explorer.py` checks the
explorer itself in the built site.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from _browser import chromium_browser, find_chromium, on_ci, require_chromium

from lstm_course import live_cell
from lstm_course.cell import (
    candidate,
    cell_update,
    concat_hx,
    forget_gate,
    hidden_state,
    input_gate,
    lstm_step,
    output_gate,
)
from lstm_course.gradients import forget_path_product
from lstm_course.layout import CellWeights

ROOT = Path(__file__).resolve().parent.parent
JS_TESTS = ROOT / "tests" / "js"
TOLERANCE = 1e-12  # both sides compute in float64; only the order of a sum and the last bit of exp/tanh may differ


def _random_weights(H: int, I: int, gen: torch.Generator, scale: float = 3.0) -> CellWeights:
    fields = {}
    for g in "fico":
        fields[f"W_{g}"] = (torch.rand(H, H + I, generator=gen, dtype=torch.float64) * 2 - 1) * scale  # (H, H+I)
        fields[f"b_{g}"] = (torch.rand(H, generator=gen, dtype=torch.float64) * 2 - 1) * scale  # (H,)
    return CellWeights(**fields)


def _listed(weights: CellWeights) -> dict:
    return {k: v.tolist() for k, v in weights._asdict().items()}


def make_fixtures(seed: int = 0, n_steps: int = 60, n_sequences: int = 6) -> dict:
    """Random one-step settings and sequences (H from 1 to 3, I 1 or 2), with what lstm_course computes."""
    gen = torch.Generator().manual_seed(seed)
    rnd = lambda *shape: torch.rand(*shape, generator=gen, dtype=torch.float64) * 4 - 2  # noqa: E731
    steps = []
    for k in range(n_steps):
        H, I = 1 + k % 3, 1 + (k // 3) % 2
        x_t, h_prev, c_prev = rnd(I), rnd(H) / 2, rnd(H)  # (I,), (H,), (H,)
        w = _random_weights(H, I, gen)
        f_t, i_t = forget_gate(h_prev, x_t, w.W_f, w.b_f), input_gate(h_prev, x_t, w.W_i, w.b_i)
        c_tilde, o_t = candidate(h_prev, x_t, w.W_c, w.b_c), output_gate(h_prev, x_t, w.W_o, w.b_o)
        c_t = cell_update(f_t, c_prev, i_t, c_tilde)
        h_t = hidden_state(o_t, c_t)
        h_ref, c_ref = lstm_step(x_t, h_prev, c_prev, w)
        assert torch.equal(h_ref, h_t) and torch.equal(c_ref, c_t)  # the six functions are lstm_step
        steps.append({
            "x_t": x_t.tolist(), "h_prev": h_prev.tolist(), "c_prev": c_prev.tolist(), "weights": _listed(w),
            "expected": {"hx": concat_hx(h_prev, x_t).tolist(), "f_t": f_t.tolist(), "i_t": i_t.tolist(),
                         "c_tilde": c_tilde.tolist(), "c_t": c_t.tolist(), "o_t": o_t.tolist(), "h_t": h_t.tolist()},
        })
    sequences = []
    for k in range(n_sequences):
        H, I, T = 1 + k % 3, 1 + k % 2, 5 + 5 * k
        xs = rnd(T, I)  # (T, I)
        w = _random_weights(H, I, gen, scale=2.0)
        h, c = rnd(H) / 2, rnd(H)  # (H,) h_0, c_0
        h_0, c_0 = h.tolist(), c.tolist()
        names = ("f_t", "i_t", "c_tilde", "c_t", "o_t", "h_t", "h_prev", "c_prev")
        rows: dict[str, list] = {name: [] for name in names}
        for x_t in xs.unbind(0):  # (I,)
            rows["h_prev"].append(h.tolist())
            rows["c_prev"].append(c.tolist())
            h, c, g = lstm_step(x_t, h, c, w, return_gates=True)
            for name, v in zip(("f_t", "i_t", "c_tilde", "c_t", "o_t", "h_t"), (*g[:3], c, g.o_t, h), strict=True):
                rows[name].append(v.tolist())
        rows["belt"] = forget_path_product(np.array(rows["f_t"])).tolist()
        sequences.append({"xs": xs.tolist(), "h_0": h_0, "c_0": c_0, "weights": _listed(w), "expected": rows})
    z = torch.linspace(-40, 40, 81, dtype=torch.float64)
    return {"tolerance": TOLERANCE, "steps": steps, "sequences": sequences,
            "sigmoid": torch.stack([z, torch.sigmoid(z)], dim=1).tolist()}


def _run_node(fixtures: dict, tmp_path: Path) -> tuple[int, dict | None, str]:
    fx, result = tmp_path / "fixtures.json", tmp_path / "result.json"
    fx.write_text(json.dumps(fixtures))
    env = {**os.environ, "LSTM_COURSE_JS_FIXTURES": str(fx), "LSTM_COURSE_JS_RESULT": str(result)}
    proc = subprocess.run(["node", "--test", str(JS_TESTS / "lstm_cell.test.mjs")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    data = json.loads(result.read_text()) if result.is_file() else None
    return proc.returncode, data, proc.stdout[-3000:] + proc.stderr[-3000:]


def _need_chromium() -> str:
    return require_chromium("no Chromium (/usr/bin/chromium) to load the page in",
                            "CI is set but no Chromium is installed (/usr/bin/chromium)")


def _run_chromium(fixtures: dict) -> dict:
    """The checks of tests/js/lstm_cell_checks.mjs on the linked page script (`bundle_js`), in Chromium."""
    checks = (JS_TESTS / "lstm_cell_checks.mjs").read_text() + "\nwindow.__checkFixtures = checkFixtures;\n"
    with chromium_browser(find_chromium()) as browser:
        page = browser.new_page()
        page.set_content("<!doctype html><title>lstm_cell.js checks</title>")
        page.add_script_tag(content=live_cell.bundle_js())
        page.add_script_tag(content=checks, type="module")
        page.wait_for_function("() => typeof window.__checkFixtures === 'function'")
        return page.evaluate("(f) => window.__checkFixtures(window.lstmCourse.cell, f)", fixtures)


def _js_runner() -> str:
    if shutil.which("node"):
        return "node"
    if find_chromium():
        return "chromium"
    reason = "neither Node (`node`) nor Chromium (/usr/bin/chromium) is installed to run the JavaScript checks"
    if on_ci():
        pytest.fail(f"CI is set but {reason}")
    pytest.skip(reason)


def _check_js(fixtures: dict, tmp_path: Path) -> tuple[bool, dict, str]:
    """(passed, {checked, maxDiff, failures}, log) from Node, or from Chromium without Node."""
    if _js_runner() == "node":
        rc, data, log = _run_node(fixtures, tmp_path)
        assert data is not None, f"node wrote no result (exit {rc}):\n{log}"
        return rc == 0, data, log
    data = _run_chromium(fixtures)
    return not data["failures"], data, "chromium"


def test_js_math_gives_lstm_course_numbers(tmp_path: Path) -> None:
    fixtures = make_fixtures()
    passed, data, log = _check_js(fixtures, tmp_path)
    assert passed and not data["failures"], f"{data['failures'][:10]}\n{log}"
    n_values = 9 * len(fixtures["steps"]) + 9 * len(fixtures["sequences"]) + len(fixtures["sigmoid"])
    assert data["checked"] >= n_values, data
    assert data["maxDiff"] <= TOLERANCE, data


def test_the_page_script_math_gives_lstm_course_numbers_in_chromium() -> None:
    """The same checks on the linked script the page runs (and the path used when Node is missing)."""
    _need_chromium()
    data = _run_chromium(make_fixtures(n_steps=30, n_sequences=3))
    assert not data["failures"] and data["checked"] > 200 and data["maxDiff"] <= TOLERANCE, data


def test_js_math_check_fails_on_a_wrong_number(tmp_path: Path) -> None:
    """Control: one expected value nudged by 1e-9 (well under what a reader sees) is caught."""
    fixtures = make_fixtures(n_steps=6, n_sequences=2)
    fixtures["steps"][4]["expected"]["c_t"][0] += 1e-9
    passed, data, _ = _check_js(fixtures, tmp_path)
    assert not passed
    assert any("step #4 cell_update" in f for f in data["failures"]), data["failures"]


def test_the_linked_script_is_valid_javascript(tmp_path: Path) -> None:
    if not shutil.which("node"):
        pytest.skip("node is not installed (the browser tests run the script in Chromium)")
    script = tmp_path / "bundle.js"
    script.write_text(live_cell.bundle_js())
    proc = subprocess.run(["node", "--check", str(script)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_explorer_helpers_under_node() -> None:
    """tests/js/cell_explorer.test.mjs: unit 2's x_t is the shared input (the table showed 'undefined')."""
    if not shutil.which("node"):
        pytest.skip("node is not installed (tests/site/test_reading.py scans the pages for 'undefined' in Chromium)")
    proc = subprocess.run(["node", "--test", str(JS_TESTS / "cell_explorer.test.mjs")], cwd=ROOT, capture_output=True,
                          text=True)
    assert proc.returncode == 0 and "# pass 1" in proc.stdout, proc.stdout + proc.stderr


def test_bundle_links_each_module_in_its_own_scope() -> None:
    js = live_cell.bundle_js()
    assert "export " not in js.replace("exported", "") and "\nimport " not in js
    for fname in live_cell.JS_FILES:
        assert f"// ---- static/{fname}" in js
    assert "const {affine, forget_path_product, lstm_sequence} = __lstm_cell;" in js.replace(" }", "}").replace(
        "{ ", "{")
    assert "mount: __cell_explorer.mount" in js


def test_bundle_refuses_an_import_it_cannot_link(monkeypatch: pytest.MonkeyPatch) -> None:
    real = live_cell._read_static

    def fake(fname: str) -> str:
        text = real(fname)
        return "import * as everything from './lstm_cell.js';\n" + text if fname == "cell_drawing.js" else text

    monkeypatch.setattr(live_cell, "_read_static", fake)
    with pytest.raises(ValueError, match=r"cell_drawing\.js:1: only `import"):
        live_cell.bundle_js()


def test_static_files_stay_under_100_kB() -> None:
    sizes = live_cell.static_size_bytes()
    assert set(sizes) == {*live_cell.JS_FILES, live_cell.CSS_FILE}
    assert sum(sizes.values()) < 100_000, sizes


@pytest.mark.parametrize("preset", sorted(live_cell.PRESETS))
def test_presets_show_what_they_say(preset: str) -> None:
    n = live_cell.cell_explorer(preset=preset).records
    if preset == "remember":
        assert n["f_t"] > 0.99 and n["i_t"] < 0.01 and abs(n["c_t"] - n["c_prev"]) < 0.01
    elif preset == "forget":
        assert n["f_t"] < 0.01 and abs(n["c_t"]) < 0.01
    elif preset == "write":
        assert n["i_t"] > 0.99 and abs(n["c_t"] - np.tanh(2 * n["x_t"])) < 0.01
    else:  # hide
        assert n["o_t"] < 0.01 and abs(n["c_t"] - n["c_prev"]) < 0.01 and abs(n["h_t"]) < 0.01


def test_sequence_presets_show_what_they_say() -> None:
    first = live_cell.cell_explorer(sequence="remember the first value").records
    assert first["i_t"][0, 0] > 0.8 and np.all(first["i_t"][1:, 0] < 0.01)
    assert np.ptp(first["c_t"][:, 0]) < 0.02  # the first write survives every distractor
    reset = live_cell.cell_explorer(sequence="reset on a marker").records
    markers = np.flatnonzero(reset["x_t"] == -1)
    assert markers.size == 2 and np.all(reset["f_t"][markers, 0] < 0.02) and np.all(reset["c_t"][markers, 0] < 0.03)
    count = live_cell.cell_explorer(sequence="count").records
    ones = np.cumsum(count["x_t"] == 1)
    assert np.allclose(count["c_t"][:, 0], 0.29 * ones, atol=0.02)
    two = live_cell.cell_explorer(sequence="two units: first value and count").records
    assert two["c_t"].shape == (15, 2) and np.ptp(two["c_t"][:, 0]) < 0.06 and two["c_t"][-1, 1] > 2


def test_records_are_lstm_step_with_the_explorers_weights() -> None:
    p = {"x_t": 0.7, "h_prev": -0.2, "c_prev": 1.1, "W_f_h": 1.0, "W_f_x": -2.0, "b_f": 0.5, "W_i_h": 0.3,
         "W_i_x": 1.0, "b_i": -1.0, "W_c_h": -0.4, "W_c_x": 2.0, "b_c": 0.1, "W_o_h": 0.2, "W_o_x": -1.5, "b_o": 1.0}
    got = live_cell.cell_explorer(params=p).records
    row = lambda *v: torch.tensor([v], dtype=torch.float64)  # noqa: E731  (1, H+I) or (1,)
    w = CellWeights(row(1.0, -2.0), row(0.5)[0], row(0.3, 1.0), row(-1.0)[0], row(-0.4, 2.0), row(0.1)[0],
                    row(0.2, -1.5), row(1.0)[0])
    h, c, g = lstm_step(row(0.7)[0], row(-0.2)[0], row(1.1)[0], w, return_gates=True)
    assert (got["f_t"], got["i_t"], got["c_tilde"], got["o_t"]) == tuple(float(v[0]) for v in g)
    assert got["c_t"] == float(c[0]) and got["h_t"] == float(h[0])
    # two units: each unit's recurrent weight sees its own h_{t-1} only
    W = live_cell.cell_weights([{**p, "W_f_h": 1.0}, {**p, "W_f_h": 2.0}]).W_f
    assert W.tolist() == [[1.0, 0.0, -2.0], [0.0, 2.0, -2.0]]


def test_sequence_records_follow_lstm_step_from_zero() -> None:
    xs = [0.5, -1.0, 2.0, 0.0]
    e = live_cell.cell_explorer(xs=xs, params={"b_f": 1.0, "W_i_x": 2.0}, step=3)
    assert e.config["mode"] == "sequence" and e.config["step"] == 3
    r = e.records
    h = c = torch.zeros(1, dtype=torch.float64)
    weights = live_cell.cell_weights([e.config["units"][0]])
    for t, x in enumerate(xs):
        assert r["h_prev"][t, 0] == float(h[0]) and r["c_prev"][t, 0] == float(c[0])
        h, c = lstm_step(torch.tensor([x], dtype=torch.float64), h, c, weights)
        assert r["h_t"][t, 0] == float(h[0]) and r["c_t"][t, 0] == float(c[0])
    assert np.allclose(r["belt"][:, 0], [np.prod(r["f_t"][t + 1:, 0]) for t in range(4)])


def test_weights_of_a_one_unit_cell_set_the_gate_controls() -> None:
    t = lambda *v: torch.tensor(v, dtype=torch.float32)  # noqa: E731
    w = CellWeights(t([0.6, 1.2]).reshape(1, 2), t(0.5), t([-0.4, 0.9]).reshape(1, 2), t(-0.3),
                    t([0.8, -1.1]).reshape(1, 2), t(0.2), t([1.0, 0.7]).reshape(1, 2), t(-0.2))
    e = live_cell.cell_explorer(weights=w, params={"x_t": 1.0, "h_prev": 0.5, "c_prev": 0.8})
    h, c = lstm_step(t(1.0), t(0.5), t(0.8), w)
    assert abs(e.records["h_t"] - float(h[0])) < 1e-6 and abs(e.records["c_t"] - float(c[0])) < 1e-6
    assert e.config["units"][0]["W_c_x"] == pytest.approx(-1.1)
    with pytest.raises(ValueError, match="one-unit cell"):
        live_cell.cell_explorer(weights=_random_weights(2, 1, torch.Generator().manual_seed(0)))


@pytest.mark.parametrize("kwargs, match", [
    ({"mode": "graph"}, "`mode` must be 'step' or 'sequence'"),
    ({"preset": "recall"}, "`preset` must be one of"),
    ({"sequence": "copy"}, "`sequence` must be one of"),
    ({"params": {"W_f": 1.0}}, "unknown name 'W_f'"),
    ({"params": {"b_f": 12.0}}, r"outside the control's range \[-10, 10\]"),
    ({"xs": [0.0] * 31}, "1 to 30 numbers"),
    ({"xs": [0.0, 5.0]}, r"in \[-3, 3\]"),
    ({"xs": [0.0], "sequence": "count"}, "not both"),
    ({"rows": ["g_t"]}, "`rows` must be a non-empty list"),
    ({"sequence": "count", "step": 21}, "`step` must be an integer from 1 to 20"),
    ({"unit2": {"x_t": 1.0}}, "`unit2` has unknown name 'x_t'"),
])
def test_bad_arguments_name_the_fix(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        live_cell.cell_explorer(**kwargs)


def test_the_output_is_self_contained_html() -> None:
    e = live_cell.cell_explorer(title="A </script> in a title")
    page = e._repr_html_()
    assert page.count("<script>") == 1 and page.count("</script>") == 1  # the title cannot end the script
    assert "<style>" in page and "window.lstmCourse.mount(" in page
    fetchable = page.replace('"http://www.w3.org/2000/svg"', "")  # the SVG namespace is a name, never fetched
    assert "http://" not in fetchable and "https://" not in fetchable and " src=" not in page  # nothing to fetch
    outside_script = page[: page.index("<script>")] + page[page.index("</script>"):]
    assert "$" not in outside_script and "\\(" not in outside_script  # MathJax on the site leaves it alone
    assert repr(e) == "<CellExplorer mode='step'>"


def test_every_control_works_in_a_bare_page_without_an_error() -> None:
    """A quick smoke test in Chromium, without the book: both modes, presets, stepping, typing, two units.
    (tests/site/test_cell_explorer.py checks the numbers in the built book, tests/lab in JupyterLab.)"""
    chromium = _need_chromium()
    page_html = "<!doctype html><meta charset=utf-8><title>explorer</title>" + "".join(
        live_cell.cell_explorer(**kw)._repr_html_() for kw in ({}, {"sequence": "reset on a marker", "step": 3}))
    errors: list[str] = []
    with chromium_browser(chromium) as browser:
        page = browser.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.set_content(page_html)
        step, seq = (page.locator(".lx").nth(k) for k in range(2))
        assert step.get_attribute("data-mode") == "step" and seq.get_attribute("data-mode") == "sequence"
        assert seq.get_attribute("data-step") == "3"
        for name in live_cell.PRESETS:
            step.locator(f'button[data-preset="{name}"]').click()
        assert float(step.locator('[data-quantity="o_t"]').first.get_attribute("data-value")) < 0.01  # hide
        step.locator('input[data-input="mode"][value="sequence"]').check()
        step.locator('button[data-action="next"]').click()
        step.locator('input[data-input="sequence"]').fill("1 0 -1 0.5")
        step.locator('input[data-input="sequence"]').press("Enter")
        assert step.get_attribute("data-steps") == "4"
        step.locator('input[data-input="two_units"]').check()
        step.locator('input[data-input="unit"][value="2"]').check()
        step.locator('input[data-input="b_f"]').fill("3")
        for _ in range(3):
            step.locator('button[data-action="next"]').click()
        assert step.get_attribute("data-units") == "2" and step.get_attribute("data-step") == "4"
        seq.locator('select[data-input="sequence-preset"]').select_option("two units: first value and count")
        seq.locator('button[data-action="play"]').click()
        page.wait_for_function("(e) => Number(e.dataset.step) >= 3", arg=seq.element_handle(), timeout=5000)
        seq.locator('button[data-action="play"]').click()
        seq.locator('input[data-input="mode"][value="step"]').check()
        rec = live_cell.one_step({**live_cell.SEQUENCES["two units: first value and count"]["units"][0],
                                  **live_cell._STATE})
        shown = float(seq.locator('[data-quantity="c_t"]').first.get_attribute("data-value"))
        assert abs(shown - rec["c_t"]) < 1e-12, (shown, rec["c_t"])
    assert not errors, errors


# As a notebook front end renders an HTML output: insert it (here inside an open shadow root), then re-create each
# <script> so that it runs (innerHTML alone does not run scripts).
_RENDER_IN_SHADOW_ROOT = """(html) => {
  const host = document.createElement("div");
  document.body.append(host);
  const root = host.attachShadow({ mode: "open" });
  const box = document.createElement("div");
  box.innerHTML = html;
  root.append(box);
  for (const old of box.querySelectorAll("script")) {
    const s = document.createElement("script");
    s.text = old.textContent;
    old.replaceWith(s);
  }
  const lx = root.querySelector(".lx");
  return { mode: lx.dataset.mode || null, controls: lx.querySelectorAll("input[data-input]").length };
}"""


def test_an_output_rendered_in_a_shadow_root_mounts() -> None:
    chromium = _need_chromium()
    with chromium_browser(chromium) as browser:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.set_content("<!doctype html><meta charset=utf-8><title>shadow</title>")
        got = page.evaluate(_RENDER_IN_SHADOW_ROOT, live_cell.cell_explorer()._repr_html_())
    assert got["mode"] == "step" and got["controls"] >= len(live_cell.PARAM_NAMES), got
    assert not errors, errors


@pytest.mark.slow
def test_the_scripts_ship_in_the_wheel(tmp_path: Path) -> None:
    src = tmp_path / "src"  # a copy: setuptools writes build/ and *.egg-info next to the sources
    shutil.copytree(ROOT / "lstm_course", src / "lstm_course", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(tmp_path / "dist"), str(src)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("lstm_course-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for fname in (*live_cell.JS_FILES, live_cell.CSS_FILE):
        assert f"lstm_course/static/{fname}" in names, sorted(n for n in names if "static" in n)
