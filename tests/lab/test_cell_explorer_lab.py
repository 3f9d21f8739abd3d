"""The cell explorer (issue 12) in a real JupyterLab and in Notebook 7, with a live kernel, in Chromium.

A cell `cell_explorer(...)` is typed and run the way a learner runs it; its output must draw the explorer (the
output's script runs in the page, no kernel round trip afterwards), and the numbers it shows while controls are set
through the DOM must be lstm_course's (`live_cell.one_step`, `live_cell.run_sequence`) within 1e-6. JupyterLab's dark
theme is switched on with its own command and the explorer's text contrast is measured in both themes. The same
output is checked in Notebook 7 (`/notebooks/…`, served by the same server). Screenshots go to `test-artifacts/lab/`.
Uses the fixtures of conftest.py (a server on 127.0.0.1 over copies of the notebooks) and the DOM helpers of
tests/site/explorercheck.py.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import labdriver
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "site"))
import explorercheck as ec  # noqa: E402  (tests/site is not a package)

from lstm_course import live_cell  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TOLERANCE = 1e-6
EXPLORERS = """\
from lstm_course import cell_explorer
display(cell_explorer(preset="remember"))
display(cell_explorer(sequence="reset on a marker"))"""
_IDS = """(cell) => Array.from(cell.querySelectorAll('.lx[data-mode]')).map((r) => [r.id, r.dataset.mode])"""


def _explorer_ids(page: Any, cell: Any) -> dict[str, str]:
    page.wait_for_function("(cell) => cell.querySelectorAll('.lx[data-mode]').length === 2", arg=cell,
                           timeout=20_000)
    return {mode: f"#{rid}" for rid, mode in page.evaluate(_IDS, cell)}


def _check_numbers(page: Any, ids: dict[str, str], n: int) -> dict[str, float]:
    """n random one-step settings and the whole sequence, compared with Python; the largest differences."""
    settings = ec.random_settings(n, seed=8)
    readings = page.evaluate(ec.SET_AND_READ, [ids["step"], settings])
    worst_step, problems = ec.largest_difference(readings, [live_cell.one_step(s) for s in settings])
    assert not problems, problems[:5]
    spec = live_cell.SEQUENCES["reset on a marker"]
    want = live_cell.run_sequence(spec["xs"], spec["units"])
    worst_seq = 0.0
    for t in range(1, len(spec["xs"]) + 1):
        page.evaluate("([sel, t]) => { const s = document.querySelector(sel + ' input[data-input=step]'); "
                      "s.value = String(t); s.dispatchEvent(new Event('input', {bubbles: true})); }",
                      [ids["sequence"], t])
        state = page.evaluate(ec.READ, ids["sequence"])
        assert state["step"] == t
        expected = {q: float(want[q][t - 1] if q == "x_t" else want[q][t - 1, 0]) for q in ec.QUANTITIES}
        worst, problems = ec.largest_difference([state], [expected])
        assert not problems, (t, problems)
        worst_seq = max(worst_seq, worst)
    assert worst_step <= TOLERANCE and worst_seq <= TOLERANCE, (worst_step, worst_seq)
    return {"step": worst_step, "sequence": worst_seq}


def _screenshot(page: Any, sel: str, path: Path) -> None:
    """The whole explorer: JupyterLab scrolls its notebook inside the window, so the window must be tall enough."""
    height = page.evaluate("(sel) => document.querySelector(sel).getBoundingClientRect().height", sel)
    page.set_viewport_size({"width": 1400, "height": int(height) + 400})
    page.locator(sel).scroll_into_view_if_needed()
    page.locator(sel).screenshot(path=str(path))
    page.set_viewport_size({"width": 1400, "height": 1000})


def _contrast(page: Any, sel: str) -> list[dict[str, Any]]:
    report = page.evaluate(ec.CONTRAST, sel)
    return [t for t in report["texts"] if t["contrast"] < 4.5 and not t.get("disabled")], report


def test_the_explorer_runs_in_jupyterlab(browser: object, lab_server: object, artifacts: Path) -> None:
    nb = labdriver.Notebook(browser, lab_server, "book/01_data_path.ipynb")
    console: list[str] = []
    nb.page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    try:
        nb.open()
        result = nb.append_and_run(EXPLORERS)
        assert not nb.errors(), nb.errors()
        cell = nb.cell(result["index"])
        ids = _explorer_ids(nb.page, cell)
        worst = _check_numbers(nb.page, ids, 200)

        # light theme, then JupyterLab's own dark theme
        low, report = _contrast(nb.page, ids["sequence"])
        assert not low and report["luminance"] > 0.9, (low[:5], report["background"])
        _screenshot(nb.page, ids["sequence"], artifacts / "cell_explorer_light.png")
        nb.page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', "
                         "{theme: 'JupyterLab Dark'})")
        nb.wait_for("() => document.body.dataset.jpThemeLight === 'false'")
        nb.page.wait_for_timeout(500)
        low, report = _contrast(nb.page, ids["sequence"])
        assert report["luminance"] < 0.05, f"not dark under JupyterLab Dark: {report['background']}"
        assert not low, low[:5]
        _screenshot(nb.page, ids["sequence"], artifacts / "cell_explorer_dark.png")
        nb.page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', "
                         "{theme: 'JupyterLab Light'})")
        (artifacts / "cell_explorer_lab.json").write_text(json.dumps(
            {"where": "JupyterLab", "random_settings": 200, "largest_abs_difference": worst}, indent=1))
        assert not console, f"console errors in JupyterLab: {console}"
        assert not nb.page_errors, nb.page_errors
        assert not nb.offhost, nb.offhost
    finally:
        nb.close()
        lab_server.shutdown_kernels()


def test_the_explorer_runs_in_notebook_7(browser: object, lab_server: object, artifacts: Path) -> None:
    """Notebook 7's page (`/notebooks/…`): a notebook holding only the explorer cell, run with Shift+Enter."""
    path = "explorer_notebook7.ipynb"
    (lab_server.root / path).write_text(json.dumps({
        "cells": [{"cell_type": "code", "execution_count": None, "id": "explorer", "metadata": {}, "outputs": [],
                   "source": EXPLORERS}],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5}))
    context = browser.new_context(viewport={"width": 1300, "height": 1000}, service_workers="block")
    page = context.new_page()
    errors: list[tuple[str, str]] = []  # (message, stack) of every uncaught error in the page
    page.on("pageerror", lambda e: errors.append((str(e), e.stack or "")))
    try:
        page.goto(f"{lab_server.url}notebooks/{path}?token={lab_server.token}")
        editor = page.locator(".jp-Cell .cm-content").first
        editor.wait_for(timeout=60_000)
        page.wait_for_function("() => !document.querySelector('.jp-Notebook-ExecutionIndicator[data-status=busy]')",
                               timeout=60_000)
        page.wait_for_timeout(2000)  # the kernel connects
        editor.click()
        page.keyboard.press("Shift+Enter")
        cell = page.locator(".jp-Cell").first.element_handle()
        ids = _explorer_ids(page, cell)
        worst = _check_numbers(page, ids, 50)
        # Notebook 7 puts long outputs in a scrolled box (a click on the output's left edge expands it); expanded
        # here so that the screenshot shows the whole explorer.
        scrolled = page.evaluate("""() => { const s = document.querySelectorAll('.jp-mod-outputsScrolled');
            s.forEach((e) => e.classList.remove('jp-mod-outputsScrolled')); return s.length; }""")
        _screenshot(page, ids["step"], artifacts / "cell_explorer_notebook7.png")
        (artifacts / "cell_explorer_notebook7.json").write_text(json.dumps(
            {"where": "Notebook 7", "random_settings": 50, "largest_abs_difference": worst,
             "output_in_a_scrolled_box": bool(scrolled)}, indent=1))
        # Notebook 7 4.x/7.x logs a few errors of its own on load (its settings schema, a file-browser command
        # it does not register); those come from its bundles under /static/. The explorer's code is inline.
        own = [m for m, stack in errors if "/static/" not in stack]
        assert not own, f"errors outside Notebook 7's own bundles: {own} (all: {errors})"
    finally:
        context.close()
        lab_server.shutdown_kernels()
