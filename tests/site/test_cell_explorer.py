"""The cell explorer (issue 12) in the built book, in Chromium: its numbers are lstm_course's, it works from the
keyboard, its table follows the picture, its text is readable in light and dark mode, and the page logs no error.

The page is the built chapter that holds a step-mode explorer (chapter 01) and, for the sequence checks, the one with
"reset on a marker" (chapter 02). Values are set through the DOM (`input` events on the `<input data-input>`
controls), read from `data-value`, and compared with `lstm_course.cell.lstm_step` (through `live_cell.one_step` and
`live_cell.run_sequence`). The largest difference over 1,000 random settings and screenshots go to
`test-artifacts/cell_explorer/`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import explorercheck as ec
import numpy as np
import pytest
import sitecheck

from lstm_course import live_cell

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "cell_explorer"
TOLERANCE = 1e-6
N_RANDOM = 1000
#: Which chapter shows which explorer (tests/site/test_cell_explorer.py::test_the_chapters_use_the_explorer).
STEP_PAGE = "book/01_data_path.html"
SEQUENCE_PAGE = "book/02_forget_gate.html"


def _explorer_pages(site_dir: Path) -> dict[str, int]:
    """Built pages holding explorers: path -> how many."""
    found = {}
    for rel in sitecheck.html_pages(site_dir):
        n = len(re.findall(r'<div class="lx" id="', (site_dir / rel).read_text(encoding="utf-8", errors="replace")))
        if n:
            found[rel] = n
    return found


class ExplorerPage:
    """One built page open in its own browser context; console errors and page errors recorded from the start."""

    def __init__(self, browser: Any, site_url: str, rel: str) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 1000}, service_workers="block")
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.offhost: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

        def route(r: Any) -> None:
            if sitecheck._is_offhost(r.request.url, site_url):
                self.offhost.append(r.request.url)
                r.abort()
            else:
                r.continue_()

        self.page.route("**/*", route)
        self.page.goto(site_url + rel, wait_until="load")
        self.page.wait_for_load_state("networkidle")
        self.page.wait_for_function("() => document.querySelector('.lx[data-mode]')", timeout=15_000)

    def selector(self, mode: str, sequence: str | None = None) -> str:
        """A CSS selector of the first explorer in `mode` (and showing `sequence`, a SEQUENCES name)."""
        ids = self.page.evaluate(
            """([mode, seq]) => Array.from(document.querySelectorAll('.lx[data-mode]')).filter((r) =>
                 r.dataset.mode === mode && (!seq || r.querySelector('[data-input="sequence-preset"]').value === seq))
                 .map((r) => r.id)""", [mode, sequence])
        assert ids, f"no explorer in {mode} mode{' showing ' + repr(sequence) if sequence else ''} on this page"
        return f"#{ids[0]}"

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def explorer_pages(site_dir: Path) -> dict[str, int]:
    return _explorer_pages(site_dir)


@pytest.fixture
def open_page(browser: Any, site_url: str, explorer_pages: dict[str, int]) -> Iterator[Any]:
    opened: list[ExplorerPage] = []

    def open_(rel: str) -> ExplorerPage:
        assert rel in explorer_pages, f"{rel} holds no cell explorer; pages that do: {sorted(explorer_pages)}"
        p = ExplorerPage(browser, site_url, rel)
        opened.append(p)
        return p

    yield open_
    for p in opened:
        assert not p.errors, f"console errors: {p.errors}"
        assert not p.offhost, f"requests to another host: {p.offhost}"
        p.close()


@pytest.fixture(scope="module")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def test_the_chapters_use_the_explorer(explorer_pages: dict[str, int]) -> None:
    """Issue 12 point 6: chapter 01 has the explorer; 02, 04, 05, 06, 07 and 08 use it too."""
    want = ["01_data_path", "02_forget_gate", "04_cell_update", "05_output_gate", "06_whole_cell",
            "07_gradient_flow", "08_training"]
    missing = [c for c in want if f"book/{c}.html" not in explorer_pages]
    assert not missing, f"chapters without a cell explorer: {missing} (found: {explorer_pages})"


def test_1000_random_settings_give_lstm_steps_numbers(open_page: Any, artifacts: Path) -> None:
    p = open_page(STEP_PAGE)
    sel = p.selector("step")
    settings = ec.random_settings(N_RANDOM, seed=12)
    readings = p.page.evaluate(ec.SET_AND_READ, [sel, settings])
    not_kept = [(k, n) for k, (s, r) in enumerate(zip(settings, readings, strict=True))
                for n, v in s.items() if r["inputs"][n] != v]
    assert not not_kept, f"controls that did not keep the value set: {not_kept[:5]}"
    expected = [live_cell.one_step(s) for s in settings]
    worst, problems = ec.largest_difference(readings, expected)
    (artifacts / "largest_difference.json").write_text(json.dumps(
        {"page": STEP_PAGE, "settings": N_RANDOM, "seed": 12, "largest_abs_difference": worst,
         "quantities": list(ec.QUANTITIES)}, indent=1))
    assert not problems, problems[:10]
    assert worst <= TOLERANCE, f"the page differs from lstm_step by {worst} (tolerance {TOLERANCE})"


def test_a_wrong_number_would_be_caught(open_page: Any) -> None:
    """Control: the comparison sees a page value that is off by 1e-5."""
    p = open_page(STEP_PAGE)
    sel = p.selector("step")
    settings = ec.random_settings(3, seed=5)
    readings = p.page.evaluate(ec.SET_AND_READ, [sel, settings])
    expected = [live_cell.one_step(s) for s in settings]
    expected[1]["c_t"] += 1e-5
    worst, _ = ec.largest_difference(readings, expected)
    assert worst > TOLERANCE


def test_a_20_step_sequence_step_by_step(open_page: Any, artifacts: Path) -> None:
    p = open_page(SEQUENCE_PAGE)
    sel = p.selector("sequence", "reset on a marker")
    root = p.page.locator(sel)
    weights = ec.random_settings(1, seed=20, names=live_cell.PARAM_NAMES[3:])[0]
    xs = [round(s["x_t"], 6) for s in ec.random_settings(20, seed=21, names=("x_t",))]
    typed = root.locator('input[data-input="sequence"]')
    typed.fill(" ".join(str(x) for x in xs))
    typed.press("Enter")  # a text field reports `change` on Enter
    p.page.evaluate(ec.SET_AND_READ, [sel, [weights]])
    state = p.page.evaluate(ec.READ, sel)
    assert (state["mode"], state["step"], state["steps"]) == ("sequence", 1, 20), state
    units = {**live_cell.cell_explorer(sequence="reset on a marker").config["units"][0], **weights}
    want = live_cell.run_sequence(xs, [units])
    worst = 0.0
    for t in range(1, 21):
        state = p.page.evaluate(ec.READ, sel)
        assert state["step"] == t, f"the page shows step {state['step']}, expected {t}"
        expected = {q: float(want[q][t - 1] if q == "x_t" else want[q][t - 1, 0]) for q in ec.QUANTITIES}
        step_worst, problems = ec.largest_difference([state], [expected])
        assert not problems, (t, problems)
        worst = max(worst, step_worst)
        for name in ("x_t", "h_prev", "c_prev"):  # the state controls show this step's values
            shown = root.locator(f'output[for$="-{name}"]').text_content().replace("\u2212", "-")
            assert shown == f"{expected[name]:.2f}".replace("-0.00", "0.00"), (t, name, shown, expected[name])
        if t < 20:
            root.locator('button[data-action="next"]').click()
    assert worst <= TOLERANCE, f"step values differ from lstm_step by {worst}"
    assert root.locator('button[data-action="next"]').is_disabled()
    ec.screenshot(p.page, sel, artifacts / "site_sequence.png")


def test_two_units_each_follow_lstm_step(open_page: Any) -> None:
    p = open_page(SEQUENCE_PAGE)
    sel = p.selector("sequence", "reset on a marker")
    root = p.page.locator(sel)
    root.locator('select[data-input="sequence-preset"]').select_option("two units: first value and count")
    spec = live_cell.SEQUENCES["two units: first value and count"]
    want = live_cell.run_sequence(spec["xs"], spec["units"])
    T = len(spec["xs"])
    for t in range(1, T + 1):
        state = p.page.evaluate(ec.READ, sel)
        assert state["units"] == 2 and state["step"] == t
        for unit in (1, 2):
            expected = {q: float(want[q][t - 1] if q == "x_t" else want[q][t - 1, unit - 1]) for q in ec.QUANTITIES}
            worst, problems = ec.largest_difference([state], [expected], unit=str(unit),
                                                    quantities=ec.GATE_QUANTITIES)
            assert not problems and worst <= TOLERANCE, (t, unit, worst, problems)
        if t < T:
            root.locator('button[data-action="next"]').click()
    # the two units specialise: unit 1 holds the first value, unit 2 has counted the 1s
    assert np.ptp(want["c_t"][:, 0]) < 0.06 and want["c_t"][-1, 1] > 2


def test_every_control_is_labelled_and_keyboard_operable(open_page: Any) -> None:
    p = open_page(STEP_PAGE)
    sel = p.selector("step")
    controls = p.page.evaluate(ec.CONTROLS, sel)
    names = {c["name"] for c in controls}
    assert set(live_cell.PARAM_NAMES) <= names, f"controls missing: {set(live_cell.PARAM_NAMES) - names}"
    unlabelled = [c for c in controls if not c["label"]]
    assert not unlabelled, unlabelled
    assert all(c["tabIndex"] >= 0 and not c["disabled"] for c in controls), controls

    # Tab walks through every parameter control, in order
    page, root = p.page, p.page.locator(sel)
    root.locator('input[data-input="mode"]').first.focus()
    reached = []
    for _ in range(60):
        page.keyboard.press("Tab")
        name = page.evaluate(f"() => document.activeElement.closest('{sel}') ? "
                             "(document.activeElement.dataset.input || document.activeElement.dataset.preset || "
                             "document.activeElement.dataset.action || '?') : null")
        if name is None:
            break
        reached.append(name)
    params = [n for n in reached if n in live_cell.PARAM_NAMES]
    assert params == list(live_cell.PARAM_NAMES), f"Tab reached {reached}"

    # an arrow key moves a slider by 1% of its range, and the picture follows
    params = page.evaluate(f"""() => Object.fromEntries(Array.from(document.querySelectorAll(
        '{sel} input[type=range][data-input]')).filter((e) => e.dataset.input !== 'step')
        .map((e) => [e.dataset.input, Number(e.value)]))""")
    before = page.evaluate(ec.READ, sel)["values"]
    root.locator('input[data-input="b_f"]').focus()
    page.keyboard.press("ArrowRight")
    after = page.evaluate(ec.READ, sel)["values"]
    b_f = float(root.locator('input[data-input="b_f"]').input_value())
    assert after["f_t"]["1"][0] > before["f_t"]["1"][0], "ArrowRight on b_f did not open the forget gate"
    assert abs(b_f - (params["b_f"] + 0.2)) < 1e-9, (params["b_f"], b_f)  # 1% of [-10, 10]
    assert abs(after["f_t"]["1"][0] - live_cell.one_step({**params, "b_f": b_f})["f_t"]) < TOLERANCE

    # a preset from the keyboard (Enter on its button), then the sequence mode and its buttons
    root.locator('button[data-preset="hide"]').focus()
    page.keyboard.press("Enter")
    hidden = page.evaluate(ec.READ, sel)["values"]
    assert hidden["o_t"]["1"][0] < 0.01 and abs(hidden["h_t"]["1"][0]) < 0.01
    root.locator('input[data-input="mode"][value="sequence"]').focus()
    page.keyboard.press("Space")
    assert page.evaluate(ec.READ, sel)["mode"] == "sequence"
    root.locator('button[data-action="next"]').focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Space")
    assert page.evaluate(ec.READ, sel)["step"] == 3
    root.locator('input[data-input="step"]').focus()
    page.keyboard.press("End")
    state = page.evaluate(ec.READ, sel)
    assert state["step"] == state["steps"] > 3
    page.keyboard.press("Home")
    root.locator('button[data-action="play"]').focus()
    page.keyboard.press("Enter")
    assert root.locator('button[data-action="play"]').get_attribute("aria-pressed") == "true"
    page.wait_for_function(f"() => Number(document.querySelector('{sel}').dataset.step) >= 3", timeout=5000)
    page.keyboard.press("Enter")
    assert root.locator('button[data-action="play"]').get_attribute("aria-pressed") == "false"


def test_the_table_follows_the_picture(open_page: Any) -> None:
    p = open_page(STEP_PAGE)
    sel = p.selector("step")
    root = p.page.locator(sel)
    assert root.locator(".lx-tablebox[aria-live='polite'] table").count() == 1
    setting = ec.random_settings(1, seed=3)[0]
    p.page.evaluate(ec.SET_AND_READ, [sel, [setting]])
    want = live_cell.one_step(setting)
    cells = p.page.evaluate(f"""() => Array.from(document.querySelectorAll('{sel} table td[data-quantity]'))
        .map((td) => [td.dataset.quantity, td.textContent, Number(td.dataset.value)])""")
    assert {q for q, _, _ in cells} == set(ec.QUANTITIES)
    for q, text, value in cells:
        assert abs(value - want[q]) <= TOLERANCE
        assert text.replace("\u2212", "-") == f"{want[q]:.2f}".replace("-0.00", "0.00"), (q, text, want[q])
    svg_labels = p.page.evaluate(f"() => document.querySelectorAll('{sel} svg [data-quantity]').length")
    assert svg_labels == len(ec.QUANTITIES), "every quantity is on the diagram too"


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_text_is_readable_in_light_and_dark(open_page: Any, artifacts: Path, theme: str) -> None:
    p = open_page(SEQUENCE_PAGE)
    for mode in ("sequence",):
        sel = p.selector(mode)
        p.page.evaluate("(t) => { document.documentElement.dataset.theme = t; "
                        "document.documentElement.dataset.mode = t; }", theme)
        p.page.wait_for_timeout(400)  # the theme's colour transitions
        report = p.page.evaluate(ec.CONTRAST, sel)
        if theme == "dark":
            assert report["luminance"] < 0.05, f"the explorer is not dark in dark mode: {report['background']}"
        else:
            assert report["luminance"] > 0.9, f"the explorer is not light in light mode: {report['background']}"
        texts = [t for t in report["texts"] if not t.get("disabled")]
        assert len(texts) > 60, f"only {len(texts)} texts found"
        low = [t for t in texts if t["contrast"] < 4.5]
        assert not low, f"{theme}: text below WCAG's 4.5:1: {low[:10]}"
        ec.screenshot(p.page, sel, artifacts / f"site_{theme}.png")
    p1 = open_page(STEP_PAGE)
    p1.page.evaluate("(t) => { document.documentElement.dataset.theme = t; }", theme)
    p1.page.wait_for_timeout(400)
    sel = p1.selector("step")
    low = [t for t in p1.page.evaluate(ec.CONTRAST, sel)["texts"] if t["contrast"] < 4.5 and not t.get("disabled")]
    assert not low, f"{theme}, step mode: text below 4.5:1: {low[:10]}"
    ec.screenshot(p1.page, sel, artifacts / f"site_step_{theme}.png")
